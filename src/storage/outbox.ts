// Send side: a letter and one outbox message (sealed envelope) per recipient, and each message's
// delivery state (PROTOCOL.md §7.3): queued → sending → delivered | queued (retry) | failed.
// A circular's envelopes share their encrypted content (PROTOCOL.md §17): it is stored once per
// letter and profile (outbox_contents), and each message keeps its head and tail only. A circular
// sealed per recipient is stored in batches while it is sealed (stageEnvelope, migration 012): each
// whole envelope waits as a content row no letter owns yet, which insertLetter() adopts.
// Writers are synchronous and meant to run inside db.write(); each one is still its own (nested)
// transaction, so nothing is ever half stored even when called outside write().
import type Database from 'better-sqlite3'
import { systemClock, type Clock } from '../clock.js'
import type { Db } from './db.js'
import { newestFirst } from './page.js'
import { CANCELLED_CODE, type RecipientStatus } from '../domain/delivery.js'
import { DEFAULT_URGENCY_AGING_MS } from '../domain/urgency.js'

export type { RecipientStatus }

export interface NewLetter {
  id: string
  senderAgency: string
  letterJson: string
  createdAt: number
  idempotencyKey?: string
  requestSha256?: string
}

/** Bytes shared by the envelopes of several messages of one letter (SealedMany.shared). */
export interface NewOutboxContent {
  /** Names this content within one insertLetter() call (e.g. the profile id). */
  ref: string
  profile: string
  bytes: Buffer
}

export interface NewOutboxMessage {
  messageId: string
  letterId: string
  recipientAgency: string
  profile: string
  /** The envelope, or its head when `contentRef` names shared bytes: envelope = envelope ‖ content ‖ tail. */
  envelope: Buffer
  tail?: Buffer
  /** NewOutboxContent.ref of the shared bytes in the same insertLetter() call. */
  contentRef?: string
  /** Or: the id stageEnvelope() gave the bytes stored earlier for this letter (`envelope` is then the head, usually empty). */
  contentId?: number
  envelopeSha256: string
  /** The envelope's content encryption key, kept for evidence bundles (PROTOCOL.md §8). */
  contentKey: Buffer
  /** 0 = most urgent. */
  priority: number
  nextAttemptAt: number
  /** deliverBy (ด่วนภายใน), ms since the epoch. */
  deadlineAt?: number
}

/** The pieces of one stored envelope: head ‖ content ‖ tail (content: outbox_contents id). */
export interface EnvelopeParts {
  head: Buffer
  contentId: number | null
  tail: Buffer
}

/** A due message as claimDue() offers it to the claimer's `accept` (cheap: no row lookup). */
export interface ClaimCandidate {
  messageId: string
  recipientAgency: string
}

/** A recipient whose deliverBy deadline event may be due (PROTOCOL.md §7.3). */
export interface DeadlineRow {
  messageId: string
  letterId: string
  recipientAgency: string
  senderAgency: string
  deadlineAt: number
  deadlineState: 'at-risk' | 'missed' | null
}

