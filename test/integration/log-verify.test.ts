// `saraban-node log verify` on real nodes' databases (issue 14 "How it is proven", PROTOCOL.md §20.3):
// two nodes exchange letters over real mTLS (delivered, registered with an acceptance notice back,
// rejected), take and cancel register numbers and write access-record entries; then every tamper of
// the table below, made on a copy of a node's SQLite file by an adversary who also empties
// log_pending, is found, and the untouched copies verify clean.
import t from 'tap'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import Database from 'better-sqlite3'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet } from '../helpers/nodes.js'
import { AccessRecord } from '../../src/services/classified/access-record.js'
import { verifyLog } from '../../src/services/log/verify.js'
import { appendLeaf, LogStore, openReadOnly } from '../../src/storage/log.js'
import { checkpointBody, logOrigin } from '../../src/tlog/checkpoint.js'

let net: TestNet
const work = mkdtempSync(join(tmpdir(), 'saraban-log-verify-'))
const files: Record<string, string> = {}

t.before(async () => {
  net = await testNet(['moi', 'mof'], { log: process.env.LOG_VERIFY_DEBUG === '1' })
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const cfg = JSON.parse(readFileSync(moi.configFile, 'utf8'))
  cfg.agencies[0].ownerCode = 'มท 0201.2' // the send book numbers letters (README "Registers")
  writeFileSync(moi.configFile, JSON.stringify(cfg))
  await moi.start()
  await mof.start()
  const ids: string[] = []
  for (let i = 0; i < 4; i++) {
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `เรื่องที่ ${i}` }) })
    if (sent.status !== 202) throw new Error(`send: ${JSON.stringify(sent.body)}`)
    ids.push(sent.body.id)
  }
  const mids: string[] = []
  for (const id of ids) mids.push((await waitForRecipient(moi, id, 'delivered')).recipients[0].messageId)
  // registered (receive number; the acceptance notice goes back) and rejected
  for (const mid of mids.slice(0, 2)) {
    const r = await call(mof, 'POST', `/api/v1/inbox/${mid}/register`, { action: 'เสนอปลัด' })
    if (r.status !== 200) throw new Error(`register: ${JSON.stringify(r.body)}`)
  }
  const rej = await call(mof, 'POST', `/api/v1/inbox/${mids[2]}/reject`, { reasonCode: 'other', reason: 'ส่งผิดหน่วยงาน' })
  if (rej.status !== 200) throw new Error(`reject: ${JSON.stringify(rej.body)}`)
  await waitFor('the notices delivered', async () => {
    const states = await Promise.all(ids.slice(0, 3).map(async (id) => (await call(moi, 'GET', `/api/v1/letters/${id}`)).body.recipients[0].state))
    return states.join() === 'accepted,accepted,rejected' ? true : undefined
  })
  // register numbers taken by the saraban system, one cancelled
  for (let i = 0; i < 3; i++) {
    const n = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: `บันทึก ${i}`, to: 'กระทรวงการคลัง' })
    if (n.status !== 201) throw new Error(`number: ${JSON.stringify(n.body)}`)
  }
  const taken = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'ยกเลิก' })
  const c = await call(moi, 'POST', `/api/v1/registers/send/entries/${taken.body.year}/${taken.body.number}/cancel`, { reason: 'ออกเลขซ้ำ' })
  if (c.status !== 200) throw new Error(`cancel: ${JSON.stringify(c.body)}`)
  // access-record entries (PROTOCOL.md §19.7) through the node's own AccessRecord
  const ctx = moi.ctx!
  const access = new AccessRecord({ db: ctx.db, store: ctx.classified, clock: { now: () => Date.now() }, node: 'test-node' })
  for (let i = 0; i < 3; i++) await access.refused({ agency: 'moi', event: 'download', rule: 'scope-classified', apiKey: `key-${i}`, code: 'ERR_FORBIDDEN' })
  // our checkpoint (the signer is log-witness's; here the body is stored as the signed payload)
  // Both logs get one covering everything so far: a reordering is caught by the root a checkpoint
  // signed (the entries still match their rows), whatever the first entries of a run happen to be.
  for (const [agency, n] of [['moi', moi], ['mof', mof]] as const) {
    const store = new LogStore(n.ctx!.db.sqlite)
    const h = store.head(agency)
    const time = new Date().toISOString()
    await n.ctx!.db.write(() => store.saveCheckpoint({ agency, size: h.size, root: h.root, time, jws: unsignedJws(agency, h.size, h.root, time), signedAt: Date.now() }))
  }
  for (const n of [moi, mof]) files[n.id] = join(n.ctx!.config.dataDir, 'saraban.sqlite')
  await moi.stop()
  await mof.stop()
})
t.teardown(async () => {
  await net?.stop()
  rmSync(work, { recursive: true, force: true })
})

