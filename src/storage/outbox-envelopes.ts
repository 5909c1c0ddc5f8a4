// The stored envelopes of outbox messages: head ‖ content ‖ tail, where a circular's envelopes
// share their encrypted content, stored once per letter and profile in outbox_contents (PROTOCOL.md
// §17). A circular sealed per recipient is stored in batches while it is sealed (stageEnvelope,
// migration 015): each whole envelope waits as a content row no letter owns yet, which
// OutboxStore.insertLetter() adopts. Used through OutboxStore, which owns the transactions.
import type { Db } from './db.js'
import { preparer, type FullRow } from './outbox-sql.js'
import type { EnvelopeParts, NewOutboxMessage, OutboxMessage } from './outbox-types.js'
import { BlobChunks, isChunked, type ChunkedBytes, type ChunkWriter } from './blob-chunks.js'

const EMPTY = Buffer.alloc(0)

export class OutboxEnvelopes {
  readonly #s
  // Envelopes and contents over 1 MiB are stored in chunks (migration 036, issue 16 item 2).
  readonly #chunks: BlobChunks

  constructor(db: Db) {
    const p = preparer(db)
    this.#chunks = new BlobChunks(db)
    this.#s = {
      insertEnvelope: p('INSERT INTO outbox_envelopes (message_id, content_key, bytes, content_id, tail) VALUES (?, ?, ?, ?, ?)'),
      insertContent: p<number>('INSERT INTO outbox_contents (letter_id, profile, bytes) VALUES (?, ?, ?) RETURNING id').pluck(),
      stage: p<number>('INSERT INTO outbox_contents (letter_id, profile, bytes, sealing, sealed_by, staged_at) VALUES (NULL, ?, ?, ?, ?, ?) RETURNING id').pluck(),
      // Counted, not updated (migration 015): a staged row is adopted by the messages that point at it.
      staged: p<number>('SELECT count(*) FROM outbox_contents WHERE sealing = ?').pluck(),
      dropSealing: p('DELETE FROM outbox_contents WHERE sealing = ?'),
      // At start (migration 043): this process's earlier life's, those from before 043, and the stale.
      dropAllSealing: p(`DELETE FROM outbox_contents WHERE sealing IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM outbox_envelopes e WHERE e.content_id = outbox_contents.id)
        AND (sealed_by IS NULL OR sealed_by = @owner OR staged_at < @staleBefore)`),
      parts: p<{ head: Buffer; contentId: number | null; tail: Buffer | null }>('SELECT bytes AS head, content_id AS contentId, tail FROM outbox_envelopes WHERE message_id = ?'),
      content: p<Buffer>('SELECT bytes FROM outbox_contents WHERE id = ?').pluck(),
    }
  }

  /** Stores shared content bytes of a letter; returns their outbox_contents id. Sync; inside insertLetter()'s transaction. */
  insertContent(letterId: string, profile: string, bytes: Buffer): number {
    const id = Number(this.#s.insertContent.get(letterId, profile, isChunked(bytes) ? EMPTY : bytes))
    this.#chunks.store(`oc:${id}`, bytes)
    return id
  }

  /** Stores a message's envelope (head, content id, tail). Sync; inside insertLetter()'s transaction. */
  insertEnvelope(m: NewOutboxMessage, contentId: number | null): void {
    this.#s.insertEnvelope.run(m.messageId, m.contentKey, this.#chunks.store(`oe:${m.messageId}`, m.envelope), contentId, m.tail && m.tail.length > 0 ? m.tail : null)
  }

  /** See OutboxStore.stagedWriter. */
  contentWriter(contentId: number, firstSeq: number): ChunkWriter {
    return this.#chunks.writer(`oc:${contentId}`, firstSeq)
  }

  /** How many envelopes stageEnvelope() stored for this letter and no startup dropped. */
  stagedCount(letterId: string): number {
    return this.#s.staged.get(letterId)!
  }

  /** See OutboxStore.stageEnvelope. */
  stageEnvelope(letterId: string, profile: string, bytes: Buffer, owner: string, now: number): number {
    const id = Number(this.#s.stage.get(profile, isChunked(bytes) ? EMPTY : bytes, letterId, owner, now))
    this.#chunks.store(`oc:${id}`, bytes)
    return id
  }

  /** See OutboxStore.dropSealing and dropAbandonedSealing. */
  dropSealing(letterId: string): number {
    return this.#s.dropSealing.run(letterId).changes
  }

  dropAbandonedSealing(owner: string, staleBefore: number): number {
    return this.#s.dropAllSealing.run({ owner, staleBefore }).changes
  }

  /** The stored envelope bytes, put together (claims carry none; the worker sends the parts). */
  getEnvelope(messageId: string): Buffer | undefined {
    const p = this.getEnvelopeParts(messageId)
    if (p === undefined) return undefined
    if (p.contentId === null && p.tail.length === 0) return p.head
    return Buffer.concat([p.head, p.contentId === null ? Buffer.alloc(0) : this.getContent(p.contentId) ?? Buffer.alloc(0), p.tail])
  }

  /** The stored envelope as head ‖ content ‖ tail, without reading the shared content. */
  getEnvelopeParts(messageId: string): EnvelopeParts | undefined {
    const r = this.#s.parts.get(messageId)
    return r && { head: this.#chunks.load(`oe:${messageId}`, r.head), contentId: r.contentId, tail: r.tail ?? Buffer.alloc(0) }
  }

  /** As getEnvelopeParts(), with a head stored in chunks (over 1 MiB, migration 036) read only as it is
   *  sent (issue 16 item 2: a delivery does not hold a large envelope in memory). */
  getEnvelopePartsLazily(messageId: string): (Omit<EnvelopeParts, 'head'> & { head: Buffer | ChunkedBytes }) | undefined {
    const r = this.#s.parts.get(messageId)
    return r && { head: this.#chunks.lazy(`oe:${messageId}`, r.head), contentId: r.contentId, tail: r.tail ?? Buffer.alloc(0) }
  }

  /** As getContent(), bytes over 1 MiB read chunk by chunk when iterated (issue 16 item 2). */
  getContentLazily(contentId: number): Buffer | ChunkedBytes | undefined {
    const bytes = this.#s.content.get(contentId)
    return bytes && this.#chunks.lazy(`oc:${contentId}`, bytes)
  }

  /** Shared content bytes (outbox_contents) by id. */
  getContent(contentId: number): Buffer | undefined {
    const bytes = this.#s.content.get(contentId)
    return bytes && this.#chunks.load(`oc:${contentId}`, bytes)
  }

  /** A FULL row as an OutboxMessage: head ‖ content ‖ tail as one Buffer; `contents` reads each
   *  shared content once per call (the caller's map, one per listing). */
  join(r: FullRow, contents: Map<number, Buffer>): OutboxMessage {
    const { tail, contentId, ...m } = r
    m.envelope = this.#chunks.load(`oe:${m.messageId}`, m.envelope)
    if (contentId === null && tail === null) return m
    let content = contentId === null ? undefined : contents.get(contentId)
    if (contentId !== null && content === undefined) contents.set(contentId, (content = this.getContent(contentId) ?? Buffer.alloc(0)))
    m.envelope = Buffer.concat([m.envelope, content ?? Buffer.alloc(0), tail ?? Buffer.alloc(0)])
    return m
  }
}
