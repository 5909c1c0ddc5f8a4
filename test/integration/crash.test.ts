// A node process killed with SIGKILL while letters are queued loses none of them; SIGTERM stops a
// node gracefully (exit 0). Real processes, real files: the same `saraban-node start` as production.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { writeNetFiles, thaiLetter } from '../helpers/nodes.js'
import { rmSync } from 'node:fs'

function startNode(configFile: string): Promise<{ child: ChildProcess; api: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), 'start', '--config', configFile], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = / API (http:\/\/[0-9.:]+)/.exec(err)
      if (m) resolve({ child, api: m[1]!, exited })
    })
    void exited.then((code) => reject(new Error(`node exited ${code}: ${err}`)))
  })
}

async function api(base: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, body: (await res.json()) as any }
}

t.test('SIGKILL with letters queued: all are delivered after the restart; SIGTERM exits 0', async (t) => {
  const files = await writeNetFiles(['moi', 'mof'], { delivery: { initialBackoffMs: 100, maxBackoffMs: 300 } })
  t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
  const moi = files.agencies.moi!

  let node = await startNode(moi.configFile)
  const ids: string[] = []
  for (let i = 0; i < 4; i++) {
    const r = await api(node.api, moi.apiKey, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `ก่อนล่ม ${i}` }) })
    t.equal(r.status, 202)
    ids.push(r.body.id)
  }
  node.child.kill('SIGKILL')
  t.equal(await node.exited, null, 'killed, no chance to flush anything')

  const mofConfig = loadConfig({ file: files.agencies.mof!.configFile, env: {}, packageRoot: process.cwd() })
  const mof = await createContext(mofConfig, { log: createLogger('silent') })
  await mof.listen()
  t.teardown(() => mof.close())

  node = await startNode(moi.configFile)
  const deadline = Date.now() + 30_000
  let statuses: string[] = []
  while (Date.now() < deadline) {
    statuses = await Promise.all(ids.map(async (id) => (await api(node.api, moi.apiKey, 'GET', `/api/v1/letters/${id}`)).body.status))
    if (statuses.every((s) => s === 'delivered')) break
    await new Promise((r) => setTimeout(r, 100))
  }
  t.same(statuses, ids.map(() => 'delivered'), 'every letter queued before the kill was delivered')
  t.equal(mof.inbox.list({ agencies: ['mof'], limit: 10 }).length, 4, 'once each')

  node.child.kill('SIGTERM')
  t.equal(await node.exited, 0, 'SIGTERM: graceful stop, exit 0')
})