/** A checkpoint in the JWS shape with the body as payload (signing is log-witness's: §20.4). */
function unsignedJws(agency: string, size: number, root: Buffer, time: string): string {
  const b = (s: string) => Buffer.from(s).toString('base64url')
  return `${b('{"alg":"none"}')}.${b(checkpointBody({ origin: logOrigin(agency), size, root, time }))}.`
}

let copies = 0
/** A copy of a node's database, tampered by `sql` (or a function), with log_pending emptied after. */
function tampered(node: 'moi' | 'mof', change: string | ((db: Database.Database) => void)): string {
  const dir = join(work, `copy-${++copies}`)
  mkdirSync(dir)
  const file = join(dir, 'saraban.sqlite')
  copyFileSync(files[node]!, file)
  const db = new Database(file)
  db.pragma('foreign_keys = OFF')
  if (typeof change === 'string') db.exec(change)
  else change(db)
  db.exec('DELETE FROM log_pending')
  db.close()
  return file
}

function verifyFile(file: string) {
  const db = openReadOnly(file)
  try {
    return verifyLog(db)
  } finally {
    db.close()
  }
}

/** Rewrites one log from its (edited) entries: leaf hashes, subtrees and head consistent again. */
function rebuildTree(db: Database.Database, agency: string): void {
  const entries = db.prepare('SELECT entry FROM log_entries WHERE agency = ? ORDER BY idx').pluck().all(agency) as Buffer[]
  db.prepare('DELETE FROM log_entries WHERE agency = ?').run(agency)
  db.prepare('DELETE FROM log_nodes WHERE agency = ?').run(agency)
  db.prepare('DELETE FROM log_heads WHERE agency = ?').run(agency)
  for (const e of entries) appendLeaf(db, agency, e)
}

t.test('the untouched databases verify clean', async (t) => {
  for (const node of ['moi', 'mof'] as const) {
    const r = verifyFile(files[node]!)
    t.same(r.differences, [], `${node}: no difference`)
    t.ok(r.ok)
    t.ok(r.entriesChecked > 10, `${node}: ${r.entriesChecked} entries checked`)
    t.equal(r.entriesChecked, r.entriesRebuilt, `${node}: as many entries as the rows give`)
  }
  const moi = verifyFile(files.moi!).logs.find((l) => l.agency === 'moi')!
  t.ok(moi.checkpointSize !== null && moi.checkpointSize > 0, 'moi has a checkpoint')
  const types = (file: string) => new Set((new Database(file, { readonly: true }).prepare('SELECT entry FROM log_entries').pluck().all() as Buffer[]).map((e) => JSON.parse(e.toString()).type))
  for (const ty of ['message.sent', 'message.delivered', 'message.received', 'notice.received', 'register.taken', 'register.linked', 'register.cancelled', 'classified.access', 'key.in-use', 'trust.directory', 'trust.crl']) t.ok(types(files.moi!).has(ty), `moi logged ${ty}`)
  for (const ty of ['message.received', 'message.stored', 'message.sent', 'notice.sent', 'register.taken']) t.ok(types(files.mof!).has(ty), `mof logged ${ty}`)
})

interface Tamper {
  readonly name: string
  readonly node: 'moi' | 'mof'
  readonly change: string | ((db: Database.Database) => void)
}

