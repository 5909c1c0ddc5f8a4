// Migration 040 (issue 16 item 3, issue 14 §6): received letters' receipts move to inbox_receipts, a
// row of their own, so that storing one no longer rewrites its letter's row. Rows from before read as
// they did, and the move appends nothing to the log (their entries were appended when they were signed).
import t from 'tap'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Db, InboxStore } from '../../src/storage/index.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'

t.test('migration 040 moves each stored receipt beside its letter, keeps pending ones pending, and appends nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-m040-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'saraban.sqlite')
  const old = new Database(file)
  old.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version < 40)) old.exec(m.sql) })()
  old.pragma('user_version = 39')
  const insert = old.prepare(`INSERT INTO inbox_messages (message_id, recipient_agency, sender_agency, profile, envelope_sha256, letter_json, signer_json, received_at, receipt)
    VALUES (?, 'mof', 'moi', 'jose-v1', 'aa', '{"subject":"ทดสอบ"}', '{}', ?, ?)`)
  insert.run('signed', 1, 'receipt-text')
  insert.run('pending', 2, '')
  old.prepare('DELETE FROM log_pending').run()
  old.close()
  chmodSync(file, 0o600) // better-sqlite3 made it 0644; the node opens only private files

  const db = Db.open(file)
  t.teardown(() => db.close())
  t.equal(db.sqlite.pragma('user_version', { simple: true }), 40)
  const inbox = new InboxStore(db)
  t.equal(inbox.peek('signed')!.receipt, 'receipt-text', 'a stored receipt reads as before')
  t.equal(inbox.get('signed')!.receipt, 'receipt-text')
  t.equal(inbox.peek('pending')!.receipt, '', 'a pending one is still pending')
  t.equal(db.sqlite.prepare('SELECT count(*) FROM log_pending').pluck().get(), 0, 'the move appended nothing to the log')
  t.notOk((db.sqlite.prepare('PRAGMA table_info(inbox_messages)').all() as Array<{ name: string }>).some((c) => c.name === 'receipt'), 'the old column is gone')

  // The pending one is signed now: one row, logged once; a second receipt for it is refused.
  t.ok(await db.write(() => inbox.setReceipt('pending', 'later')))
  t.notOk(await db.write(() => inbox.setReceipt('pending', 'another')), 'one receipt per message (PROTOCOL.md §7.1)')
  t.equal(inbox.peek('pending')!.receipt, 'later')
  t.same(db.sqlite.prepare('SELECT source, ref FROM log_pending').all(), [{ source: 'inbox-receipt', ref: '["pending"]' }], 'its message.stored entry is pending once')
  // A letter removed takes its receipt with it.
  db.sqlite.prepare("DELETE FROM inbox_messages WHERE message_id = 'signed'").run()
  t.equal(db.sqlite.prepare("SELECT count(*) FROM inbox_receipts WHERE message_id = 'signed'").pluck().get(), 0)
})