export interface OutboxMessage extends Omit<NewOutboxMessage, 'tail' | 'contentRef' | 'deadlineAt'> {
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
  /** deliverBy and the deadline event raised last (PROTOCOL.md §7.3); always present when read from the store. */
  deadlineAt?: number | null
  deadlineState?: 'at-risk' | 'missed' | null
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
  m.deadline_at AS deadlineAt, m.deadline_state AS deadlineState,
  (SELECT l.sender_agency FROM letters l WHERE l.id = m.letter_id) AS senderAgency,
  (SELECT l.kind FROM letters l WHERE l.id = m.letter_id) AS kind`
// The envelope is put together in JS (#join): SQLite's || would make TEXT of the BLOBs, and a
// join would read the shared content once per row instead of once per letter.
const FULL = `${META}, e.bytes AS envelope, e.tail AS tail, e.content_id AS contentId, e.content_key AS contentKey
  FROM outbox_messages m JOIN outbox_envelopes e ON e.message_id = m.message_id`
type FullRow = OutboxMessage & { tail: Buffer | null; contentId: number | null }

export interface OutboxStoreOptions {
  /** PROTOCOL.md §7.2: one urgency rank is worth this much waiting (order key = due + rank × aging). */
  readonly agingMs?: number
}

/** Most due rows one claim looks at while skipping those its `accept` refuses (a busy peer's). */
const CLAIM_SCAN_LIMIT = 20_000
// (created_at, id) < (before, '') ≡ created_at < before, since every id sorts after ''.
const PAGE = `(created_at, id) < (@before, @beforeId) ORDER BY created_at DESC, id DESC LIMIT @limit`
const NO_CURSOR = Number.MAX_SAFE_INTEGER

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class OutboxStore {
  readonly #clock: Clock
  readonly #s
  readonly #insert: Database.Transaction<(l: NewLetter, m: readonly NewOutboxMessage[], c: readonly NewOutboxContent[], staged: number) => Map<string, number>>
  readonly #claim: Database.Transaction<(now: number, limit: number, accept?: (c: ClaimCandidate) => boolean) => OutboxMessageMeta[]>
  readonly #agingMs: number

  constructor(db: Db, clock: Clock = systemClock, opts: OutboxStoreOptions = {}) {
    this.#clock = clock
    this.#agingMs = opts.agingMs ?? DEFAULT_URGENCY_AGING_MS
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insertLetter: p(`INSERT INTO letters (id, sender_agency, letter_json, created_at, idempotency_key, request_sha256)
        VALUES (@id, @senderAgency, @letterJson, @createdAt, @idempotencyKey, @requestSha256)`),
      insertMessage: p(`INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256,
        priority, status, attempts, next_attempt_at, created_at, updated_at, order_key, deadline_at)
        VALUES (@messageId, @letterId, @recipientAgency, @profile, @envelopeSha256, @priority, 'queued', 0,
        @nextAttemptAt, @createdAt, @createdAt, @nextAttemptAt + @priority * @agingMs, @deadlineAt)`),
      insertEnvelope: p('INSERT INTO outbox_envelopes (message_id, content_key, bytes, content_id, tail) VALUES (?, ?, ?, ?, ?)'),
      insertContent: p('INSERT INTO outbox_contents (letter_id, profile, bytes) VALUES (?, ?, ?)'),
      stage: p('INSERT INTO outbox_contents (letter_id, profile, bytes, sealing) VALUES (NULL, ?, ?, ?)'),
      // Counted, not updated (migration 015): a staged row is adopted by the messages that point at it.
      staged: p<number>('SELECT count(*) FROM outbox_contents WHERE sealing = ?').pluck(),
      dropSealing: p('DELETE FROM outbox_contents WHERE sealing = ?'),
      dropAllSealing: p(`DELETE FROM outbox_contents WHERE sealing IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM outbox_envelopes e WHERE e.content_id = outbox_contents.id)`),
      parts: p<{ head: Buffer; contentId: number | null; tail: Buffer | null }>('SELECT bytes AS head, content_id AS contentId, tail FROM outbox_envelopes WHERE message_id = ?'),
      content: p<Buffer>('SELECT bytes FROM outbox_contents WHERE id = ?').pluck(),
      byKey: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = ? AND idempotency_key = ?`),
      // Notices travel as letters rows of kind 'notice' (migration 007); the letter API never shows them.
      letter: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE id = ? AND kind = 'letter'`),
      listOne: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = @agency AND kind = 'letter' AND ${PAGE}`),
      metaForLetter: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.letter_id = ? ORDER BY m.rowid`),
      fullForLetter: p<FullRow>(`SELECT ${FULL} WHERE m.letter_id = ? ORDER BY m.rowid`),
      message: p<FullRow>(`SELECT ${FULL} WHERE m.message_id = ?`),
      meta: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.message_id = ?`),
      // Walk the partial index in its own order (PROTOCOL.md §7.2: order key, then first stored) and
      // stop at the limit; left to itself the planner may pick outbox_by_status and sort the whole
      // backlog on every claim. Pages are keyset (order_key, rowid) so that skipping is cheap.
      due: p<ClaimCandidate & { orderKey: number; rid: number }>(`SELECT message_id AS messageId, recipient_agency AS recipientAgency,
        order_key AS orderKey, rowid AS rid FROM outbox_messages INDEXED BY outbox_due
        WHERE status = 'queued' AND (order_key, rowid) > (@key, @rid) AND next_attempt_at <= @now
        ORDER BY order_key, rowid LIMIT @limit`),
      toSending: p(`UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, updated_at = ?
        WHERE message_id = ? AND status = 'queued'`),
      nextDue: p<number | null>(`SELECT min(next_attempt_at) FROM outbox_messages WHERE status = 'queued' AND next_attempt_at > ?`).pluck(),
      delivered: p(`UPDATE outbox_messages SET status = 'delivered', receipt = ?, delivered_at = ?, updated_at = ?
        WHERE message_id = ? AND status IN ('queued', 'sending')`),
      retry: p(`UPDATE outbox_messages SET status = 'queued', next_attempt_at = @next, order_key = @next + priority * @agingMs,
        last_error_code = @code, last_error_detail = @detail, updated_at = @now WHERE message_id = @id AND status = 'sending'`),
      failed: p(`UPDATE outbox_messages SET status = 'failed', last_error_code = ?, last_error_detail = ?, updated_at = ?
        WHERE message_id = ? AND status IN ('queued', 'sending')`),
      cancel: p(`UPDATE outbox_messages SET status = 'failed', last_error_code = ?, last_error_detail = ?, updated_at = ?
        WHERE message_id = ? AND status = 'queued'`),
      requeue: p(`UPDATE outbox_messages SET status = 'queued', updated_at = ? WHERE status = 'sending'`),
      counts: p<{ status: RecipientStatus; n: number }>('SELECT status, count(*) AS n FROM outbox_messages GROUP BY status'),
      // Deadlines (PROTOCOL.md §7.3) through the partial index outbox_deadlines: recipients not
      // delivered whose missed event is not raised yet.
      deadlines: p<DeadlineRow>(`SELECT m.message_id AS messageId, m.letter_id AS letterId, m.recipient_agency AS recipientAgency,
        (SELECT l.sender_agency FROM letters l WHERE l.id = m.letter_id) AS senderAgency, m.deadline_at AS deadlineAt,
        m.deadline_state AS deadlineState FROM outbox_messages m INDEXED BY outbox_deadlines
        WHERE m.deadline_at IS NOT NULL AND m.status <> 'delivered' AND m.deadline_state IS NOT 'missed'
        AND m.last_error_code IS NOT '${CANCELLED_CODE}' AND (m.deadline_at <= @now OR (m.deadline_state IS NULL AND m.deadline_at <= @now + @atRiskMs))
        ORDER BY m.deadline_at LIMIT @limit`),
      nextDeadline: p<number | null>(`SELECT min(CASE WHEN deadline_state IS NULL THEN deadline_at - @atRiskMs ELSE deadline_at END)
        FROM outbox_messages INDEXED BY outbox_deadlines
        WHERE deadline_at IS NOT NULL AND status <> 'delivered' AND deadline_state IS NOT 'missed' AND last_error_code IS NOT '${CANCELLED_CODE}'`).pluck(),
      raise: p(`UPDATE outbox_messages SET deadline_state = @state WHERE message_id = @id AND deadline_at IS NOT NULL
        AND deadline_state IS NOT 'missed' AND deadline_state IS NOT @state`),
    }
    const s = this.#s
    const agingMs = this.#agingMs
    this.#insert = db.sqlite.transaction((l: NewLetter, msgs: readonly NewOutboxMessage[], contents: readonly NewOutboxContent[], staged: number) => {
      s.insertLetter.run({ ...l, idempotencyKey: l.idempotencyKey ?? null, requestSha256: l.requestSha256 ?? null })
      // All of the letter's staged envelopes or nothing (a startup of another process sharing the file may have dropped them).
      const adopted = staged > 0 ? s.staged.get(l.id)! : 0
      if (adopted !== staged) throw new Error(`storage: letter ${l.id} has ${adopted} of its ${staged} sealed envelopes stored; send it again`)
      const ids = new Map<string, number>()
      for (const c of contents) ids.set(c.ref, Number(s.insertContent.run(l.id, c.profile, c.bytes).lastInsertRowid))
      for (const m of msgs) {
        if (m.letterId !== l.id) throw new TypeError(`storage: outbox message ${m.messageId} belongs to letter ${m.letterId}, not ${l.id}`)
        const contentId = m.contentId ?? (m.contentRef === undefined ? null : ids.get(m.contentRef))
        if (contentId === undefined) throw new TypeError(`storage: outbox message ${m.messageId} names content "${m.contentRef}", not in this letter`)
        s.insertMessage.run({
          messageId: m.messageId, letterId: m.letterId, recipientAgency: m.recipientAgency, profile: m.profile,
          envelopeSha256: m.envelopeSha256, priority: m.priority, nextAttemptAt: m.nextAttemptAt, createdAt: l.createdAt,
          agingMs, deadlineAt: m.deadlineAt ?? null,
        })
        s.insertEnvelope.run(m.messageId, m.contentKey, m.envelope, contentId, m.tail && m.tail.length > 0 ? m.tail : null)
      }
      return ids
    })
    this.#claim = db.sqlite.transaction((now: number, limit: number, accept?: (c: ClaimCandidate) => boolean) => {
      const claimed: OutboxMessageMeta[] = []
      // Without `accept` one page of exactly `limit` rows; with it, pages until the limit is met,
      // the due rows run out, or CLAIM_SCAN_LIMIT rows were looked at.
      const page = accept ? Math.max(64, limit * 4) : limit
      let after = { key: Number.MIN_SAFE_INTEGER, rid: 0 }
      for (let seen = 0; claimed.length < limit && seen < CLAIM_SCAN_LIMIT;) {
        const rows = s.due.all({ ...after, now, limit: page })
        for (const r of rows) {
          if (claimed.length >= limit) break
          if (accept && !accept(r)) continue
          s.toSending.run(now, r.messageId)
          claimed.push(s.meta.get(r.messageId)!)
        }
        seen += rows.length
        if (rows.length < page) break
        const last = rows[rows.length - 1]!
        after = { key: last.orderKey, rid: last.rid }
      }
      return claimed
    })
  }

  /** The letter, its shared contents and all its outbox messages, in one transaction. Sync; call
   *  inside db.write(). Returns the outbox_contents id of each content, by its ref. `staged`: how
   *  many envelopes stageEnvelope() stored for this letter; all are adopted, or nothing is stored. */
  insertLetter(letter: NewLetter, messages: readonly NewOutboxMessage[], contents: readonly NewOutboxContent[] = [], staged = 0): Map<string, number> {
    return this.#insert.immediate(letter, messages, contents, staged)
  }

  /** Stores one envelope of a letter still being sealed (no letter row yet): nothing reads it until
   *  insertLetter() adopts it. Sync; call inside db.write(). Returns its outbox_contents id. */
  stageEnvelope(letterId: string, profile: string, bytes: Buffer): number {
    return Number(this.#s.stage.run(profile, bytes, letterId).lastInsertRowid)
  }

  /** Deletes the staged envelopes of one letter that will not be stored, or (no id: at startup)
   *  of every letter whose sealing never finished. Returns how many. */
  dropSealing(letterId?: string): number {
    return letterId === undefined ? this.#s.dropAllSealing.run().changes : this.#s.dropSealing.run(letterId).changes
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
    if (!opts.withEnvelope) return this.#s.metaForLetter.all(letterId)
    // Every envelope whole, in memory at once: for evidence of letters with few recipients. A
    // circular's 2,000 would be 2,000 copies of its content; iterate getMessage() for those.
    const contents = new Map<number, Buffer>()
    return this.#s.fullForLetter.all(letterId).map((r) => this.#join(r, contents))
  }

  getMessage(messageId: string): OutboxMessage | undefined {
    const r = this.#s.message.get(messageId)
    return r && this.#join(r, new Map())
  }

  /** head ‖ content ‖ tail as one Buffer; `contents` reads each shared content once per call. */
  #join(r: FullRow, contents: Map<number, Buffer>): OutboxMessage {
    const { tail, contentId, ...m } = r
    if (contentId === null && tail === null) return m
    let content = contentId === null ? undefined : contents.get(contentId)
    if (contentId !== null && content === undefined) contents.set(contentId, (content = this.getContent(contentId) ?? Buffer.alloc(0)))
    m.envelope = Buffer.concat([m.envelope, content ?? Buffer.alloc(0), tail ?? Buffer.alloc(0)])
    return m
  }

  /** Atomically (BEGIN IMMEDIATE) moves up to `limit` due messages to 'sending', attempts + 1, and
   *  returns them as stored after the claim, in order of the aging order key (PROTOCOL.md §7.2).
   *  `accept` may pass over a candidate (e.g. one for a peer with no free slot: it keeps its
   *  place). No message is handed out twice, even to another process sharing the file. */
  claimDue(now: number, limit: number, accept?: (c: ClaimCandidate) => boolean): OutboxMessageMeta[] {
    if (limit <= 0) return []
    return this.#claim.immediate(now, limit, accept)
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
    return r && { head: r.head, contentId: r.contentId, tail: r.tail ?? Buffer.alloc(0) }
  }

  /** Shared content bytes (outbox_contents) by id. */
  getContent(contentId: number): Buffer | undefined {
    return this.#s.content.get(contentId)
  }

  /** Earliest next_attempt_at among queued messages (later than `after`, when given). */
  nextDueAt(after = Number.MIN_SAFE_INTEGER): number | undefined {
    return this.#s.nextDue.get(after) ?? undefined
  }

  // The transitions below return false when the message is not in a state they apply to, e.g. a
  // late outcome for a message that requeueInFlight() already put back.

  markDelivered(messageId: string, receipt: string, at: number): boolean {
    return this.#s.delivered.run(receipt, at, at, messageId).changes === 1
  }

  /** Back to queued, due at nextAttemptAt; its order key restarts from then (PROTOCOL.md §7.2). */
  markRetry(messageId: string, nextAttemptAt: number, code: string, detail: string): boolean {
    return this.#s.retry.run({ next: nextAttemptAt, agingMs: this.#agingMs, code, detail, now: this.#clock.now(), id: messageId }).changes === 1
  }

  markFailed(messageId: string, code: string, detail: string): boolean {
    return this.#s.failed.run(code, detail, this.#clock.now(), messageId).changes === 1
  }

  /** The sender withdrew a letter before this message was sent (PROTOCOL.md §18.4): a queued message
   *  (not one in flight) becomes final, marked with CANCELLED_CODE, and is never claimed again. */
  cancelQueued(messageId: string, reason: string): boolean {
    return this.#s.cancel.run(CANCELLED_CODE, reason, this.#clock.now(), messageId).changes === 1
  }

  /** At startup: messages left 'sending' by a stop or crash go back to 'queued' (already due).
   *  Their attempt stays counted: the peer may have received it. Returns how many. */
  requeueInFlight(): number {
    return this.#s.requeue.run(this.#clock.now()).changes
  }

  /** Recipients not delivered with a deadline event due at `now`: missed (deadline passed, not
   *  raised yet) or at-risk (within atRiskMs of the deadline, nothing raised yet); earliest first. */
  deadlinesDue(now: number, atRiskMs: number, limit = 1000): DeadlineRow[] {
    return this.#s.deadlines.all({ now, atRiskMs, limit })
  }

  /** When the next deadline event falls due (at-risk: deadline − atRiskMs; missed: deadline). */
  nextDeadlineEventAt(atRiskMs: number): number | undefined {
    return this.#s.nextDeadline.get({ atRiskMs }) ?? undefined
  }

  /** Records that a deadline event was raised; false if it already was (each is raised once). */
  raiseDeadline(messageId: string, state: 'at-risk' | 'missed'): boolean {
    return this.#s.raise.run({ id: messageId, state }).changes === 1
  }

  counts(): Record<RecipientStatus, number> {
    const c: Record<RecipientStatus, number> = { queued: 0, sending: 0, delivered: 0, failed: 0 }
    for (const r of this.#s.counts.all()) c[r.status] = r.n
    return c
  }
}
