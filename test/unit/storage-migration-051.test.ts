// Migration 051 (issue 14 §6): entries stored before the upgrade get the `entry_at` their bytes give
// (storage/log.ts entryTime), are found by their bytes through the new index, and verify clean; a
// copy still at an older version is verified as before (no such column).
import t from 'tap'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { appendLeaves, entryTime, LogStore } from '../../src/storage/log.js'
import { leafHash } from '../../src/tlog/hash.js'
import { verifyLog } from '../../src/services/log/verify.js'

const ENTRIES = [
  '{"agency":"moi","at":"2026-12-06T03:04:05.678Z","mid":"m-1","type":"message.sent","v":1}',
  '{"about":"ก-ข","agency":"moi","at":"2026-12-06T03:04:06.000Z","mid":"m-2","type":"notice.sent","v":1}',
  '{"i":3}',
  '{"at":"a\\"b","v":1}',
].map((e) => Buffer.from(e))

t.test('migration 051 fills entry_at from the entries\' bytes, as the node computes it', async (t) => {
  const db = new Database(':memory:')
  db.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version < 51)) db.exec(m.sql) })()
  const old = new LogStore(db)
  ENTRIES.forEach((e, i) => db.prepare('INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES (?, ?, ?, ?)').run('moi', i, e, leafHash(e)))
  db.prepare('INSERT INTO log_heads (agency, size, range, root) VALUES (?, 4, ?, ?)').run('moi', Buffer.alloc(32), Buffer.alloc(32))
  t.equal(old.indexOf('moi', ENTRIES[1]!), 1, 'before 051: found through the leaf-hash index')
  t.same([...old.iterateEntries('moi')].map((e) => e.entryAt), [undefined, undefined, undefined, undefined], 'before 051: no column read')
  db.transaction(() => db.exec(MIGRATIONS.find((m) => m.version === 51)!.sql))()
  const cols = db.prepare('SELECT entry_at FROM log_entries ORDER BY idx').pluck().all()
  t.same(cols, ['2026-12-06T03:04:05.678Z', '2026-12-06T03:04:06.000Z', '', 'a\\'])
  t.same(cols, ENTRIES.map((e) => entryTime(e)), 'the same as entryTime of the bytes')
  const store = new LogStore(db)
  ENTRIES.forEach((e, i) => t.equal(store.indexOf('moi', e), i, `entry ${i} found by its bytes`))
  t.equal(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'log_entries_leaf'`).pluck().get(), 0, 'the leaf-hash index is gone')
  // Appended after it: the column is written with the entry.
  appendLeaves(db, 'mof', [Buffer.from('{"agency":"moi","at":"2026-12-07T00:00:00.000Z","type":"x","v":1}')])
  t.equal(db.prepare(`SELECT entry_at FROM log_entries WHERE agency = 'mof' AND idx = 0`).pluck().get(), '2026-12-07T00:00:00.000Z')
  // A column edited by hand: the entry could no longer be found by its bytes, and verify says so.
  const times = () => verifyLog(db, { agency: 'moi' }).differences.map((d) => d.what).filter((w) => /entry_at/.test(w))
  t.same(times(), [], 'verify: every column as its entry gives it')
  db.prepare(`UPDATE log_entries SET entry_at = '2020-01-01T00:00:00.000Z' WHERE agency = 'moi' AND idx = 0`).run()
  t.equal(store.indexOf('moi', ENTRIES[0]!), undefined, 'not found any more')
  t.same(times(), ['the entry\'s entry_at column says "2020-01-01T00:00:00.000Z", its bytes "2026-12-06T03:04:05.678Z" (it cannot be found by its bytes)'])
})
