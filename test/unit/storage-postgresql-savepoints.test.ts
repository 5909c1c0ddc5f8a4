// The savepoints of the group commit on PostgreSQL (storage/postgresql/sync/database.ts): SAVEPOINT and
// RELEASE go to the server with the next statement instead of on their own (two round trips of the
// event loop less per write, PROTOCOL.md implementation notes, issue 19), and each write still rolls
// back alone.
import t from 'tap'
import { Db } from '../../src/storage/db.js'
import type { PgDatabase } from '../../src/storage/postgresql/sync/database.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const missing = postgresMissing()

t.test('a batch of writes: each rolls back alone, whatever it did before it threw, and nested transactions keep theirs', missing !== undefined ? { skip: missing } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const db = Db.openPostgres({ url: cluster.createDatabase('savepoints') })
  t.teardown(() => db.close())
  const insert = db.sqlite.prepare('INSERT INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)')
  const keys = () => db.sqlite.prepare('SELECT alert_key FROM expiry_alerts ORDER BY alert_key').pluck().all() as string[]
  await db.write(() => insert.run('0 before', 0))

  // Queued in one tick: one transaction, one savepoint each.
  const outcomes = await Promise.allSettled([
    db.write(() => insert.run('a kept', 1)),
    db.write(() => {
      throw new Error('b threw before any statement')
    }),
    db.write(() => {
      insert.run('c rolled back', 3)
      throw new Error('c threw after a statement')
    }),
    db.write(() => insert.run('0 before', 4)), // a unique violation: the statement the savepoint went with fails
    db.write(() => {
      insert.run('e kept', 5)
      try {
        db.tx(() => {
          insert.run('e inner rolled back', 6)
          throw new Error('inner')
        })
      } catch {
        /* the inner transaction alone is rolled back */
      }
      db.tx(() => {}) // a nested transaction that runs nothing
      insert.run('e kept after', 7)
    }),
    db.write(() => 'f ran nothing'),
    db.write(() => {
      insert.run('h rolled back', 8)
      try {
        insert.run('0 before', 9)
      } catch {
        /* a store that catches a failed statement and goes on: PostgreSQL refuses the rest of it */
      }
      return 'h caught it'
    }),
    db.write(() => insert.run('i kept', 10)),
  ])
  t.same(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
  t.match((outcomes[3] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'the failed statement keeps its own error')
  t.match((outcomes[6] as PromiseRejectedResult).reason, { pgCode: '25P02' }, 'a write whose statement failed is refused at its end, though it caught the error')
  t.same(keys(), ['0 before', 'a kept', 'e kept', 'e kept after', 'i kept'])
  t.equal(db.stats.commits, 2, 'the eight writes were one transaction')
})

t.test('a write costs the round trips of its statements and no more: its SAVEPOINT and RELEASE go with the next request', missing !== undefined ? { skip: missing } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const db = Db.openPostgres({ url: cluster.createDatabase('trips') })
  t.teardown(() => db.close())
  const pg = db.sqlite as unknown as PgDatabase
  const insert = db.sqlite.prepare('INSERT INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)')
  await db.write(() => insert.run('warm', 0))
  const before = pg.requests
  const n = 10
  await Promise.all(Array.from({ length: n }, (_, i) => db.write(() => insert.run(`k${i}`, i))))
  // BEGIN (with the write lock), n × (the previous RELEASE + SAVEPOINT + INSERT), COMMIT (with its NOTIFY).
  t.equal(pg.requests - before, 2 + n, 'no round trip of its own for a SAVEPOINT or a RELEASE')
  const idle = pg.requests
  await Promise.all(Array.from({ length: n }, () => db.write(() => undefined)))
  t.equal(pg.requests - idle, 2, 'writes that run no statement cost no savepoint at all')
  t.equal(db.sqlite.prepare('SELECT count(*) FROM expiry_alerts').pluck().get(), n + 1)
})
