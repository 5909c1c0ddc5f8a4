// Db.beforeCommit (PROTOCOL.md §20.4, issue 14 §6): work a write() fn leaves for the end of its
// transaction, so that the receiver signs its receipts with a checkpoint of the tree that very
// transaction commits, without a second commit. On real SQLite files.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'

function open(t: { teardown(fn: () => void): void }): Db {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-hook-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  db.sqlite.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)')
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return db
}
const put = (db: Db, k: string, v = k) => db.sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run(k, v)
const get = (db: Db, k: string) => db.sqlite.prepare('SELECT v FROM kv WHERE k = ?').pluck().get(k) as string | undefined

t.test('hooks run after every fn of the batch, in the same transaction, and learn of the commit', async (t) => {
  const db = open(t)
  const seen: string[] = []
  const commitsBefore = db.stats.commits
  const writes = ['a', 'b', 'c'].map((k) => db.write(() => {
    put(db, k)
    db.beforeCommit(() => {
      // Every fn of the batch has run: the hook sees all three rows.
      seen.push(`${k}:${['a', 'b', 'c'].filter((x) => get(db, x) !== undefined).join('')}`)
      t.ok(db.batchId !== undefined, 'inside the transaction')
      put(db, `${k}-receipt`)
    }, () => seen.push(`${k}:committed`))
    return k
  }))
  t.same(await Promise.all(writes), ['a', 'b', 'c'])
  t.same(seen, ['a:abc', 'b:abc', 'c:abc', 'a:committed', 'b:committed', 'c:committed'])
  t.equal(db.stats.commits - commitsBefore, 1, 'one commit for the fns and their hooks')
  t.equal(get(db, 'b-receipt'), 'b-receipt')
  t.equal(db.batchId, undefined, 'outside a transaction')
})

t.test('a hook that throws loses only its own work; a fn that throws takes its hooks with it', async (t) => {
  const db = open(t)
  const committed: string[] = []
  const ok = db.write(() => {
    put(db, 'kept')
    db.beforeCommit(() => {
      put(db, 'half')
      throw new Error('signing failed')
    }, () => committed.push('failed hook'))
  })
  const bad = db.write(() => {
    put(db, 'gone')
    db.beforeCommit(() => put(db, 'gone-receipt'), () => committed.push('dropped hook'))
    throw new Error('refused')
  })
  const good = db.write(() => {
    db.beforeCommit(() => put(db, 'after'), () => committed.push('good hook'))
  })
  await ok
  await t.rejects(bad, /refused/)
  await good
  t.equal(get(db, 'kept'), 'kept', "the fn's changes commit")
  t.equal(get(db, 'half'), undefined, "the failed hook's changes roll back")
  t.equal(get(db, 'gone'), undefined)
  t.equal(get(db, 'gone-receipt'), undefined, "a failed fn's hook never runs")
  t.equal(get(db, 'after'), 'after')
  t.same(committed, ['good hook'])
})

t.test('outside a write() fn, beforeCommit is refused', async (t) => {
  const db = open(t)
  t.throws(() => db.beforeCommit(() => {}), /only for a write\(\) fn/)
})

t.test('a failed COMMIT never calls committed', async (t) => {
  const db = open(t)
  const committed: string[] = []
  db.sqlite.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)')
  // A deferred foreign key fails at COMMIT: the whole batch is rolled back.
  const w = db.write(() => {
    db.sqlite.prepare('INSERT INTO child (p) VALUES (42)').run()
    db.beforeCommit(() => put(db, 'signed'), () => committed.push('released'))
  })
  await t.rejects(w)
  t.same(committed, [], 'nothing signed in that transaction is released')
  t.equal(get(db, 'signed'), undefined)
})

t.test('afterCommit (issue 16 item 1): runs once the batch committed, never for a fn that threw; at once outside a transaction', async (t) => {
  const db = open(t)
  const seen: string[] = []
  const writes = ['a', 'b', 'c'].map((k) => db.write(() => {
    put(db, k)
    // The callback runs after COMMIT returned: no transaction is open any more.
    db.afterCommit(() => seen.push(`${k}:${db.sqlite.inTransaction ? 'in-tx' : 'committed'}`))
    if (k === 'b') throw new Error('b fails')
    return k
  }).catch(() => 'failed'))
  t.same(seen, [], 'nothing before the batch runs')
  t.same(await Promise.all(writes), ['a', 'failed', 'c'])
  t.same(seen, ['a:committed', 'c:committed'], 'the fn that threw took its callback with it')
  db.afterCommit(() => seen.push('outside'))
  t.same(seen.at(-1), 'outside', 'outside a transaction: at once')
})
