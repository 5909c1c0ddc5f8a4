// Migration 027 (issue 20 §4, §6): events stored before the upgrade read as new ones do.
import t from 'tap'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'

t.test('migration 027 renames data.notice to noticeMessageId, makes register years Buddhist-era, and leaves other events alone', async (t) => {
  const db = new Database(':memory:')
  db.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version < 27)) db.exec(m.sql) })()
  const insert = db.prepare('INSERT INTO events (agency, type, data_json, at) VALUES (?, ?, ?, 1)')
  insert.run('moi', 'letter.accepted', JSON.stringify({ notice: 'n1', recipient: 'mof', register: { book: 'receive', year: 2026, number: 7 } }))
  insert.run('mof', 'letter.received', JSON.stringify({ from: 'moi', urgency: 'NORMAL' }))
  db.transaction(() => db.exec(MIGRATIONS.find((m) => m.version === 27)!.sql))()
  const rows = db.prepare('SELECT data_json FROM events ORDER BY id').pluck().all() as string[]
  const accepted = JSON.parse(rows[0]!)
  t.equal(accepted.noticeMessageId, 'n1')
  t.notOk('notice' in accepted, 'the old member is gone')
  t.same(accepted.register, { book: 'receive', year: 2569, number: 7 }, 'the register year is Buddhist-era')
  t.same(JSON.parse(rows[1]!), { from: 'moi', urgency: 'NORMAL' }, 'an event without a notice is unchanged')
})
