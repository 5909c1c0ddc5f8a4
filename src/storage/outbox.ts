// Send side: a letter and one outbox message (sealed envelope) per recipient, and each message's
// delivery state (PROTOCOL.md §7.3): queued → sending → delivered | queued (retry) | failed.
// Writers are synchronous and meant to run inside db.write(); each one is still its own (nested)
// transaction, so nothing is ever half stored even when called outside write().
import type Database from 'better-sqlite3'
import { systemClock, type Clock } from '../clock.js'
import type { Db } from './db.js'
import { newestFirst } from './page.js'
import type { RecipientStatus } from '../domain/delivery.js'

export type { RecipientStatus }

export interface NewLetter {
  id: string
  senderAgency: string
  letterJson: string
  createdAt: number
  idempotencyKey?: string
  requestSha256?: string
}

export interface NewOutboxMessage {
  messageId: string
  letterId: string
  recipientAgency: string
  profile: string
  envelope: Buffer
  envelopeSha256: string
  /** The envelope's content encryption key, kept for evidence bundles (PROTOCOL.md §8). */
  contentKey: Buffer
  /** 0 = most urgent. */
  priority: number
  nextAttemptAt: number
}

export interface OutboxMessage extends NewOutboxMessage {
  status: RecipientStatus
  attempts: number
  lastErrorCode: string | null
  lastErrorDetail: string | null
  createdAt: number
  updatedAt: number
  deliveredAt: number | null
  receipt: string | null
  senderAgency: string // from the letter row
  /** From the letter row: 'notice' for a notice's message (PROTOCOL.md §18; storage/notices.ts). */
  kind?: 'letter' | 'notice'
}

/** An outbox message without its envelope bytes and content key (listing, status views). */
export type OutboxMessageMeta = Omit<OutboxMessage, 'envelope' | 'contentKey'>

export interface OutboxLetter {
  id: string
  senderAgency: string
  letterJson: string
  createdAt: number
  idempotencyKey: string | null
  requestSha256: string | null
}

/** Newest first. The cursor is the last row seen: (before, beforeId); without beforeId, createdAt < before. */
export interface ListOptions {
  agencies: readonly string[]
  limit: number
  before?: number
  beforeId?: string
}

const LETTER = `id, sender_agency AS senderAgency, letter_json AS letterJson, created_at AS createdAt,
  idempotency_key AS idempotencyKey, request_sha256 AS requestSha256`
const META = `m.message_id AS messageId, m.letter_id AS letterId, m.recipient_agency AS recipientAgency,
  m.profile, m.envelope_sha256 AS envelopeSha256, m.priority, m.next_attempt_at AS nextAttemptAt, m.status,
  m.attempts, m.last_error_code AS lastErrorCode, m.last_error_detail AS lastErrorDetail,
  m.created_at AS createdAt, m.updated_at AS updatedAt, m.delivered_at AS deliveredAt, m.receipt,
  (SELECT l.sender_agency FROM letters l WHERE l.id = m.letter_id) AS senderAgency,
  (SELECT l.kind FROM letters l WHERE l.id = m.letter_id) AS kind`
