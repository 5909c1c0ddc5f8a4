// Receive side: each accepted envelope, its decrypted letter, attachment metadata and the receipt we signed.
// insert() is idempotent by message id (PROTOCOL.md §7.1): a sender that retries after losing our
// answer gets the first receipt back instead of a second copy of the letter.
// The content a circular's envelopes share (PROTOCOL.md §17.1) is kept once per node, by its SHA-256
// (migration 012); getEnvelope() puts the exact received bytes back together.
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import { newestFirst } from './page.js'
import { SarabanError } from '../errors.js'
import { BlobChunks, CHUNK_BYTES } from './blob-chunks.js'
import { bufferSource, joinedSource, readNow, subSource, type ByteSource } from '../byte-source.js'

const EMPTY = Buffer.alloc(0)

export interface InboxAttachmentMeta {
  id: string
  filename: string
  mediaType: string
  size: number
  sha256: string
}

/** Where an attachment is: its index in the envelope's signed manifest (PROTOCOL.md §5.3). */
export type InboxAttachment = InboxAttachmentMeta & { position: number }

/** The shared content of an envelope: bytes [start, end) of it, and their SHA-256 (lowercase hex). */
export interface EnvelopeContent {
  readonly start: number
  readonly end: number
  readonly sha256: string
}

/** Contents below this stay inside their envelope row: a row of its own would save less than it costs. */
export const MIN_SHARED_CONTENT_BYTES = 16 * 1024

/**
 * The content at `span` of `envelope` (where the profile says the bytes shared with other recipients'
 * envelopes lie), to be stored once per node; undefined when there is none or it is too small to be
 * worth it. It hashes the content: call it before db.write(), not inside the transaction.
 */
export function sharedContent(envelope: Buffer | ByteSource, span: { start: number; end: number } | undefined, known?: EnvelopeContent): EnvelopeContent | undefined {
  if (span === undefined || span.end - span.start < MIN_SHARED_CONTENT_BYTES) return undefined
  if (span.start < 0 || span.end > envelope.length) throw new RangeError(`inbox: content [${span.start}, ${span.end}) outside the ${envelope.length}-byte envelope`)
  // Bytes put in place from a verified held content (PROTOCOL.md §17.8) need no second hash.
  if (known !== undefined && known.start === span.start && known.end === span.end) return known
  if (Buffer.isBuffer(envelope)) return { start: span.start, end: span.end, sha256: createHash('sha256').update(envelope.subarray(span.start, span.end)).digest('hex') }
  // Read by range (issue 16 item 2: a body staged on disk): hashed a chunk at a time.
  const hash = createHash('sha256')
  for (let at = span.start; at < span.end; at += CHUNK_BYTES) hash.update(readNow(envelope, at, Math.min(CHUNK_BYTES, span.end - at)))
  return { start: span.start, end: span.end, sha256: hash.digest('hex') }
}

/** A small most-recently-used cache of byte strings, bounded by their total length. */
class RecentBytes {
  readonly #max: number
  readonly #m = new Map<string, Buffer>()
  #size = 0
  constructor(maxBytes: number) {
    this.#max = maxBytes
  }

