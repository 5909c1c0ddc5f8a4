// Envelope bytes over 1 MiB are stored as chunk rows (migration 036, issue 16 item 2) on a real SQLite
// file: every reader gets the exact bytes back (outbox whole and in parts, shared content, listings;
// inbox whole, in parts and by shared-content reference), a rolled-back transaction leaves no chunk,
// and chunks go with their owner (deleted, dropped staging, emptied by classified destruction).
import t from 'tap'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, InboxStore, OutboxStore, type NewInboxMessage, type NewLetter, type NewOutboxMessage } from '../../src/storage/index.js'
import { sharedContent } from '../../src/storage/inbox.js'
import { CHUNK_BYTES } from '../../src/storage/blob-chunks.js'
import { sqliteOnly } from '../helpers/engine.js'

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const BIG = 2 * CHUNK_BYTES + 12_345 // three chunks, the last one short

function open(t: { teardown(fn: () => void): void }): { db: Db; outbox: OutboxStore; inbox: InboxStore } {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-chunks-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, outbox: new OutboxStore(db, { now: () => 5_000 }), inbox: new InboxStore(db) }
}
const count = (db: Db, sql: string, ...args: unknown[]): number => db.sqlite.prepare(sql).pluck().get(...args) as number
const letter = (): NewLetter => ({ id: randomUUID(), senderAgency: 'moi', letterJson: '{"subject":"แผนที่"}', createdAt: 1_000 })
const message = (letterId: string, envelope: Buffer, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({
  messageId: randomUUID(), letterId, recipientAgency: 'mof', profile: 'jose-v1', envelope, envelopeSha256: sha256(envelope),
  contentKey: randomBytes(32), priority: 1, nextAttemptAt: 1_000, ...over,
})

t.test('outbox: a large envelope is stored in chunks and every reader gets its exact bytes', async (t) => {
  const { db, outbox } = open(t)
  const l = letter()
  const big = randomBytes(BIG)
  const small = randomBytes(1000)
  const [m, s] = [message(l.id, big), message(l.id, small, { recipientAgency: 'dga' })]
  await db.write(() => outbox.insertLetter(l, [m, s]))
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `oe:${m.messageId}`), 3)
  t.equal(count(db, 'SELECT length(bytes) FROM outbox_envelopes WHERE message_id = ?', m.messageId), 0, 'the row keeps an empty BLOB')
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `oe:${s.messageId}`), 0, 'a small envelope stays in its row')
  t.ok(outbox.getEnvelope(m.messageId)!.equals(big), 'getEnvelope')
  t.ok(outbox.getEnvelopeParts(m.messageId)!.head.equals(big), 'getEnvelopeParts')
  t.ok(outbox.getMessage(m.messageId)!.envelope.equals(big), 'getMessage')
  const listed = outbox.messagesForLetter(l.id, { withEnvelope: true }) as Array<{ messageId: string; envelope: Buffer }>
  t.ok(listed.find((x) => x.messageId === m.messageId)!.envelope.equals(big), 'messagesForLetter')
  t.ok(listed.find((x) => x.messageId === s.messageId)!.envelope.equals(small))

  // What a delivery sends (issue 16 item 2): the same bytes, read chunk by chunk as they are written.
  const lazy = outbox.getEnvelopePartsLazily(m.messageId)!.head
  t.notOk(Buffer.isBuffer(lazy), 'a chunked head is not read up front')
  t.equal(lazy.length, big.length)
  t.ok(Buffer.concat([...(lazy as { chunks(): Iterable<Buffer> }).chunks()]).equals(big), 'read lazily, byte-exact')
  t.ok((outbox.getEnvelopePartsLazily(s.messageId)!.head as Buffer).equals(small), 'a small head is a Buffer as before')

  // Classified destruction empties the outbox copy (storage/classified.ts): its chunks go with it.
  db.sqlite.prepare(`UPDATE outbox_envelopes SET bytes = x'' WHERE message_id = ?`).run(m.messageId)
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `oe:${m.messageId}`), 0)
  t.equal(outbox.getEnvelope(m.messageId)!.length, 0)
  t.throws(() => [...(lazy as { chunks(): Iterable<Buffer> }).chunks()], /changed while read/, 'a read begun before then fails rather than send other bytes')
})

