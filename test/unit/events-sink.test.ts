// The event sink and table on a real SQLite file (issue 5 §6): an event exists iff its transaction
// committed, listeners run after the commit, webhook rows follow the routes, retention keeps ids growing.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { EventStore } from '../../src/storage/events.js'
import { EventLog, MAX_EVENT_DATA_BYTES } from '../../src/services/events/sink.js'
import { Events } from '../../src/services/events/index.js'
import { EVENT_TYPES } from '../../src/domain/events.js'
import { schemas, schemaIds } from '../../src/schema/index.js'
import { createLogger } from '../../src/log.js'

const log = createLogger('silent')

function open(t: { teardown(fn: () => void | Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-events-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, store: new EventStore(db) }
}

t.test("listeners wake only once the producer's batch is on disk, also with durableSync 'threadpool' (issue 16 item 1)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-events-'))
  const db = Db.open(join(dir, 'saraban.sqlite'), { durableSync: 'threadpool' })
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const store = new EventStore(db)
  const sink = new EventLog({ clock: { now: () => 1_000 }, log, store, afterCommit: (fn) => db.afterCommit(fn) })
  const order: string[] = []
  sink.onCommit(() => order.push('listener'))
  await db.write(() => sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a12', data: { from: 'mof' } }))
  order.push('write resolved')
  await new Promise((r) => setImmediate(r))
  t.same(order, ['write resolved', 'listener'], 'the listener ran after the WAL sync, not in the turn after COMMIT')
  // A rolled-back event wakes no one.
  await db.write(() => {
    sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a13', data: { from: 'mof' } })
    throw new Error('rolled back')
  }).catch(() => undefined)
  await new Promise((r) => setImmediate(r))
  t.same(order, ['write resolved', 'listener'])
})

t.test('an event is stored with its transaction, and listeners see it after the commit', async (t) => {
  const { db, store } = open(t)
  let now = 1_000
  const sink = new EventLog({ clock: { now: () => now }, log, store })
  const seen: number[] = []
  sink.onCommit(() => seen.push(store.maxId()))
  await db.write(() => sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a11', data: { from: 'mof' } }))
  t.equal(store.maxId(), 1)
  await new Promise((r) => setImmediate(r))
  t.same(seen, [1], 'the listener ran once, after the commit, and saw the row')
  const [e] = store.after({ agencies: ['moi'], afterId: 0, limit: 10 })
  t.match(e, { id: 1, agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a11', at: 1_000 })
  t.same(JSON.parse(e!.dataJson), { from: 'mof' })
  t.same(store.after({ agencies: ['mof'], afterId: 0, limit: 10 }), [], 'other agencies see nothing')

  now = 2_000
  await t.rejects(db.write(() => {
    sink.emit({ agency: 'moi', type: 'letter.failed', letterId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' })
    throw new Error('the change failed')
  }))
  t.equal(store.after({ agencies: ['moi'], afterId: 1, limit: 10 }).length, 0, 'a rolled-back change leaves no event')
  await db.write(() => sink.emit({ agency: 'moi', type: 'letter.delivered', letterId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' }))
  const ids = store.after({ agencies: ['moi'], afterId: 0, limit: 10 }).map((x) => x.id)
  t.equal(ids.length, 2)
  t.ok(ids[1]! > ids[0]!, 'ids grow')
  t.same(store.after({ agencies: ['moi'], afterId: 0, limit: 10, types: ['letter.delivered'] }).map((x) => x.type), ['letter.delivered'], 'type filter')
})

t.test('oversized data is replaced, never stored whole', async (t) => {
  const { db, store } = open(t)
  const sink = new EventLog({ clock: { now: () => 1 }, log, store })
  await db.write(() => sink.emit({ agency: 'moi', type: 'letter.received', data: { big: 'x'.repeat(MAX_EVENT_DATA_BYTES) } }))
  t.equal(store.get(1)?.dataJson, '{"truncated":true}')
})

t.test('webhook delivery rows are written with the event, per matching endpoint', async (t) => {
  const { db, store } = open(t)
  const sink = new EventLog({
    clock: { now: () => 5 }, log, store,
    webhooks: [
      { name: 'all' },
      { name: 'moi-only', agencies: new Set(['moi']) },
      { name: 'accepted', types: new Set(['letter.accepted']) },
    ],
  })
  await db.write(() => {
    sink.emit({ agency: 'moi', type: 'letter.received' })
    sink.emit({ agency: 'mof', type: 'letter.accepted' })
  })
  const rows = store.deliveries({ agencies: ['moi', 'mof'], limit: 50 }).map((d) => `${d.eventId} ${d.endpoint} ${d.state}`).sort()
  t.same(rows, ['1 all pending', '1 moi-only pending', '2 accepted pending', '2 all pending'])
  t.same(store.deliveryCounts(), { pending: 4, delivered: 0, failed: 0, abandoned: 0 })
  t.same(store.due('all', 5, 10).map((d) => d.eventId), [1, 2])
  t.same(store.due('all', 4, 10), [], 'not due before next_attempt_at')
})

t.test('retention removes old events (and their deliveries), records how far, and ids keep growing', async (t) => {
  const { db } = open(t)
  let now = Date.parse('2026-01-01T00:00:00Z')
  const events = new Events({
    db, clock: { now: () => now }, log, endpoints: [], userAgent: 'test',
    settings: {
      retentionDays: 1, pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: 1000, slowClientMs: 1000, batch: 10, maxStreams: 1, retryMs: 1000 },
      webhooks: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1, timeoutMs: 1000, concurrency: 1, perEndpoint: 1, allowPrivateTargets: true, allowedTargets: [] },
    },
  })
  t.teardown(() => events.stop())
  await db.write(() => {
    for (let i = 0; i < 3; i++) events.sink.emit({ agency: 'moi', type: 'letter.received' })
  })
  now += 2 * 86_400_000
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.delivered' }))
  await events.prune()
  t.same(events.store.after({ agencies: ['moi'], afterId: 0, limit: 10 }).map((e) => e.id), [4])
  t.equal(events.store.prunedThrough(), 3)
  now += 2 * 86_400_000
  await events.prune()
  t.equal(events.store.maxId(), 0, 'the table is empty')
  t.equal(events.store.prunedThrough(), 4)
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.received' }))
  t.equal(events.store.maxId(), 5, 'AUTOINCREMENT: a pruned id is never given to a new event')
})

t.test('the API and config schemas list exactly the domain event types', async (t) => {
  const event = schemas().schema(schemaIds.apiEvent) as { properties: { type: { enum: string[] } } }
  t.same(event.properties.type.enum, [...EVENT_TYPES])
  const config = schemas().schema(schemaIds.config) as any
  t.same(config.properties.notifications.properties.webhooks.items.properties.types.anyOf[0].items.enum, [...EVENT_TYPES])
})
