// One node as its own process for the benchmarks: dist/src/main.js when built (`npm run bench` builds),
// else src/main.ts through tsx. BENCH_CPU_PROF=<dir> writes a V8 CPU profile per node.
// BENCH_NODE_ARGS='--max-old-space-size=160' passes V8 flags to the nodes only (e.g. to show that
// their live memory stays under a cap: a node that needs more dies and the bench fails).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** Starts `saraban-node start --config configFile` with its API on apiPort; resolves once it listens. */
export function startNode(configFile: string, apiPort: number): Promise<ChildProcess> {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  prof.push(...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''))
  const main = join(process.cwd(), 'dist/src/main.js')
  const args = existsSync(main) ? [main] : ['--import', 'tsx', join(process.cwd(), 'src/main.ts')]
  const child = spawn(process.execPath, [...prof, ...args, 'start', '--config', configFile], {
    env: { ...process.env, SARABAN_API_PORT: String(apiPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes('API http')) resolve(child)
    })
    // A node that dies later (not stopped by the bench) says why: its last words, rather than a refused connection.
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') console.error(`node ${configFile} exited ${code ?? signal}: ${err.slice(-2000)}`)
      reject(new Error(`node exited ${code}: ${err.slice(-2000)}`))
    })
  })
}

/** Starts several nodes at once (startNode each); when one cannot start (a port taken meanwhile), the
 *  others are stopped before the failure is thrown, so that no node is left running to load the next
 *  run. Resolves in the order given. */
export async function startNodes(nodes: ReadonlyArray<{ configFile: string; apiPort: number }>): Promise<ChildProcess[]> {
  const started = await Promise.allSettled(nodes.map((n) => startNode(n.configFile, n.apiPort)))
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (!failed) return started.map((r) => (r as PromiseFulfilledResult<ChildProcess>).value)
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  for (const c of up) c.kill('SIGTERM')
  await Promise.all(up.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
  throw failed.reason
}
