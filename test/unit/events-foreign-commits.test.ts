// Events another process of the node committed (issue 19 item 2): two processes' connections to one
// real SQLite file. Db.onForeignCommit fires for the other connection's commits, not for its own;
// and an SSE client connected to one process receives the events the other one wrote, live.
import t from 'tap'
import { createServer, get, type IncomingMessage } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Db } from '../../src/storage/index.js'
import { Events } from '../../src/services/events/index.js'
import { createLogger } from '../../src/log.js'

const log = createLogger('silent')

function twoConnections(t: { teardown(fn: () => void | Promise<void>): void }): [Db, Db] {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-foreign-'))
  const a = Db.open(join(dir, 'saraban.sqlite'))
  const b = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await a.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return [a, b]
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !fn(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`timed out: ${what}`)
}

t.test('onForeignCommit: another connection\'s commit, not one\'s own', async (t) => {
  const [a, b] = twoConnections(t)
  let seen = 0
  const stop = b.onForeignCommit(() => seen++)
  await b.write(() => b.sqlite.prepare('CREATE TABLE IF NOT EXISTS probe (x INTEGER)').run())
  await new Promise((r) => setTimeout(r, 600)) // three polls: its own commit is not news
  t.equal(seen, 0, 'b\'s own commit does not call it')
  await a.write(() => a.sqlite.prepare('INSERT INTO probe VALUES (1)').run())
  await until('a\'s commit seen by b', () => seen > 0)
  t.equal(seen, 1, 'a\'s commit calls it once')
  stop()
  await a.write(() => a.sqlite.prepare('INSERT INTO probe VALUES (2)').run())
  await new Promise((r) => setTimeout(r, 600))
  t.equal(seen, 1, 'not after it was stopped')
})

t.test('an SSE client of one process receives the events another process wrote', async (t) => {
  const [da, dbb] = twoConnections(t)
  const settings = {
    retentionDays: 1, pruneIntervalMs: 3_600_000,
    stream: { heartbeatMs: 60_000, slowClientMs: 5000, batch: 50, maxStreams: 10, retryMs: 1000 },
    webhooks: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1, timeoutMs: 1000, concurrency: 1, perEndpoint: 1, allowPrivateTargets: true, allowedTargets: [] },
  }
  const a = new Events({ db: da, clock: { now: Date.now }, log, endpoints: [], userAgent: 't', settings })
  const b = new Events({ db: dbb, clock: { now: Date.now }, log, endpoints: [], userAgent: 't', settings })
  await a.start()
  await b.start()
  const server = createServer((_req, res) => b.streams.open(res, { agencies: ['moi'], afterId: b.store.lastIssuedId() }))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    await a.stop()
    await b.stop()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, resolve).on('error', reject)
  })
  await until('the stream is open', () => b.streams.size === 1)
  const ids: number[] = []
  let buf = ''
  res.on('data', (chunk: Buffer) => {
    buf += chunk.toString()
    for (const m of buf.matchAll(/^id: (\d+)$/gm)) if (!ids.includes(Number(m[1]))) ids.push(Number(m[1]))
  })
  await da.write(() => { for (let i = 0; i < 3; i++) a.sink.emit({ agency: 'moi', type: 'letter.received' }) })
  await until('the three events on b\'s stream', () => ids.length >= 3)
  t.same(ids, [1, 2, 3], 'live, in order, written by a')
  res.destroy()
})