  get(k: string): Buffer | undefined {
    const v = this.#m.get(k)
    if (v !== undefined) { this.#m.delete(k); this.#m.set(k, v) }
    return v
  }

  put(k: string, v: Buffer): void {
    if (v.length > this.#max || this.#m.has(k)) return
    while (this.#size + v.length > this.#max) {
      const [oldest, b] = this.#m.entries().next().value!
      this.#m.delete(oldest)
      this.#size -= b.length
    }
    this.#m.set(k, v)
    this.#size += v.length
  }
}

/** `E`: the envelope in one buffer (the default), or read by range (a body staged on disk, issue 16 item 2). */
export interface NewInboxMessage<E extends Buffer | ByteSource = Buffer> {
  messageId: string
  recipientAgency: string
  senderAgency: string
  profile: string
  /** The exact bytes received. */
  envelope: E
  envelopeSha256: string
  letterJson: string
  signerJson: string
  receivedAt: number
  receipt: string
  /** The signed `lid` of a v2 payload (PROTOCOL.md §17.5): one message per (recipient, sender, lid). */
  senderLetterId?: string | undefined
  /** The part of `envelope` other envelopes may share (sharedContent()): stored once per node. */
  content?: EnvelopeContent | undefined
}

export interface InboxMessage extends Omit<NewInboxMessage, 'envelope' | 'senderLetterId' | 'content'> {
  attachments: InboxAttachmentMeta[]
}

/** The receipt column of a message stored before its receipt is signed (PROTOCOL.md §20.5: store,
 *  then checkpoint, then receipt). A replay of the envelope signs it then. */
export const RECEIPT_PENDING = ''

export type InsertResult = { inserted: true } | { inserted: false; envelopeSha256: string; receipt: string }

/** The message id under which a recipient already holds a sender's letter `lid` (PROTOCOL.md §17.5). */
export interface LetterKey { recipientAgency: string; senderAgency: string; senderLetterId: string }

/** Newest first. The cursor is the last row seen: (before, beforeId); without beforeId, receivedAt < before. */
export interface InboxListOptions {
  agencies: readonly string[]
  limit: number
  before?: number
  beforeId?: string
}

type Row = Omit<InboxMessage, 'attachments'>

export interface InboxPeek { envelopeSha256: string; receipt: string; recipientAgency: string; senderAgency: string; profile: string; receivedAt: number }

export function letterDuplicate(messageId: string, first: string): SarabanError {
  return new SarabanError('ERR_LETTER_DUPLICATE', `Message ${messageId} carries a letter this recipient already received from this sender as message ${first}.`, { field: 'lid' })
}
type AttachmentRow = InboxAttachmentMeta & { messageId: string }
type EnvelopeRow = { head: Buffer; contentSha256: string | null; content: Buffer | null; tail: Buffer | null; envelopeSha256: string }

function corrupt(messageId: string, what: string): SarabanError {
  return new SarabanError('ERR_INTERNAL', `storage: the stored envelope of message ${messageId} ${what}`)
}

const MESSAGE = `message_id AS messageId, recipient_agency AS recipientAgency, sender_agency AS senderAgency, profile,
  envelope_sha256 AS envelopeSha256, letter_json AS letterJson, signer_json AS signerJson,
  received_at AS receivedAt, receipt`
const ATTACHMENT = 'message_id AS messageId, id, filename, media_type AS mediaType, size, sha256'
// (received_at, message_id) < (before, '') ≡ received_at < before, since every id sorts after ''.
const PAGE = `(received_at, message_id) < (@before, @beforeId) ORDER BY received_at DESC, message_id DESC LIMIT @limit`
const NO_CURSOR = Number.MAX_SAFE_INTEGER

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class InboxStore {
  /** Shared contents read and verified lately (PROTOCOL.md §17.8), bounded by their total size. */
  readonly #recent = new RecentBytes(64 * 1024 * 1024)
  readonly #s
  // Envelopes and contents over 1 MiB are stored in chunks (migration 036, issue 16 item 2).
  readonly #chunks: BlobChunks
  readonly #insert: Database.Transaction<(m: NewInboxMessage<Buffer | ByteSource>, a: readonly InboxAttachmentMeta[]) => InsertResult>

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#chunks = new BlobChunks(db)
    this.#s = {
      insertMessage: p(`INSERT INTO inbox_messages (message_id, recipient_agency, sender_agency, profile, envelope_sha256,
        letter_json, signer_json, received_at, receipt, sender_letter_id)
        VALUES (@messageId, @recipientAgency, @senderAgency, @profile, @envelopeSha256, @letterJson, @signerJson,
        @receivedAt, @receipt, @senderLetterId)
        ON CONFLICT (message_id) DO NOTHING`),
      byLetter: p<string>(`SELECT message_id FROM inbox_messages WHERE recipient_agency = @recipientAgency
        AND sender_agency = @senderAgency AND sender_letter_id = @senderLetterId`).pluck(),
      insertEnvelope: p('INSERT INTO inbox_envelopes (message_id, bytes) VALUES (?, ?)'),
      insertParts: p('INSERT INTO inbox_envelopes (message_id, bytes, content_sha256, tail) VALUES (?, ?, ?, ?)'),
      insertContent: p('INSERT INTO inbox_contents (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING'),
      // length() of a BLOB column is read from the record header: the content's pages are not read.
      contentLength: p<number>('SELECT length(bytes) FROM inbox_contents WHERE sha256 = ?').pluck(),
      // PROTOCOL.md §17.8: whether content is held from a message of one of the given senders (a JSON
      // array); length() comes from the record header, so the content's pages are not read.
      contentHeld: p<number>(`SELECT length(c.bytes) FROM inbox_contents c WHERE c.sha256 = @sha256
        AND EXISTS (SELECT 1 FROM inbox_envelopes e JOIN inbox_messages m ON m.message_id = e.message_id
          WHERE e.content_sha256 = c.sha256 AND m.sender_agency IN (SELECT value FROM json_each(@senders)))`).pluck(),
      content: p<Buffer>('SELECT bytes FROM inbox_contents WHERE sha256 = ?').pluck(),
      insertAttachment: p(`INSERT INTO inbox_attachments (message_id, id, position, filename, media_type, size, sha256)
        VALUES (@messageId, @id, @position, @filename, @mediaType, @size, @sha256)`),
      peek: p<InboxPeek>(`SELECT envelope_sha256 AS envelopeSha256, receipt, recipient_agency AS recipientAgency,
        sender_agency AS senderAgency, profile, received_at AS receivedAt FROM inbox_messages WHERE message_id = ?`),
      setReceipt: p(`UPDATE inbox_messages SET receipt = ? WHERE message_id = ? AND receipt = ''`),
      message: p<Row>(`SELECT ${MESSAGE} FROM inbox_messages WHERE message_id = ?`),
      envelope: p<EnvelopeRow>(`SELECT e.bytes AS head, e.content_sha256 AS contentSha256, c.bytes AS content, e.tail,
        m.envelope_sha256 AS envelopeSha256 FROM inbox_envelopes e JOIN inbox_messages m ON m.message_id = e.message_id
        LEFT JOIN inbox_contents c ON c.sha256 = e.content_sha256 WHERE e.message_id = ?`),
      listOne: p<Row>(`SELECT ${MESSAGE} FROM inbox_messages WHERE recipient_agency = @agency AND ${PAGE}`),
      // one query for a whole page of messages, not one per message
      attachmentsOf: p<AttachmentRow>(`SELECT ${ATTACHMENT} FROM inbox_attachments
        WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, position`),
      attachment: p<InboxAttachment>(`SELECT id, filename, media_type AS mediaType, size, sha256, position
        FROM inbox_attachments WHERE message_id = ? AND id = ?`),
    }
    const s = this.#s
    this.#insert = db.sqlite.transaction((m: NewInboxMessage<Buffer | ByteSource>, atts: readonly InboxAttachmentMeta[]): InsertResult => {
      const { envelope, content, ...rest } = m
      const row = { ...rest, senderLetterId: rest.senderLetterId ?? null }
      if (row.senderLetterId !== null && s.peek.get(m.messageId) === undefined) {
        const first = s.byLetter.get({ recipientAgency: row.recipientAgency, senderAgency: row.senderAgency, senderLetterId: row.senderLetterId })
        if (first !== undefined) throw letterDuplicate(m.messageId, first) // a concurrent copy under another id won
      }
      if (s.insertMessage.run(row).changes === 0) {
        const seen = s.peek.get(m.messageId)!
        return { inserted: false, envelopeSha256: seen.envelopeSha256, receipt: seen.receipt }
      }
      this.#storeEnvelope(m.messageId, envelope, content)
      atts.forEach((a, position) => {
        s.insertAttachment.run({
          messageId: m.messageId, position, id: a.id, filename: a.filename, mediaType: a.mediaType,
          size: a.size, sha256: a.sha256,
        })
      })
      return { inserted: true }
    })
  }

  /** The message, its envelope and its attachments in one transaction, or — when the message id is
   *  already stored — nothing new and the stored digest + receipt. Sync; call inside db.write(). */
  insert(msg: NewInboxMessage<Buffer | ByteSource>, attachments: readonly InboxAttachmentMeta[]): InsertResult {
    return this.#insert.immediate(msg, attachments)
  }

  /** PROTOCOL.md §17.5: the message id of the letter `lid` this recipient already holds from this sender. */
  messageOfLetter(key: LetterKey): string | undefined {
    return this.#s.byLetter.get(key)
  }

  /** Cheap duplicate check before decrypting. */
  peek(messageId: string): InboxPeek | undefined {
    return this.#s.peek.get(messageId)
  }

  /** Stores the receipt of a message stored with RECEIPT_PENDING; false if it already had one. Call inside db.write(). */
  setReceipt(messageId: string, receipt: string): boolean {
    return this.#s.setReceipt.run(receipt, messageId).changes === 1
  }

  get(messageId: string): InboxMessage | undefined {
    const row = this.#s.message.get(messageId)
    return row && this.#withAttachments([row])[0]
  }

  /** The envelope exactly as received. One stored in parts is put together and checked against the
   *  digest our receipt signed (a hash, ~1 ms per MB: cheap next to reading it), so a damaged shared
   *  content is an error here, never other bytes; ERR_INTERNAL if it does not match. */
  getEnvelope(messageId: string): Buffer | undefined {
    const row = this.#s.envelope.get(messageId)
    if (row === undefined) return undefined
    // Issue 16 item 2, migration 036: bytes over 1 MiB are stored in chunks.
    const r = { ...row, head: this.#chunks.load(`ie:${messageId}`, row.head), content: row.content && this.#chunks.load(`ic:${row.contentSha256!}`, row.content) }
    if (r.contentSha256 === null && r.tail === null) return r.head // stored whole (and every row before migration 012)
    if (r.contentSha256 !== null && r.content === null) throw corrupt(messageId, 'lacks its shared content')
    const envelope = Buffer.concat([r.head, r.content ?? Buffer.alloc(0), r.tail ?? Buffer.alloc(0)])
    if (createHash('sha256').update(envelope).digest('hex') !== r.envelopeSha256) throw corrupt(messageId, 'does not match its SHA-256')
    return envelope
  }

  /** As getEnvelope(), read by range and not put together (issue 16 item 2: a download reads only
   *  the chunks it needs). One stored in parts is first hashed part by part, a chunk at a time, and
   *  checked against the digest our receipt signed, as getEnvelope() does; ERR_INTERNAL if it does not match. */
  envelopeRange(messageId: string): ByteSource | undefined {
    const row = this.#s.envelope.get(messageId)
    if (row === undefined) return undefined
    const head = this.#chunks.ranged(`ie:${messageId}`, row.head)
    if (row.contentSha256 === null && row.tail === null) return head // stored whole (and every row before migration 012)
    if (row.contentSha256 !== null && row.content === null) throw corrupt(messageId, 'lacks its shared content')
    const parts = [head, ...(row.content === null ? [] : [this.#chunks.ranged(`ic:${row.contentSha256!}`, row.content)]), bufferSource(row.tail ?? EMPTY)]
    const hash = createHash('sha256')
    for (const p of parts) for (let at = 0; at < p.length; at += CHUNK_BYTES) hash.update(p.read(at, CHUNK_BYTES))
    if (hash.digest('hex') !== row.envelopeSha256) throw corrupt(messageId, 'does not match its SHA-256')
    return joinedSource(parts)
  }

  /** PROTOCOL.md §17.8: the shared content with this SHA-256 and length, held from a message whose
   *  sender is one of `senders`; undefined otherwise, and when the stored bytes no longer hash to
   *  their key (a damaged file: the sender then sends the whole envelope, nothing is built on it). */
  contentFrom(sha256: string, length: number, senders: Iterable<string>): Buffer | undefined {
    const held = this.#s.contentHeld.get({ sha256, senders: JSON.stringify([...senders]) })
    if (held === undefined || this.#chunks.length(`ic:${sha256}`, held) !== length) return undefined
    // The parts of one circular come one after another: the bytes are read and verified once.
    const known = this.#recent.get(sha256)
    if (known !== undefined) return known
    const column = this.#s.content.get(sha256)
    const bytes = column && this.#chunks.load(`ic:${sha256}`, column)
    if (bytes === undefined || createHash('sha256').update(bytes).digest('hex') !== sha256) return undefined
    this.#recent.put(sha256, bytes)
    return bytes
  }

  list(opts: InboxListOptions): InboxMessage[] {
    if (opts.agencies.length === 0 || opts.limit <= 0) return []
    const page = { before: opts.before ?? NO_CURSOR, beforeId: opts.beforeId ?? '', limit: opts.limit }
    const rows = newestFirst(opts, (agency) => this.#s.listOne.all({ ...page, agency }), (r) => [r.receivedAt, r.messageId])
    return this.#withAttachments(rows)
  }

  getAttachment(messageId: string, attachmentId: string): InboxAttachment | undefined {
    return this.#s.attachment.get(messageId, attachmentId)
  }

  /** Whole, or head + content reference + tail with the content stored once (ON CONFLICT DO NOTHING:
   *  another recipient's envelope may have brought it). In the caller's transaction. */
  #storeEnvelope(messageId: string, envelope: Buffer | ByteSource, content: EnvelopeContent | undefined): void {
    const s = this.#s
    if (content === undefined) {
      s.insertEnvelope.run(messageId, this.#store(`ie:${messageId}`, envelope))
      return
    }
    if (content.start < 0 || content.start > content.end || content.end > envelope.length) {
      throw new RangeError(`inbox: content [${content.start}, ${content.end}) outside the ${envelope.length}-byte envelope`)
    }
    const shared = piece(envelope, content.start, content.end)
    // A row under this digest with another length is not these bytes (a damaged file): never refer to it.
    const owner = `ic:${content.sha256}` as const
    if (s.insertContent.run(content.sha256, shared.length > CHUNK_BYTES ? EMPTY : bytesOf(shared)).changes === 1) this.#store(owner, shared)
    else if (this.#chunks.length(owner, s.contentLength.get(content.sha256) ?? 0) !== shared.length) {
      s.insertEnvelope.run(messageId, this.#store(`ie:${messageId}`, envelope))
      return
    }
    s.insertParts.run(messageId, this.#store(`ie:${messageId}`, piece(envelope, 0, content.start)), content.sha256, bytesOf(piece(envelope, content.end, envelope.length)))
  }

  #store(owner: `ie:${string}` | `ic:${string}`, bytes: Buffer | ByteSource): Buffer {
    return Buffer.isBuffer(bytes) ? this.#chunks.store(owner, bytes) : this.#chunks.storeSource(owner, bytes)
  }

  #withAttachments(rows: Row[]): InboxMessage[] {
    const byMessage = new Map<string, InboxAttachmentMeta[]>(rows.map((r) => [r.messageId, []]))
    if (rows.length > 0) {
      for (const { messageId, ...meta } of this.#s.attachmentsOf.all(JSON.stringify([...byMessage.keys()]))) {
        byMessage.get(messageId)!.push(meta)
      }
    }
    return rows.map((r) => ({ ...r, attachments: byMessage.get(r.messageId)! }))
  }
}

/** Bytes [start, end) of an envelope in one buffer or read by range, as the same kind. */
function piece(envelope: Buffer | ByteSource, start: number, end: number): Buffer | ByteSource {
  return Buffer.isBuffer(envelope) ? envelope.subarray(start, end) : subSource(envelope, start, end)
}

/** Small bytes (a row's column) in one buffer. */
function bytesOf(bytes: Buffer | ByteSource): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.read(0, bytes.length))
}
