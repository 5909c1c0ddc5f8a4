// Notices (PROTOCOL.md §18), both directions. Outgoing: what each notice is about, beside the outbox
// message that carries it (same message id; its letters row has kind 'notice'). Incoming: the notice as
// received (envelope, signed content, our receipt), idempotent by message id like the inbox (§7.1).
// Writers are synchronous and meant to run inside db.write().
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import type { NoticeType } from '../domain/notices.js'
import type { RecipientStatus } from '../domain/delivery.js'

export interface NoticeRow {
  messageId: string
  direction: 'out' | 'in'
  type: NoticeType
  refersTo: string
  fromAgency: string
  toAgency: string
  noticeJson: string
  createdAt: number
  letterId: string | null
  profile: string | null
  envelopeSha256: string | null
  signed: string | null
  signerJson: string | null
  receipt: string | null
  /** out: the delivery state of its outbox message (PROTOCOL.md §7.3). */
  deliveryStatus: RecipientStatus | null
  deliveredAt: number | null
  lastErrorCode: string | null
  lastErrorDetail: string | null
}

export type NewOutNotice = Pick<NoticeRow, 'messageId' | 'type' | 'refersTo' | 'fromAgency' | 'toAgency' | 'noticeJson' | 'createdAt'>

/** The letter envelope a notice refers to, as this node sent it (outbox) or received it (inbox). */
export interface LetterRef {
  messageId: string
  letterId: string | null // outbox only
  senderAgency: string
  recipientAgency: string
  envelopeSha256: string
  profile: string
  letterJson: string
  deliveryStatus: RecipientStatus | null // outbox only
}
export type NewInNotice = Pick<NoticeRow, 'messageId' | 'type' | 'refersTo' | 'fromAgency' | 'toAgency' | 'noticeJson' | 'createdAt'> & {
  profile: string
  envelopeSha256: string
  signed: string
  signerJson: string
  receipt: string
  envelope: Buffer
}

/** An incoming notice as the replay check reads it (PROTOCOL.md §7.1); receipt '' while still to be signed (§20.5). */
export interface NoticePeek { envelopeSha256: string; receipt: string; toAgency: string; profile: string; fromAgency: string; receivedAt: number }

export type NoticeInsert = { inserted: true } | { inserted: false; duplicate: 'message-id'; envelopeSha256: string; receipt: string } | { inserted: false; duplicate: 'kind' }

const COLS = `n.message_id AS messageId, n.direction, n.type, n.refers_to AS refersTo, n.from_agency AS fromAgency,
  n.to_agency AS toAgency, n.notice_json AS noticeJson, n.created_at AS createdAt, n.letter_id AS letterId, n.profile,
  n.envelope_sha256 AS envelopeSha256, n.signed, n.signer_json AS signerJson, n.receipt,
  m.status AS deliveryStatus, m.delivered_at AS deliveredAt, m.last_error_code AS lastErrorCode, m.last_error_detail AS lastErrorDetail`
const FROM = 'FROM notices n LEFT JOIN outbox_messages m ON m.message_id = n.message_id'

type Stmt<R = unknown> = Database.Statement<unknown[], R>

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' || (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

