// Migration 022 rebuilds the notices and e-CMS queue tables to widen their CHECKs (the disputed notice,
// InvalidAcceptIDNotifier): rows, envelopes and queue order survive, the foreign key and the log trigger
// point at the new table, and no log leaf is repeated by the copy.
import t from 'tap'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'

t.test('migration 022 keeps every notice, envelope and queue item, and widens the types', async (t) => {
  const db = new Database(':memory:')
  db.pragma('foreign_keys = ON')
  db.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version <= 21)) db.exec(m.sql) })()
  db.exec(`INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at) VALUES ('n1', 'in', 'accepted', 'm1', 'mof', 'moi', '{}', 1)`)
  db.exec(`INSERT INTO notice_envelopes VALUES ('n1', x'00ff')`)
  db.exec(`INSERT INTO ecms_correlation (direction, agency, sender_agency, recipient_agency, ecms_letter_id, correspondence_date, sender_dept, receiver_dept, message_id, created_at)
    VALUES ('in', 'mof', 'moi', 'mof', 'มท 1', '2026-12-01', '15001', '03001', 'm1', 1)`)
  db.exec(`INSERT INTO ecms_queue (seq, process_id, agency, kind, correlation_id, facts_json, created_at) VALUES (7, 'p7', 'mof', 'GovernmentDocument', 1, '{}', 1)`)
  const pending = () => db.prepare('SELECT count(*) FROM log_pending').pluck().get() as number
  const before = pending()
  db.transaction(() => db.exec(MIGRATIONS.find((m) => m.version === 22)!.sql))()
  t.equal(pending(), before, 'the copy logs nothing again')
  t.same(db.prepare('SELECT message_id, hex(bytes) AS b FROM notice_envelopes').all(), [{ message_id: 'n1', b: '00FF' }])
  t.same(db.pragma('foreign_key_check'), [])
  t.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%_v8%' OR sql LIKE '%_v21%'").pluck().get(), 0, 'nothing refers to the old tables')
  db.exec(`INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at) VALUES ('n2', 'out', 'disputed', 'm1', 'moi', 'mof', '{}', 2)`)
  t.equal(pending(), before + 1, 'the log trigger is on the new table')
  t.throws(() => db.exec(`INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at) VALUES ('n3', 'out', 'disputed', 'm1', 'moi', 'mof', '{}', 3)`), /UNIQUE/, 'one dispute per letter envelope')
  db.exec(`INSERT INTO ecms_queue (process_id, agency, kind, correlation_id, facts_json, created_at) VALUES ('p8', 'mof', 'InvalidAcceptIDNotifier', 1, '{}', 2)`)
  t.same(db.prepare('SELECT seq, process_id FROM ecms_queue ORDER BY seq').all(), [{ seq: 7, process_id: 'p7' }, { seq: 8, process_id: 'p8' }], 'queue order continues')
  db.exec(`DELETE FROM notices WHERE message_id = 'n1'`)
  t.equal(db.prepare('SELECT count(*) FROM notice_envelopes').pluck().get(), 0, 'the envelope still cascades with its notice')
})
