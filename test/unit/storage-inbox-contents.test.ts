// The inbox keeps the content a circular's envelopes share once per node (migration 012, PROTOCOL.md
// §17.1) on a real SQLite file: dedupe across recipients, byte-exact envelopes (SHA-256 = the digest
// the receipt signed), rows written before the migration, atomicity, and damage found on read.
import t from 'tap'
import { chmodSync } from 'node:fs'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Db, InboxStore, type InboxAttachmentMeta, type NewInboxMessage } from '../../src/storage/index.js'
import { MIN_SHARED_CONTENT_BYTES, sharedContent } from '../../src/storage/inbox.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { sqliteOnly } from '../helpers/engine.js'

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

function tmpFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-inbox-cas-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'saraban.sqlite')
}

function open(t: { teardown(fn: () => void): void }, file = tmpFile(t)): { db: Db; inbox: InboxStore; file: string } {
  const db = Db.open(file)
  t.teardown(() => db.close())
  return { db, inbox: new InboxStore(db), file }
}

/** One recipient's envelope of a circular: its own head and tail around the shared bytes. */
function part(shared: Buffer, to: string, over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  const head = Buffer.from(`{"head-of":"${to}","pad":"${randomBytes(40).toString('hex')}","ciphertext":"`)
  const tail = Buffer.from(`","to":"${to}","tag":"${randomBytes(16).toString('base64url')}"}`)
  const envelope = Buffer.concat([head, shared, tail])
  return {
    messageId: randomUUID(), recipientAgency: to, senderAgency: 'hq', profile: 'jose-v2', envelope, envelopeSha256: sha256(envelope),
    letterJson: '{"subject":"หนังสือเวียน"}', signerJson: '{"agency":"hq"}', receivedAt: 1_000, receipt: `receipt-${randomUUID()}`,
    senderLetterId: 'letter-1', content: sharedContent(envelope, { start: head.length, end: head.length + shared.length }), ...over,
  }
}

const att = (bytes: Buffer): InboxAttachmentMeta => ({ id: 'a1', filename: 'circular.pdf', mediaType: 'application/pdf', size: bytes.length, sha256: sha256(bytes) })
const count = (db: Db, sql: string): number => db.sqlite.prepare(sql).pluck().get() as number

t.test('recipients of one circular on one node: the shared content is stored once, every envelope byte-exact', async (t) => {
  const { db, inbox, file } = open(t)
  const shared = randomBytes(300_000)
  const parts = Array.from({ length: 12 }, (_, i) => part(shared, `a${String(i).padStart(2, '0')}`))
  // some in one group-commit batch (as concurrent deliveries are), some one by one
  await Promise.all(parts.slice(0, 8).map((m) => db.write(() => inbox.insert(m, [att(shared)]))))
  for (const m of parts.slice(8)) t.same(await db.write(() => inbox.insert(m, [att(shared)])), { inserted: true })
  t.equal(count(db, 'SELECT count(*) FROM inbox_contents'), 1, 'one content row')
  t.equal(count(db, 'SELECT sum(length(bytes)) FROM inbox_contents'), shared.length)
  const perRecipient = count(db, 'SELECT sum(length(bytes) + length(tail)) FROM inbox_envelopes')
  t.ok(perRecipient < 12 * 200, `12 heads and tails take ${perRecipient} bytes`)
  t.equal(count(db, 'SELECT count(DISTINCT content_sha256) FROM inbox_envelopes'), 1)
  for (const m of parts) {
    const got = inbox.getEnvelope(m.messageId)!
    t.ok(got.equals(m.envelope), `${m.recipientAgency}: head ‖ content ‖ tail is the envelope received`)
    t.equal(sha256(got), m.envelopeSha256)
  }
  await db.close()
  const again = new InboxStore(Db.open(file))
  t.ok(again.getEnvelope(parts[5]!.messageId)!.equals(parts[5]!.envelope), 'and after a reopen')
})

t.test('a retried message id answers with the first receipt and stores nothing more', async (t) => {
  const { db, inbox } = open(t)
  const shared = randomBytes(100_000)
  const m = part(shared, 'a01')
  await db.write(() => inbox.insert(m, []))
  const retry = await db.write(() => inbox.insert({ ...m, receipt: 'second' }, []))
  t.same(retry, { inserted: false, envelopeSha256: m.envelopeSha256, receipt: m.receipt })
  t.equal(count(db, 'SELECT count(*) FROM inbox_envelopes'), 1)
  t.equal(count(db, 'SELECT count(*) FROM inbox_contents'), 1)
})

t.test('sharedContent: only a span worth a row of its own, checked against the envelope', async (t) => {
  const env = randomBytes(MIN_SHARED_CONTENT_BYTES + 100)
  t.equal(sharedContent(env, undefined), undefined, 'no span (jose-v1, a one-to-one letter)')
  t.equal(sharedContent(env, { start: 10, end: 10 + MIN_SHARED_CONTENT_BYTES - 1 }), undefined, 'too small')
  t.same(sharedContent(env, { start: 50, end: 50 + MIN_SHARED_CONTENT_BYTES }), { start: 50, end: 50 + MIN_SHARED_CONTENT_BYTES, sha256: sha256(env.subarray(50, 50 + MIN_SHARED_CONTENT_BYTES)) })
  t.throws(() => sharedContent(env, { start: 0, end: env.length + 1 }), RangeError)
  const { db, inbox } = open(t)
  const m = part(randomBytes(1000), 'a01')
  t.equal(m.content, undefined)
  await db.write(() => inbox.insert(m, []))
  t.same(db.sqlite.prepare('SELECT content_sha256 AS c, tail FROM inbox_envelopes').get(), { c: null, tail: null }, 'a small envelope is stored whole')
  t.ok(inbox.getEnvelope(m.messageId)!.equals(m.envelope))
  t.throws(() => inbox.insert({ ...part(randomBytes(1000), 'a02'), content: { start: 5, end: 99_999, sha256: 'ab'.repeat(32) } }, []), RangeError, 'a span outside the envelope')
})