const FULL = `${META}, e.bytes AS envelope, e.content_key AS contentKey FROM outbox_messages m JOIN outbox_envelopes e ON e.message_id = m.message_id`
// (created_at, id) < (before, '') ≡ created_at < before, since every id sorts after ''.
const PAGE = `(created_at, id) < (@before, @beforeId) ORDER BY created_at DESC, id DESC LIMIT @limit`
const NO_CURSOR = Number.MAX_SAFE_INTEGER

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class OutboxStore {
  readonly #clock: Clock
  readonly #s
  readonly #insert: Database.Transaction<(l: NewLetter, m: readonly NewOutboxMessage[]) => void>
  readonly #claim: Database.Transaction<(now: number, limit: number) => OutboxMessageMeta[]>

  constructor(db: Db, clock: Clock = systemClock) {
    this.#clock = clock
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insertLetter: p(`INSERT INTO letters (id, sender_agency, letter_json, created_at, idempotency_key, request_sha256)
        VALUES (@id, @senderAgency, @letterJson, @createdAt, @idempotencyKey, @requestSha256)`),
      insertMessage: p(`INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256,
        priority, status, attempts, next_attempt_at, created_at, updated_at)
        VALUES (@messageId, @letterId, @recipientAgency, @profile, @envelopeSha256, @priority, 'queued', 0,
        @nextAttemptAt, @createdAt, @createdAt)`),
      insertEnvelope: p('INSERT INTO outbox_envelopes (message_id, content_key, bytes) VALUES (?, ?, ?)'),
      byKey: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = ? AND idempotency_key = ?`),
      // Notices travel as letters rows of kind 'notice' (migration 007); the letter API never shows them.
      letter: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE id = ? AND kind = 'letter'`),
      listOne: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = @agency AND kind = 'letter' AND ${PAGE}`),
      metaForLetter: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.letter_id = ? ORDER BY m.rowid`),
      fullForLetter: p<OutboxMessage>(`SELECT ${FULL} WHERE m.letter_id = ? ORDER BY m.rowid`),
      message: p<OutboxMessage>(`SELECT ${FULL} WHERE m.message_id = ?`),
      meta: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.message_id = ?`),
      envelope: p<Buffer>('SELECT bytes FROM outbox_envelopes WHERE message_id = ?').pluck(),
      // Walk the partial index in its own order and stop at the limit; left to itself the planner
      // may pick outbox_by_status and sort the whole backlog on every claim. rowid last: same
      // priority and due time → first queued, first sent.
      due: p<string>(`SELECT message_id FROM outbox_messages INDEXED BY outbox_due
        WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY priority, next_attempt_at, rowid LIMIT ?`).pluck(),
      toSending: p(`UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, updated_at = ?
        WHERE message_id = ? AND status = 'queued'`),
      nextDue: p<number | null>(`SELECT min(next_attempt_at) FROM outbox_messages WHERE status = 'queued'`).pluck(),
      delivered: p(`UPDATE outbox_messages SET status = 'delivered', receipt = ?, delivered_at = ?, updated_at = ?
        WHERE message_id = ? AND status IN ('queued', 'sending')`),
      retry: p(`UPDATE outbox_messages SET status = 'queued', next_attempt_at = ?, last_error_code = ?,
        last_error_detail = ?, updated_at = ? WHERE message_id = ? AND status = 'sending'`),
      failed: p(`UPDATE outbox_messages SET status = 'failed', last_error_code = ?, last_error_detail = ?, updated_at = ?
        WHERE message_id = ? AND status IN ('queued', 'sending')`),
      requeue: p(`UPDATE outbox_messages SET status = 'queued', updated_at = ? WHERE status = 'sending'`),
      counts: p<{ status: RecipientStatus; n: number }>('SELECT status, count(*) AS n FROM outbox_messages GROUP BY status'),
    }
    const s = this.#s
    this.#insert = db.sqlite.transaction((l: NewLetter, msgs: readonly NewOutboxMessage[]) => {
      s.insertLetter.run({ ...l, idempotencyKey: l.idempotencyKey ?? null, requestSha256: l.requestSha256 ?? null })
      for (const m of msgs) {
        if (m.letterId !== l.id) throw new TypeError(`storage: outbox message ${m.messageId} belongs to letter ${m.letterId}, not ${l.id}`)
        s.insertMessage.run({
          messageId: m.messageId, letterId: m.letterId, recipientAgency: m.recipientAgency, profile: m.profile,
          envelopeSha256: m.envelopeSha256, priority: m.priority, nextAttemptAt: m.nextAttemptAt, createdAt: l.createdAt,
        })
        s.insertEnvelope.run(m.messageId, m.contentKey, m.envelope)
      }
    })
    this.#claim = db.sqlite.transaction((now: number, limit: number) => {
      const claimed: OutboxMessageMeta[] = []
      for (const id of s.due.all(now, limit)) {
        s.toSending.run(now, id)
        claimed.push(s.meta.get(id)!)
      }
      return claimed
    })
  }

  /** The letter and all its outbox messages, in one transaction. Sync; call inside db.write(). */
  insertLetter(letter: NewLetter, messages: readonly NewOutboxMessage[]): void {
    this.#insert.immediate(letter, messages)
  }

  findByIdempotencyKey(senderAgency: string, key: string): OutboxLetter | undefined {
    return this.#s.byKey.get(senderAgency, key)
  }

  getLetter(id: string): OutboxLetter | undefined {
    return this.#s.letter.get(id)
  }

  listLetters(opts: ListOptions): OutboxLetter[] {
    if (opts.agencies.length === 0 || opts.limit <= 0) return []
    const page = { before: opts.before ?? NO_CURSOR, beforeId: opts.beforeId ?? '', limit: opts.limit }
    return newestFirst(opts, (agency) => this.#s.listOne.all({ ...page, agency }), (l) => [l.createdAt, l.id])
  }

  /** Recipients in the order they were stored; envelope bytes and content keys only when asked for. */
  messagesForLetter(letterId: string, opts?: { withEnvelope?: false }): OutboxMessageMeta[]
  messagesForLetter(letterId: string, opts: { withEnvelope: true }): OutboxMessage[]
  messagesForLetter(letterId: string, opts: { withEnvelope?: boolean } = {}): OutboxMessageMeta[] | OutboxMessage[] {
    return opts.withEnvelope ? this.#s.fullForLetter.all(letterId) : this.#s.metaForLetter.all(letterId)
  }

  getMessage(messageId: string): OutboxMessage | undefined {
    return this.#s.message.get(messageId)
  }

  /** Atomically (BEGIN IMMEDIATE) moves up to `limit` due messages to 'sending', attempts + 1, and
   *  returns them as stored after the claim, most urgent first (PROTOCOL.md §7.2). No message is
   *  handed out twice, even to another process sharing the file. */
  claimDue(now: number, limit: number): OutboxMessageMeta[] {
    if (limit <= 0) return []
    return this.#claim.immediate(now, limit)
  }

  /** The stored envelope bytes (claims carry none: the sender usually still holds them in memory). */
  getEnvelope(messageId: string): Buffer | undefined {
    return this.#s.envelope.get(messageId)
  }

  /** Earliest next_attempt_at among queued messages. */
  nextDueAt(): number | undefined {
    return this.#s.nextDue.get() ?? undefined
  }

  // The transitions below return false when the message is not in a state they apply to, e.g. a
  // late outcome for a message that requeueInFlight() already put back.

  markDelivered(messageId: string, receipt: string, at: number): boolean {
    return this.#s.delivered.run(receipt, at, at, messageId).changes === 1
  }

  markRetry(messageId: string, nextAttemptAt: number, code: string, detail: string): boolean {
    return this.#s.retry.run(nextAttemptAt, code, detail, this.#clock.now(), messageId).changes === 1
  }

  markFailed(messageId: string, code: string, detail: string): boolean {
    return this.#s.failed.run(code, detail, this.#clock.now(), messageId).changes === 1
  }

  /** At startup: messages left 'sending' by a stop or crash go back to 'queued' (already due).
   *  Their attempt stays counted: the peer may have received it. Returns how many. */
  requeueInFlight(): number {
    return this.#s.requeue.run(this.#clock.now()).changes
  }

  counts(): Record<RecipientStatus, number> {
    const c: Record<RecipientStatus, number> = { queued: 0, sending: 0, delivered: 0, failed: 0 }
    for (const r of this.#s.counts.all()) c[r.status] = r.n
    return c
  }
}