t.test('outbox: large shared content and staged envelopes; a rolled-back letter leaves no chunk', async (t) => {
  const { db, outbox } = open(t)
  const l = letter()
  const shared = randomBytes(BIG)
  const head = Buffer.from('head.')
  const m = message(l.id, head, { contentRef: 'jose-v2' })
  const ids = await db.write(() => outbox.insertLetter(l, [m], [{ ref: 'jose-v2', profile: 'jose-v2', bytes: shared }]))
  const contentId = ids.get('jose-v2')!
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `oc:${contentId}`), 3)
  t.ok(outbox.getContent(contentId)!.equals(shared))
  const lazyContent = outbox.getContentLazily(contentId)!
  t.ok(Buffer.concat([...(lazyContent as { chunks(): Iterable<Buffer> }).chunks()]).equals(shared), 'content read lazily, byte-exact')
  t.ok(outbox.getEnvelope(m.messageId)!.equals(Buffer.concat([head, shared])), 'head ‖ content')

  // Staged while sealing (migration 015), then dropped: the chunks go too.
  const other = letter()
  await db.write(() => outbox.stageEnvelope(other.id, 'jose-v1', randomBytes(BIG)))
  t.equal(count(db, `SELECT count(*) FROM blob_chunks WHERE owner LIKE 'oc:%'`), 6)
  await db.write(() => outbox.dropSealing(other.id))
  t.equal(count(db, `SELECT count(*) FROM blob_chunks WHERE owner LIKE 'oc:%'`), 3)

  // The same letter id again fails inside the transaction: none of its chunks stay.
  const before = count(db, 'SELECT count(*) FROM blob_chunks')
  const again = message(l.id, randomBytes(BIG))
  await t.rejects(db.write(() => outbox.insertLetter(l, [again])))
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks'), before)
  t.equal(outbox.getEnvelope(again.messageId), undefined)
})

function inbound(envelope: Buffer, over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return {
    messageId: randomUUID(), recipientAgency: 'mof', senderAgency: 'moi', profile: 'jose-v1', envelope, envelopeSha256: sha256(envelope),
    letterJson: '{"subject":"แผนที่"}', signerJson: '{"agency":"moi"}', receivedAt: 1_000, receipt: `receipt-${randomUUID()}`, ...over,
  }
}

t.test('inbox: a large envelope, whole or around large shared content, reads back byte-exact', async (t) => {
  const { db, inbox } = open(t)
  const whole = inbound(randomBytes(BIG))
  t.same(await db.write(() => inbox.insert(whole, [])), { inserted: true })
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `ie:${whole.messageId}`), 3)
  t.ok(inbox.getEnvelope(whole.messageId)!.equals(whole.envelope))

  const shared = randomBytes(BIG)
  const parts = ['dga', 'mof'].map((to) => {
    const head = Buffer.from(`{"to":"${to}","ciphertext":"`)
    const envelope = Buffer.concat([head, shared, Buffer.from('"}')])
    return inbound(envelope, { recipientAgency: to, profile: 'jose-v2', senderLetterId: 'l1', content: sharedContent(envelope, { start: head.length, end: head.length + shared.length }) })
  })
  for (const p of parts) t.same(await db.write(() => inbox.insert(p, [])), { inserted: true })
  t.equal(count(db, `SELECT count(*) FROM blob_chunks WHERE owner LIKE 'ic:%'`), 3, 'the shared content once, in chunks')
  for (const p of parts) t.ok(inbox.getEnvelope(p.messageId)!.equals(p.envelope), `${p.recipientAgency}: byte-exact`)
  t.ok(inbox.contentFrom(sha256(shared), shared.length, ['moi'])!.equals(shared), 'a shared-content reference resolves (PROTOCOL.md §17.8)')
  t.equal(inbox.contentFrom(sha256(shared), shared.length - 1, ['moi']), undefined, 'not under another length')

  db.sqlite.prepare('DELETE FROM inbox_messages WHERE message_id = ?').run(whole.messageId)
  t.equal(count(db, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `ie:${whole.messageId}`), 0, 'the chunks go with their message (cascade)')
})

// PROTOCOL.md implementation note "A 100 MB letter end to end": the commit that stores chunk rows
// does not also copy them into the database file (SQLite's autocheckpoint, inside the COMMIT, before
// the caller's answer); the same checkpoint runs on the next turn. Measured through the database
// file's size: the chunks' pages reach it only when a checkpoint copies them out of the WAL.
t.test('a write that stores chunks is answered before the checkpoint, which follows on the next turn', sqliteOnly, async (t) => {
  const { db, outbox } = open(t)
  const fileSize = () => statSync(db.file).size
  const before = fileSize()
  const l = letter()
  const big = randomBytes(6 * CHUNK_BYTES) // more than SQLite's autocheckpoint threshold (1000 pages)
  const m = message(l.id, big)
  await db.write(() => outbox.insertLetter(l, [m]))
  t.ok(fileSize() < before + CHUNK_BYTES, 'answered while the chunks are only in the WAL')
  t.ok(outbox.getEnvelope(m.messageId)!.equals(big), 'and readable')
  await new Promise((r) => setImmediate(r))
  t.ok(fileSize() >= before + big.length, 'checkpointed on the next turn')
  // A small write afterwards is checkpointed by SQLite as before (the threshold is back).
  const l2 = letter()
  await db.write(() => outbox.insertLetter(l2, [message(l2.id, randomBytes(1000))]))
  t.equal(db.sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000)
})
