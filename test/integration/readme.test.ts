// The README is tested (issue 21 §1): its `sh runnable` blocks run verbatim, in order, as one bash
// script in a fresh copy of the repository (the files `git ls-files` names, node_modules linked), on
// ports this test chose: the copy's certs-dev/ is first regenerated with `dev-certs --base-port N`,
// and SARABAN_BASE_PORT=N is in the environment. So an example can never again name a file that does
// not exist or a port, serial or path that is wrong. Every other `sh` block must say why it is not
// run (`<!-- not run: … -->` on the line before it). The marker is documented at the top of README.md.
import t from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { packageRoot } from '../../src/version.js'
import { freeBasePort } from '../helpers/base-port.js'
import { anchor } from '../docs/protocol-toc.js'

// The builds (tsc, twice), the demo and three dev federations' keys take minutes on a loaded machine.
t.setTimeout(15 * 60_000)

export interface Block { readonly line: number; readonly runnable: boolean; readonly reason?: string; readonly code: string }

/** The fenced `sh` blocks of a Markdown text, with what marks them. */
export function shellBlocks(md: string): Block[] {
  const lines = md.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(?:\s+(\S+))?\s*$/.exec(lines[i]!)
    if (!open) continue
    let end = i + 1
    while (end < lines.length && !lines[end]!.startsWith('```')) end++
    if (open[1] === 'sh') {
      const reason = /^<!-- not run: (.+) -->$/.exec(lines[i - 1] ?? '')?.[1]
      blocks.push({ line: i + 1, runnable: open[2] === 'runnable', ...(reason ? { reason } : {}), code: lines.slice(i + 1, end).join('\n') })
    }
    i = end
  }
  return blocks
}

const root = packageRoot()
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = shellBlocks(readme)

t.test('every sh block of the README is runnable or says why not', async (t) => {
  const unmarked = blocks.filter((b) => !b.runnable && !b.reason).map((b) => `README.md:${b.line}`)
  t.same(unmarked, [], 'mark each with ```sh runnable, or put <!-- not run: REASON --> on the line before it')
  t.ok(blocks.filter((b) => b.runnable).length >= 10, 'the walk-throughs are runnable')
})

t.test('every link to a heading of the README or of PROTOCOL.md names one that exists', async (t) => {
  const anchors = (md: string) => {
    const seen = new Map<string, number>()
    const out = new Set<string>()
    let fenced = false
    for (const line of md.split('\n')) {
      if (line.startsWith('```')) fenced = !fenced
      const m = fenced ? null : /^#{1,6} (.*)$/.exec(line)
      if (!m) continue
      let a = anchor(m[1]!)
      const n = seen.get(a) ?? 0
      seen.set(a, n + 1)
      if (n > 0) a += `-${n}`
      out.add(a)
    }
    return out
  }
  const own = anchors(readme)
  const protocol = anchors(readFileSync(join(root, 'PROTOCOL.md'), 'utf8'))
  const broken = [...readme.matchAll(/\]\((PROTOCOL\.md)?#([^)]+)\)/g)]
    .filter(([, file, a]) => !(file ? protocol : own).has(a!)).map(([link]) => link)
  t.same(broken, [], 'links whose heading is missing')
})

/** A fresh copy: the tracked files as they are on disk, node_modules linked. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-readme-'))
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const f of files) {
    if (!existsSync(join(root, f))) continue // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(dir, f)), { recursive: true })
    copyFileSync(join(root, f), join(dir, f))
  }
  symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'))
  return dir
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Its own process group, so that whatever the script left running is stopped with it.
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const kill = () => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }
    const timer = setTimeout(() => { out += `\n[readme.test: timed out after ${opts.timeoutMs} ms]\n`; kill() }, opts.timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); kill(); resolve({ code, out }) })
  })
}

t.test('the runnable blocks run verbatim, in order, from a fresh copy on ports the test chose', async (t) => {
  const dir = freshCopy()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const base = await freeBasePort()
  const env: NodeJS.ProcessEnv = { ...process.env, SARABAN_BASE_PORT: String(base), LOG_LEVEL: 'warn' }
  delete env.SARABAN_API_KEY
  delete env.SARABAN_DATA_DIR
  const setup = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev-certs', '--base-port', String(base)], { cwd: dir, env, timeoutMs: 5 * 60_000 })
  t.equal(setup.code, 0, `dev-certs --base-port ${base} in the copy: ${setup.out}`)
  const script = ['set -euo pipefail']
  for (const b of blocks.filter((b) => b.runnable)) script.push(`echo "::: README.md:${b.line}"`, b.code)
  writeFileSync(join(dir, 'readme-blocks.sh'), script.join('\n') + '\n')
  const res = await run('bash', ['readme-blocks.sh'], { cwd: dir, env, timeoutMs: 12 * 60_000 })
  const where = [...res.out.matchAll(/^::: (README\.md:\d+)$/gm)].pop()?.[1] ?? 'before the first block'
  const logs = ['moi.log', 'mof.log', 'fed-moi.log', 'opm.log', 'serve.log', 'hosting-try/node.log']
    .filter((f) => existsSync(join(dir, f))).map((f) => `--- ${f} (last lines)\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}`)
  if (res.code !== 0) t.comment(`the script stopped in the block at ${where}; its last output:\n${res.out.split('\n').slice(-60).join('\n')}\n${logs.join('\n')}`)
  t.equal(res.code, 0, `every runnable block succeeded (a failure names the block: ${where})`)
  t.match(res.out, /demo complete ✓/, 'the demo ran to its end')
})