t.test('a failed insert leaves nothing: no message, no envelope, no content row', async (t) => {
  const { db, inbox } = open(t)
  const shared = randomBytes(64_000)
  const liar = { ...att(shared), size: -1 }
  const first = part(shared, 'a01')
  await t.rejects(db.write(() => inbox.insert(first, [liar])), { code: 'SQLITE_CONSTRAINT_CHECK' })
  t.equal(inbox.peek(first.messageId), undefined)
  t.equal(inbox.getEnvelope(first.messageId), undefined)
  t.equal(count(db, 'SELECT count(*) FROM inbox_contents'), 0, 'the content it brought is rolled back with it')
  // the same in a batch with a good one: the good one keeps the content
  const good = part(shared, 'a02')
  const bad = part(shared, 'a03')
  const [g, b] = await Promise.allSettled([db.write(() => inbox.insert(good, [att(shared)])), db.write(() => inbox.insert(bad, [liar]))])
  t.same([g.status, b.status], ['fulfilled', 'rejected'])
  t.equal(count(db, 'SELECT count(*) FROM inbox_contents'), 1)
  t.equal(count(db, 'SELECT count(*) FROM inbox_envelopes'), 1)
  t.ok(inbox.getEnvelope(good.messageId)!.equals(good.envelope))
  t.same(await db.write(() => inbox.insert(first, [])), { inserted: true }, 'the failed id is still free')
  t.ok(inbox.getEnvelope(first.messageId)!.equals(first.envelope))
})

t.test('damage is an error on read, never other bytes; a damaged content row is not reused', async (t) => {
  const { db, inbox } = open(t)
  const shared = randomBytes(50_000)
  const [a, b] = [part(shared, 'a01'), part(shared, 'a02')]
  await db.write(() => inbox.insert(a, []))
  const key = a.content!.sha256
  const flipped = Buffer.from(shared)
  flipped[777]! ^= 1
  db.sqlite.prepare('UPDATE inbox_contents SET bytes = ? WHERE sha256 = ?').run(flipped, key)
  t.throws(() => inbox.getEnvelope(a.messageId), { code: 'ERR_INTERNAL' }, 'a flipped content byte')
  // a content row of another length under the digest: b is stored whole rather than referring to it
  db.sqlite.prepare('UPDATE inbox_contents SET bytes = ? WHERE sha256 = ?').run(shared.subarray(1), key)
  await db.write(() => inbox.insert(b, []))
  t.same(db.sqlite.prepare('SELECT content_sha256 AS c, length(bytes) AS n FROM inbox_envelopes WHERE message_id = ?').get(b.messageId), { c: null, n: b.envelope.length })
  t.ok(inbox.getEnvelope(b.messageId)!.equals(b.envelope))
  // the damage: the content rows gone from under their envelopes (PostgreSQL: its FK triggers off)
  if (db.engine === 'postgresql') db.sqlite.exec('SET session_replication_role = replica')
  else db.sqlite.pragma('foreign_keys = OFF')
  db.sqlite.prepare('DELETE FROM inbox_contents').run()
  t.throws(() => inbox.getEnvelope(a.messageId), { code: 'ERR_INTERNAL' }, 'a missing content row')
})

t.test('rows written before migration 012 still read, and new rows share content beside them', sqliteOnly, async (t) => {
  const file = tmpFile(t)
  const old = new Database(file)
  for (const m of MIGRATIONS.slice(0, 11)) old.exec(m.sql)
  old.pragma('user_version = 11')
  const envelope = randomBytes(40_000)
  const id = randomUUID()
  old.prepare(`INSERT INTO inbox_messages (message_id, recipient_agency, sender_agency, profile, envelope_sha256, letter_json, signer_json, received_at, receipt)
    VALUES (?, 'moi', 'mof', 'cms-v1', ?, '{}', '{}', 1, 'r')`).run(id, sha256(envelope))
  old.prepare('INSERT INTO inbox_envelopes (message_id, bytes) VALUES (?, ?)').run(id, envelope)
  old.close()
  chmodSync(file, 0o600) // a file made before issue 13 §1 is 0644: the node refuses it until the operator runs chmod, as it says

  const { db, inbox } = open(t, file)
  t.equal(db.sqlite.pragma('user_version', { simple: true }), MIGRATIONS[MIGRATIONS.length - 1]!.version)
  t.ok(inbox.getEnvelope(id)!.equals(envelope), 'the old row is the whole envelope')
  const shared = randomBytes(30_000)
  const m = part(shared, 'moi')
  await db.write(() => inbox.insert(m, []))
  t.ok(inbox.getEnvelope(m.messageId)!.equals(m.envelope))
  t.ok(inbox.getEnvelope(id)!.equals(envelope))
})
