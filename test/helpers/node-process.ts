// A node as its own OS process (`saraban-node start --config …`), for tests that kill it: the
// TypeScript source through tsx (tests), or dist/src/main.js when `dist` is asked for (benchmarks,
// after `npm run build`). Resolves once the API listens.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export interface NodeProcess {
  readonly child: ChildProcess
  /** resolves with the exit code (null when killed by a signal) */
  readonly exited: Promise<number | null>
}

const ROOT = join(import.meta.dirname, '../..')

/** `onLog`: each chunk of the node's log (pino writes to stdout); without it stdout is not read. */
export function startNodeProcess(configFile: string, opts: { apiPort: number; dist?: boolean; onLog?: (chunk: string) => void }): Promise<NodeProcess> {
  const entry = opts.dist ? [join(ROOT, 'dist/src/main.js')] : ['--import', 'tsx', join(ROOT, 'src/main.ts')]
  const child = spawn(process.execPath, [...entry, 'start', '--config', configFile], {
    env: { ...process.env, SARABAN_API_PORT: String(opts.apiPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', opts.onLog ? 'pipe' : 'ignore', 'pipe'],
  })
  if (opts.onLog) child.stdout!.on('data', (d: Buffer) => opts.onLog!(d.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return new Promise((resolve, reject) => {
    let err = ''
    const onData = (d: Buffer) => {
      err += d.toString()
      if (err.includes(' API http')) {
        child.stderr!.off('data', onData)
        child.stderr!.resume() // keep draining: a full pipe would block the node
        resolve({ child, exited })
      }
    }
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`node exited ${code} before listening: ${err.slice(-2000)}`)))
  })
}