// Letters, receipts, register entries, access records, notices, trust, and the log itself.
const TAMPERS: readonly Tamper[] = [
  // letters (the sender's)
  { name: 'letter text edited', node: 'moi', change: `UPDATE letters SET letter_json = replace(letter_json, 'เรื่องที่ 1', 'เรื่องอื่น') WHERE letter_json LIKE '%เรื่องที่ 1%'` },
  { name: 'sent letter deleted', node: 'moi', change: `DELETE FROM outbox_envelopes WHERE message_id = (SELECT message_id FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE l.kind = 'letter' ORDER BY m.rowid LIMIT 1);
      DELETE FROM outbox_messages WHERE message_id = (SELECT message_id FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE l.kind = 'letter' ORDER BY m.rowid LIMIT 1)` },
  { name: 'sent envelope digest changed', node: 'moi', change: `UPDATE outbox_messages SET envelope_sha256 = '${'0'.repeat(64)}' WHERE rowid = (SELECT min(rowid) FROM outbox_messages)` },
  { name: 'sent recipient changed', node: 'moi', change: `UPDATE outbox_messages SET recipient_agency = 'dga' WHERE rowid = (SELECT max(rowid) FROM outbox_messages WHERE status = 'delivered')` },
  { name: 'delivered letter set back to failed', node: 'moi', change: `UPDATE outbox_messages SET status = 'failed' WHERE rowid = (SELECT min(rowid) FROM outbox_messages WHERE status = 'delivered')` },
  { name: 'sent letters reordered (ids swapped)', node: 'moi', change: (db) => swap(db, 'outbox_messages', 'rowid', 'envelope_sha256') },
  // receipts
  { name: 'delivery receipt replaced', node: 'moi', change: `UPDATE outbox_messages SET receipt = (SELECT receipt FROM outbox_messages WHERE status = 'delivered' ORDER BY rowid DESC LIMIT 1)
      WHERE rowid = (SELECT min(rowid) FROM outbox_messages WHERE status = 'delivered')` },
  { name: 'our receipt of a received letter replaced', node: 'mof', change: `UPDATE inbox_messages SET receipt = (SELECT receipt FROM inbox_messages ORDER BY rowid DESC LIMIT 1) WHERE rowid = (SELECT min(rowid) FROM inbox_messages)` },
  // received letters (the recipient's)
  { name: 'received letter deleted', node: 'mof', change: `DELETE FROM inbox_attachments WHERE message_id = (SELECT message_id FROM inbox_messages ORDER BY rowid LIMIT 1 OFFSET 3);
      DELETE FROM inbox_envelopes WHERE message_id = (SELECT message_id FROM inbox_messages ORDER BY rowid LIMIT 1 OFFSET 3);
      DELETE FROM inbox_messages WHERE rowid = (SELECT rowid FROM inbox_messages ORDER BY rowid LIMIT 1 OFFSET 3)` },
  { name: 'received letter subject edited', node: 'mof', change: `UPDATE inbox_messages SET letter_json = replace(letter_json, 'เรื่องที่', 'เรื่องแก้') WHERE rowid = (SELECT min(rowid) FROM inbox_messages)` },
  { name: 'received time moved', node: 'mof', change: `UPDATE inbox_messages SET received_at = received_at - 86400000 WHERE rowid = (SELECT min(rowid) FROM inbox_messages)` },
  { name: 'received sender changed', node: 'mof', change: `UPDATE inbox_messages SET sender_agency = 'dga' WHERE rowid = (SELECT min(rowid) FROM inbox_messages)` },
  { name: 'received letters reordered (times swapped)', node: 'mof', change: (db) => swap(db, 'inbox_messages', 'rowid', 'received_at') },
  { name: 'fake received letter inserted', node: 'mof', change: `INSERT INTO inbox_messages (message_id, recipient_agency, sender_agency, profile, envelope_sha256, letter_json, signer_json, received_at, receipt)
      SELECT 'fake-' || message_id, recipient_agency, sender_agency, profile, envelope_sha256, letter_json, signer_json, received_at + 1, receipt FROM inbox_messages LIMIT 1` },
  // register entries
  { name: 'receive number renumbered', node: 'mof', change: `UPDATE register_entries SET number = number + 100 WHERE book = 'receive' AND number = 1` },
  { name: 'receive register entry deleted', node: 'mof', change: `DELETE FROM register_entries WHERE book = 'receive' AND number = 2` },
  { name: 'register entries reordered (numbers swapped)', node: 'mof', change: `UPDATE register_entries SET number = number + 1000 WHERE book = 'receive' AND number IN (1, 2);
      UPDATE register_entries SET number = CASE number WHEN 1001 THEN 2 ELSE 1 END WHERE book = 'receive' AND number IN (1001, 1002)` },
  { name: 'send register subject edited', node: 'moi', change: `UPDATE register_entries SET subject = 'แก้ไข' WHERE book = 'send' AND letter_id IS NULL AND status = 'active' AND number = (SELECT min(number) FROM register_entries WHERE book = 'send' AND letter_id IS NULL)` },
  { name: 'sent letter\'s register entry subject edited', node: 'moi', change: `UPDATE register_entries SET subject = 'แก้ไข' WHERE book = 'send' AND letter_id IS NOT NULL AND number = (SELECT min(number) FROM register_entries WHERE book = 'send' AND letter_id IS NOT NULL)` },
  { name: 'cancelled number restored', node: 'moi', change: `UPDATE register_entries SET status = 'active', cancelled_at = NULL, cancel_reason = NULL WHERE status = 'cancelled'` },
  { name: 'register time moved', node: 'moi', change: `UPDATE register_entries SET recorded_at = recorded_at + 1 WHERE book = 'send' AND number = 1` },
  { name: 'fake register entry inserted', node: 'mof', change: `INSERT INTO register_entries (agency, book, year, number, recorded_at, subject) SELECT agency, book, year, number + 1000, recorded_at, 'ปลอม' FROM register_entries WHERE book = 'receive' LIMIT 1` },
  // notices
  { name: 'acceptance notice deleted', node: 'moi', change: `DELETE FROM notice_envelopes WHERE message_id = (SELECT message_id FROM notices WHERE direction = 'in' AND type = 'accepted' LIMIT 1);
      DELETE FROM notices WHERE message_id = (SELECT message_id FROM notices WHERE direction = 'in' AND type = 'accepted' LIMIT 1)` },
  { name: 'rejection turned into an acceptance', node: 'moi', change: `UPDATE notices SET type = 'accepted' WHERE type = 'rejected'` },
  { name: 'sent notice edited', node: 'mof', change: `UPDATE notices SET notice_json = replace(notice_json, 'ส่งผิดหน่วยงาน', 'อื่น') WHERE direction = 'out'` },
  // access records (PROTOCOL.md §19.7)
  { name: 'access record edited', node: 'moi', change: `UPDATE classified_access SET record = replace(record, 'key-1', 'key-9') WHERE record LIKE '%key-1%'` },
  { name: 'access record deleted', node: 'moi', change: `DELETE FROM classified_access WHERE seq = (SELECT min(seq) FROM classified_access)` },
  { name: 'access records reordered', node: 'moi', change: (db) => swap(db, 'classified_access', 'seq', 'record') },
  { name: 'fake access record inserted', node: 'moi', change: `INSERT INTO classified_access (agency, item_id, at, record, record_sha256) SELECT agency, item_id, at + 1, record, record_sha256 FROM classified_access LIMIT 1` },
  // trust taken into use
  { name: 'directory history deleted', node: 'mof', change: 'DELETE FROM directory_history' },
  { name: 'CRL replaced', node: 'mof', change: 'UPDATE crl_history SET der = der || x\'00\'' },
  { name: 'key in use replaced', node: 'moi', change: `UPDATE log_keys SET cert_sha256 = '${'c'.repeat(64)}' WHERE role = 'signing'` },
  // the log itself
  { name: 'log truncated (entries, subtrees and head made consistent again)', node: 'moi', change: (db) => truncate(db, 'moi', 3) },
  { name: 'log truncated with the rows of its last entries', node: 'moi', change: (db) => {
    // the last entries are the access records: delete them too, so every row has its entry
    db.exec('DELETE FROM classified_access WHERE seq > (SELECT min(seq) FROM classified_access)')
    truncate(db, 'moi', 2)
  } },
  { name: 'log entry deleted in the middle', node: 'mof', change: `DELETE FROM log_entries WHERE agency = 'mof' AND idx = 3` },
  { name: 'log entry rewritten (leaf hash, subtrees and head recomputed)', node: 'mof', change: (db) => {
    const e = db.prepare(`SELECT entry FROM log_entries WHERE agency = 'mof' AND idx = 2`).pluck().get() as Buffer
    db.prepare(`UPDATE log_entries SET entry = ? WHERE agency = 'mof' AND idx = 2`).run(Buffer.from(e.toString().replace(/"at":"[^"]+"/, '"at":"2020-01-01T00:00:00.000Z"')))
    rebuildTree(db, 'mof')
  } },
  { name: 'leaf hash edited', node: 'mof', change: `UPDATE log_entries SET leaf_hash = zeroblob(32) WHERE agency = 'mof' AND idx = 1` },
  // Bytes that are not JSON at all (not only an edited member): reported as that entry, not a crash.
  { name: 'log entry overwritten with bytes that are not JSON', node: 'mof', change: `UPDATE log_entries SET entry = x'00ff7b' WHERE agency = 'mof' AND idx = 2` },
  { name: 'log entries reordered (tree rebuilt)', node: 'mof', change: (db) => {
    swap(db, 'log_entries', 'idx', 'entry', `agency = 'mof'`)
    rebuildTree(db, 'mof')
  } },
  { name: 'a whole log deleted', node: 'mof', change: `DELETE FROM log_entries; DELETE FROM log_nodes; DELETE FROM log_heads` },
  { name: 'checkpoint root replaced', node: 'moi', change: `UPDATE log_checkpoints SET root = zeroblob(32)` },
]

/** Swaps `col` between the first row of `table` by `order` and the next one whose value differs (two
 *  letters received in the same millisecond have equal times: swapping those would change nothing). */
function swap(db: Database.Database, table: string, order: string, col: string, where = '1'): void {
  const rows = db.prepare(`SELECT ${order} AS k, ${col} AS v FROM ${table} WHERE ${where} ORDER BY ${order}`).all() as Array<{ k: unknown; v: unknown }>
  const a = rows[0]
  const b = rows.find((r) => a !== undefined && !sameValue(r.v, a.v))
  if (!a || !b) throw new Error(`swap: ${table} has no two rows with different ${col}`)
  const set = db.prepare(`UPDATE ${table} SET ${col} = ? WHERE ${order} = ? AND ${where}`)
  set.run(b.v, a.k)
  set.run(a.v, b.k)
}

function sameValue(x: unknown, y: unknown): boolean {
  return Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : x === y
}

/** Removes the last `k` entries and makes subtrees and head consistent with what is left. */
function truncate(db: Database.Database, agency: string, k: number): void {
  const size = db.prepare('SELECT size FROM log_heads WHERE agency = ?').pluck().get(agency) as number
  db.prepare('DELETE FROM log_entries WHERE agency = ? AND idx >= ?').run(agency, size - k)
  rebuildTree(db, agency)
}

t.test('every tamper is found', async (t) => {
  let found = 0
  for (const tamper of TAMPERS) {
    const file = tampered(tamper.node, tamper.change)
    const r = verifyFile(file)
    t.notOk(r.ok, `${tamper.name}: found`)
    if (!r.ok) found++
    const first = r.differences[0]
    t.ok(first && first.what.length > 0, `${tamper.name}: ${first ? `${first.agency} ${first.index ?? '-'} ${first.type}: ${first.what}` : 'nothing reported'}`)
  }
  t.equal(found, TAMPERS.length, `${found} of ${TAMPERS.length} tamper kinds found (100%)`)
})

t.test('the first difference names the entry, its type and what differs', async (t) => {
  const r = verifyFile(tampered('mof', `UPDATE inbox_messages SET received_at = received_at - 86400000 WHERE rowid = (SELECT min(rowid) FROM inbox_messages)`))
  const first = r.differences.find((d) => d.type === 'message.received')!
  t.ok(first, 'a message.received entry differs')
  t.type(first.index, 'number')
  t.match(first.what, /receivedAt: logged "[^"]+", the rows give "[^"]+"/)
  const trunc = verifyFile(tampered('moi', (db) => truncate(db, 'moi', 3)))
  t.ok(trunc.differences.some((d) => d.type === 'checkpoint' && /truncated/.test(d.what)), 'truncation: the checkpoint is larger than the log')
})

t.test('the CLI: exit 0 intact, 1 differs, 2 unreadable', async (t) => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'log', 'verify', ...args], { encoding: 'utf8' })
  const cleanDir = join(work, 'clean')
  mkdirSync(cleanDir)
  copyFileSync(files.mof!, join(cleanDir, 'saraban.sqlite'))
  const ok = run(['--data-dir', cleanDir])
  t.equal(ok.status, 0, ok.stdout + ok.stderr)
  t.match(ok.stdout, /VERDICT: INTACT/)
  const bad = run(['--data-dir', join(tampered('mof', `DELETE FROM register_entries WHERE book = 'receive' AND number = 2`), '..')])
  t.equal(bad.status, 1)
  t.match(bad.stdout, /✗ mof #\d+ register\.taken: no row gives this entry/)
  const none = run(['--data-dir', join(work, 'nowhere')])
  t.equal(none.status, 2)
  t.match(none.stderr, /does not exist/)
})
