// Webhook deliveries claimed before they are sent (migration 042, issue 19 item 2): two processes of
// one node (two connections, two owners) on one real SQLite file. The claim hides a delivery from the
// other process until it ends; its outcome is recorded only under it; and two running workers send
// each event once to a real local HTTP endpoint, where each alone would have sent every one.
import t from 'tap'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Db } from '../../src/storage/index.js'
import { EventStore } from '../../src/storage/events.js'
import { Events, webhookKey } from '../../src/services/events/index.js'
import { createLogger } from '../../src/log.js'

const log = createLogger('silent')
const key = (webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') as { key: Buffer }).key

function oneFile(t: { teardown(fn: () => void | Promise<void>): void }): () => Db {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-webhook-claims-'))
  const dbs: Db[] = []
  t.teardown(async () => {
    for (const db of dbs) await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const db = Db.open(join(dir, 'saraban.sqlite'))
    dbs.push(db)
    return db
  }
}

t.test('a claim hides the delivery from other processes until it ends; the outcome needs the claim', async (t) => {
  const open = oneFile(t)
  const [da, db] = [open(), open()]
  const a = new EventStore(da)
  const b = new EventStore(db)
  await da.write(() => {
    const id = a.insert({ agency: 'moi', type: 'letter.received', dataJson: '{}', at: 1_000 })
    a.addDelivery(id, 'saraban', 'moi', 1_000)
  })
  const [row] = a.due('saraban', 2_000, 10)
  t.ok(await da.write(() => a.claim(row!, 'host-a:1', 2_000, 60_000)), 'a claims it')
  t.notOk(await db.write(() => b.claim(row!, 'host-b:1', 2_001, 60_000)), 'b cannot claim it as it read it')
  t.same(b.due('saraban', 59_999, 10), [], 'not due to anyone while claimed')
  t.equal(await db.write(() => b.retarget('saraban', 3_000)), 0, 'a changed endpoint does not pull a claimed delivery forward')
  const [again] = b.due('saraban', 60_000, 10)
  t.equal(again?.eventId, row!.eventId, 'due again once the claim ended (its process died)')
  t.ok(await db.write(() => b.claim(again!, 'host-b:1', 60_000, 120_000)), 'b claims it then')
  const outcome = { eventId: row!.eventId, endpoint: 'saraban', at: 60_500, status: 204, error: null, state: 'delivered' as const, nextAttemptAt: 60_500 }
  t.notOk(await da.write(() => a.recordAttempt({ ...outcome, claim: { owner: 'host-a:1', attempts: 0 } })), 'a\'s late outcome is not recorded')
  t.ok(await db.write(() => b.recordAttempt({ ...outcome, claim: { owner: 'host-b:1', attempts: 0 } })), 'b\'s is')
  t.match(a.deliveries({ agencies: ['moi'], limit: 5 })[0], { state: 'delivered', attempts: 1 })
  t.notOk(await db.write(() => b.recordAttempt({ ...outcome, claim: { owner: 'host-b:1', attempts: 0 } })), 'and only once')
})

t.test('a process restarted under the same name releases its old claims at once; others\' stay', async (t) => {
  const open = oneFile(t)
  const [da, db] = [open(), open()]
  const a = new EventStore(da)
  const b = new EventStore(db)
  await da.write(() => {
    for (let i = 0; i < 2; i++) a.addDelivery(a.insert({ agency: 'moi', type: 'letter.received', dataJson: '{}', at: 1_000 }), 'saraban', 'moi', 1_000)
  })
  const [x, y] = a.due('saraban', 2_000, 10)
  await da.write(() => a.claim(x!, 'host-a:1', 2_000, 90_000))
  await db.write(() => b.claim(y!, 'host-b:1', 2_000, 90_000))
  t.equal(await da.write(() => a.releaseClaims('host-a:1', 5_000)), 1)
  t.same(a.due('saraban', 5_000, 10).map((r) => r.eventId), [x!.eventId], 'its own is due now; b\'s is still claimed')
})

t.test('two running workers of one node send each event once', async (t) => {
  const hits: string[] = []
  const s = createServer((req, res) => {
    hits.push(String(req.headers['webhook-id']))
    req.resume()
    // Slow enough that both workers have deliveries in flight at once.
    req.on('end', () => setTimeout(() => res.writeHead(204).end(), 15))
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()) }))
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`
  const open = oneFile(t)
  const worker = (owner: string) => {
    const db = open()
    const events = new Events({
      db, clock: { now: () => Date.now() }, log, endpoints: [{ name: 'saraban', url, key }], userAgent: 'saraban-node/test', random: () => 0, owner,
      settings: {
        retentionDays: 30, pruneIntervalMs: 3_600_000,
        stream: { heartbeatMs: 1000, slowClientMs: 1000, batch: 10, maxStreams: 4, retryMs: 1000 },
        webhooks: { maxAttempts: 5, initialBackoffMs: 40, maxBackoffMs: 200, timeoutMs: 5000, concurrency: 8, perEndpoint: 2, allowPrivateTargets: true, allowedTargets: [] },
      },
    })
    t.teardown(() => events.stop())
    return { db, events }
  }
  const a = worker('host-a:1')
  const b = worker('host-b:1')
  await a.events.start()
  await b.events.start()
  await a.db.write(() => { for (let i = 0; i < 40; i++) a.events.sink.emit({ agency: 'moi', type: 'letter.received' }) })
  // b's own event wakes b, which then finds a's forty due as well.
  await b.db.write(() => b.events.sink.emit({ agency: 'moi', type: 'letter.received' }))
  const deadline = Date.now() + 20_000
  while (a.events.store.deliveries({ agencies: ['moi'], state: 'delivered', limit: 100 }).length < 41) {
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const rows = a.events.store.deliveries({ agencies: ['moi'], limit: 100 })
  t.equal(rows.filter((r) => r.state === 'delivered').length, 41, 'every event delivered')
  t.ok(rows.every((r) => r.attempts === 1), 'each in one attempt')
  t.equal(hits.length, 41, 'the endpoint was called once per event')
  t.equal(new Set(hits).size, 41, 'no webhook-id twice')
  const byA = a.events.webhooks.status()[0]!.lastSuccessAt
  const byB = b.events.webhooks.status()[0]!.lastSuccessAt
  t.ok(byA !== undefined && byB !== undefined, 'both workers sent some')
})