export class NoticeStore {
  readonly #s
  readonly #insertOut: Database.Transaction<(n: NewOutNotice) => boolean>
  readonly #sealed: Database.Transaction<(messageId: string, letterId: string) => void>
  readonly #insertIn: Database.Transaction<(n: NewInNotice) => NoticeInsert>

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insert: p(`INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at,
        letter_id, profile, envelope_sha256, signed, signer_json, receipt)
        VALUES (@messageId, @direction, @type, @refersTo, @fromAgency, @toAgency, @noticeJson, @createdAt,
        @letterId, @profile, @envelopeSha256, @signed, @signerJson, @receipt)`),
      envelopeIn: p('INSERT INTO notice_envelopes (message_id, bytes) VALUES (?, ?)'),
      kind: p(`UPDATE letters SET kind = 'notice' WHERE id = ?`),
      peek: p<NoticePeek>(`SELECT envelope_sha256 AS envelopeSha256,
        receipt, to_agency AS toAgency, profile, from_agency AS fromAgency, created_at AS receivedAt FROM notices WHERE message_id = ? AND direction = 'in'`),
      setReceipt: p(`UPDATE notices SET receipt = ? WHERE message_id = ? AND direction = 'in' AND receipt = ''`),
      get: p<NoticeRow>(`SELECT ${COLS} ${FROM} WHERE n.message_id = ?`),
      forRef: p<NoticeRow>(`SELECT ${COLS} ${FROM} WHERE n.refers_to = ? ORDER BY n.created_at, n.message_id`),
      forRefs: p<NoticeRow>(`SELECT ${COLS} ${FROM} WHERE n.refers_to IN (SELECT value FROM json_each(?)) ORDER BY n.created_at, n.message_id`),
      envelope: p<Buffer>('SELECT bytes FROM notice_envelopes WHERE message_id = ?').pluck(),
      setLetter: p(`UPDATE notices SET letter_id = ? WHERE message_id = ? AND direction = 'out' AND letter_id IS NULL`),
      // A withdrawal is sealed only once the letter it withdraws is delivered: one that cancelled a
      // queued message (PROTOCOL.md §18.4) is never sent.
      unsealed: p<NoticeRow>(`SELECT ${COLS} ${FROM} WHERE n.direction = 'out' AND n.letter_id IS NULL
        AND NOT (n.type = 'withdrawn' AND EXISTS (SELECT 1 FROM outbox_messages x WHERE x.message_id = n.refers_to AND x.status <> 'delivered'))
        ORDER BY n.created_at LIMIT ?`),
      outboxRef: p<LetterRef>(`SELECT m.message_id AS messageId, m.letter_id AS letterId, l.sender_agency AS senderAgency,
        m.recipient_agency AS recipientAgency, m.envelope_sha256 AS envelopeSha256, m.profile, l.letter_json AS letterJson,
        m.status AS deliveryStatus FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE m.message_id = ? AND l.kind = 'letter'`),
      inboxRef: p<LetterRef>(`SELECT message_id AS messageId, NULL AS letterId, sender_agency AS senderAgency,
        recipient_agency AS recipientAgency, envelope_sha256 AS envelopeSha256, profile, letter_json AS letterJson,
        NULL AS deliveryStatus FROM inbox_messages WHERE message_id = ?`),
    }
    const s = this.#s
    const nulls = { letterId: null, profile: null, envelopeSha256: null, signed: null, signerJson: null, receipt: null }
    this.#insertOut = db.sqlite.transaction((n: NewOutNotice) => {
      try {
        s.insert.run({ ...nulls, ...n, direction: 'out' })
      } catch (err) {
        if (isUniqueViolation(err)) return false
        throw err
      }
      return true
    })
    this.#sealed = db.sqlite.transaction((messageId: string, letterId: string) => {
      // The letters row was written by OutboxStore.insertLetter in the same transaction.
      if (s.kind.run(letterId).changes !== 1) throw new Error(`storage: notice ${messageId} has no letters row ${letterId}`)
      if (s.setLetter.run(letterId, messageId).changes !== 1) throw new Error(`storage: notice ${messageId} is not an unsealed outgoing notice`)
    })
    this.#insertIn = db.sqlite.transaction((n: NewInNotice): NoticeInsert => {
      const seen = s.peek.get(n.messageId)
      if (seen) return { inserted: false, duplicate: 'message-id', envelopeSha256: seen.envelopeSha256, receipt: seen.receipt }
      const { envelope, ...row } = n
      try {
        s.insert.run({ ...nulls, ...row, direction: 'in' })
      } catch (err) {
        if (isUniqueViolation(err)) return { inserted: false, duplicate: 'kind' }
        throw err
      }
      s.envelopeIn.run(n.messageId, envelope)
      return { inserted: true }
    })
  }

  /** Records an outgoing notice, not sealed yet. False when the letter envelope already has a notice of
   *  this kind in this direction (the unique indexes of migration 007): the caller rolls back. */
  insertOut(n: NewOutNotice): boolean {
    return this.#insertOut(n)
  }

  /** The notice is sealed: its letters row (kind 'notice') and outbox message were inserted in this
   *  same transaction (OutboxStore.insertLetter). */
  markSealed(messageId: string, letterId: string): void {
    this.#sealed(messageId, letterId)
  }

  /** Outgoing notices recorded but not sealed yet, oldest first. */
  unsealed(limit = 100): NoticeRow[] {
    return this.#s.unsealed.all(limit)
  }

  /** A letter envelope this node sent (kind 'letter'), for notices about it. */
  outboxRef(messageId: string): LetterRef | undefined {
    return this.#s.outboxRef.get(messageId)
  }

  /** A letter envelope this node received, for notices about it. */
  inboxRef(messageId: string): LetterRef | undefined {
    return this.#s.inboxRef.get(messageId)
  }

  /** An incoming notice with its envelope; nothing new when its message id or its kind is already stored. */
  insertIn(n: NewInNotice): NoticeInsert {
    return this.#insertIn.immediate(n)
  }

  /** Cheap duplicate check before decrypting (PROTOCOL.md §4.2 check 7). */
  peek(messageId: string): NoticePeek | undefined {
    return this.#s.peek.get(messageId)
  }

  /** Stores the receipt of a notice stored with an empty one (PROTOCOL.md §20.5); false if it already had one. Call inside db.write(). */
  setReceipt(messageId: string, receipt: string): boolean {
    return this.#s.setReceipt.run(receipt, messageId).changes === 1
  }

  get(messageId: string): NoticeRow | undefined {
    return this.#s.get.get(messageId)
  }

  /** Every notice about one letter envelope, oldest first. */
  about(refersTo: string): NoticeRow[] {
    return this.#s.forRef.all(refersTo)
  }

  /** Every notice about any of these letter envelopes, oldest first. */
  aboutAll(refersTo: readonly string[]): NoticeRow[] {
    return refersTo.length === 0 ? [] : this.#s.forRefs.all(JSON.stringify(refersTo))
  }

  getEnvelope(messageId: string): Buffer | undefined {
    return this.#s.envelope.get(messageId)
  }
}

/** Per letter envelope: its answer, withdrawal and dispute, as NoticeRows. */
export function noticesByRef(rows: readonly NoticeRow[]): Map<string, { answer?: NoticeRow; withdrawal?: NoticeRow; dispute?: NoticeRow }> {
  const m = new Map<string, { answer?: NoticeRow; withdrawal?: NoticeRow; dispute?: NoticeRow }>()
  for (const r of rows) {
    const e = m.get(r.refersTo) ?? {}
    if (r.type === 'withdrawn') e.withdrawal = r
    else if (r.type === 'disputed') e.dispute = r
    else e.answer = r
    m.set(r.refersTo, e)
  }
  return m
}
