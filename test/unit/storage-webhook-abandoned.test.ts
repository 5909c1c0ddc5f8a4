// Migration 013 on a database that has webhook deliveries (README "Notifications"): the table is rebuilt
// to allow `abandoned`, every row keeps its columns, and deliveries that earlier versions failed because
// their endpoint was no longer configured become abandoned (attempts 0, the time kept as abandonedAt).
import t from 'tap'
import { chmodSync } from 'node:fs'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { EventStore } from '../../src/storage/events.js'

t.test('migration 013 keeps every delivery and turns the old orphan failures into abandoned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-m012-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'saraban.sqlite')
  const before = MIGRATIONS.findIndex((m) => m.name === 'webhook-abandoned')
  t.ok(before > 0)
  const old = new Database(file)
  old.pragma('foreign_keys = ON')
  for (const m of MIGRATIONS.slice(0, before)) old.exec(m.sql)
  old.pragma(`user_version = ${before}`)
  old.exec(`INSERT INTO events (agency, type, data_json, at) VALUES ('moi', 'letter.received', '{}', 1000), ('moi', 'letter.accepted', '{}', 2000)`)
  const row = old.prepare(`INSERT INTO webhook_deliveries (event_id, endpoint, agency, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, created_at)
    VALUES (?, ?, 'moi', ?, ?, ?, ?, ?, ?, ?, ?)`)
  row.run(1, 'app', 'delivered', 1, 1000, 1100, 200, null, 1100, 1000)
  row.run(1, 'old', 'failed', 0, 1000, 5000, null, 'the webhook endpoint is no longer configured', null, 1000)
  row.run(2, 'app', 'failed', 10, 2000, 9000, 500, 'HTTP 500', null, 2000)
  row.run(2, 'slow', 'pending', 2, 9999, 3000, null, 'no answer within 10000 ms', null, 2000)
  old.close()
  chmodSync(file, 0o600) // a file made before issue 13 §1 is 0644: the node refuses it until the operator runs chmod, as it says

  const db = Db.open(file)
  t.teardown(() => db.close())
  const store = new EventStore(db)
  const all = store.deliveries({ agencies: ['moi'], limit: 10 })
  t.equal(all.length, 4, 'every row kept')
  const by = (e: number, n: string) => all.find((d) => d.eventId === e && d.endpoint === n)!
  t.match(by(1, 'app'), { state: 'delivered', attempts: 1, lastStatus: 200, deliveredAt: 1100, abandonedAt: null })
  t.match(by(1, 'old'), { state: 'abandoned', attempts: 0, lastAttemptAt: null, abandonedAt: 5000, lastError: 'endpoint removed from configuration' })
  t.match(by(2, 'app'), { state: 'failed', attempts: 10, lastError: 'HTTP 500' }, 'a real failure stays failed')
  t.match(by(2, 'slow'), { state: 'pending', attempts: 2, nextAttemptAt: 9999 })
  t.same(store.deliveryCounts(), { pending: 1, delivered: 1, failed: 1, abandoned: 1 })
  t.equal(store.nextDue(['slow']), 9999, 'the pending index is back')
  await db.write(() => store.abandon([{ name: 'app' }], 10_000))
  t.match(store.deliveries({ agencies: ['moi'], state: 'abandoned', limit: 10 }).map((d) => d.endpoint).sort(), ['old', 'slow'])
  // ON DELETE CASCADE still holds: retention removes an event's deliveries with it
  await db.write(() => store.prune(1500, 100))
  t.equal(store.deliveries({ agencies: ['moi'], limit: 10 }).length, 2)
})
