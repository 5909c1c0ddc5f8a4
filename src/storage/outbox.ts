// Send side: a letter and one outbox message (sealed envelope) per recipient, and each message's
// delivery state (PROTOCOL.md §7.3): queued → sending → delivered | queued (retry) | failed.
// A circular's envelopes share their encrypted content (PROTOCOL.md §17): it is stored once per
// letter and profile (outbox_contents), and each message keeps its head and tail only. A circular
// sealed per recipient is staged in batches while it is sealed (stageEnvelope, migration 015), and
// insertLetter() adopts the staged envelopes (outbox-envelopes.ts says how).
// Writers are synchronous and meant to run inside db.write(); each one is still its own (nested)
// transaction, so nothing is ever half stored even when called outside write().
// OutboxStore is the one face of the outbox; its parts hold their own statements:
// outbox-envelopes.ts (envelope bytes, staged sealing), outbox-delivery.ts (claims and delivery
// state), outbox-deadlines.ts (deliverBy events), outbox-attempts.ts (each attempt's outcome);
// outbox-sql.ts and outbox-types.ts are shared.
import type Database from 'better-sqlite3'
import { systemClock, type Clock } from '../clock.js'
import { DEFAULT_URGENCY_AGING_MS } from '../domain/urgency.js'
import type { RecipientStatus } from '../domain/delivery.js'
import type { Db } from './db.js'
import { newestFirst } from './page.js'
import { uniqueOwner } from './owner.js'
import { OutboxDeadlines } from './outbox-deadlines.js'
import { OutboxDelivery } from './outbox-delivery.js'
import type { OutboxFacts } from './metrics.js'
import { OutboxEnvelopes } from './outbox-envelopes.js'
import type { ChunkWriter } from './blob-chunks.js'
import { OutboxAttempts, type DeliveryAttemptRow, type NewDeliveryAttempt } from './outbox-attempts.js'
import { FULL, LETTER, META, NO_CURSOR, PAGE, preparer, type FullRow } from './outbox-sql.js'
import type {
  ClaimCandidate, DeadlineRow, EnvelopeParts, ListOptions, NewLetter, NewOutboxContent, NewOutboxMessage,
  OutboxLetter, OutboxMessage, OutboxMessageMeta, OutboxStoreOptions,
} from './outbox-types.js'

export type {
  RecipientStatus, NewLetter, NewOutboxContent, NewOutboxMessage, EnvelopeParts, ClaimCandidate, DeadlineRow,
  OutboxMessage, OutboxMessageMeta, OutboxLetter, ListOptions, OutboxStoreOptions,
} from './outbox-types.js'
export { ATTEMPTS_KEPT, type AttemptOutcome, type DeliveryAttemptRow, type NewDeliveryAttempt } from './outbox-attempts.js'

/** How long a claim holds a message unless renewed (issue 19 item 2): the worker renews every third
 *  of it, so a process that stops renewing has its messages attempted elsewhere about this long after. */
export const DEFAULT_LEASE_MS = 120_000

/** A staged envelope this old belongs to a sealing that will never finish (no sealing takes a day). */
const ABANDONED_SEALING_MS = 86_400_000

/** A delivery-state change, for observers (issue 17 item 1, services/metrics/), inside the writer's
 *  transaction: the message id, and the message's facts when the change's own statement returned them
 *  (issue 16 item 1: delivered); otherwise an observer reads what it needs. */
export interface OutboxChange {
  readonly type: 'queued' | 'delivered' | 'failed'
  readonly messageId: string
  readonly facts?: OutboxFacts | undefined
}

export class OutboxStore {
  readonly #observers = new Set<(c: OutboxChange) => void>()
  readonly #s
  readonly #insert: Database.Transaction<(l: NewLetter, m: readonly NewOutboxMessage[], c: readonly NewOutboxContent[], staged: number) => Map<string, number>>
  readonly #envelopes: OutboxEnvelopes
  readonly #delivery: OutboxDelivery
  readonly #deadlines: OutboxDeadlines
  readonly #attempts: OutboxAttempts
  readonly #leaseMs: number
  readonly #clock: Clock

  constructor(db: Db, clock: Clock = systemClock, opts: OutboxStoreOptions = {}) {
    this.#clock = clock
    const agingMs = opts.agingMs ?? DEFAULT_URGENCY_AGING_MS
    const envelopes = (this.#envelopes = new OutboxEnvelopes(db))
    this.#leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS
    this.#delivery = new OutboxDelivery(db, clock, agingMs, { owner: opts.owner ?? uniqueOwner(), ms: this.#leaseMs })
    this.#deadlines = new OutboxDeadlines(db)
    this.#attempts = new OutboxAttempts(db)
    const p = preparer(db)
    this.#s = {
      insertLetter: p(`INSERT INTO letters (id, sender_agency, letter_json, created_at, idempotency_key, request_sha256, request_fingerprint)
        VALUES (@id, @senderAgency, @letterJson, @createdAt, @idempotencyKey, @requestSha256, @requestFingerprint)`),
      insertMessage: p(`INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256,
        priority, status, attempts, next_attempt_at, created_at, updated_at, order_key, deadline_at, horizon_from)
        VALUES (@messageId, @letterId, @recipientAgency, @profile, @envelopeSha256, @priority, 'queued', 0,
        @nextAttemptAt, @createdAt, @createdAt, @nextAttemptAt + @priority * @agingMs, @deadlineAt, @createdAt)`),
      byKey: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = ? AND idempotency_key = ?`),
      // Notices travel as letters rows of kind 'notice' (migration 008); the letter API never shows them.
      letter: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE id = ? AND kind = 'letter'`),
      listOne: p<OutboxLetter>(`SELECT ${LETTER} FROM letters WHERE sender_agency = @agency AND kind = 'letter' AND ${PAGE}`),
      metaForLetter: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.letter_id = ? ORDER BY m.rowid`),
      fullForLetter: p<FullRow>(`SELECT ${FULL} WHERE m.letter_id = ? ORDER BY m.rowid`),
      message: p<FullRow>(`SELECT ${FULL} WHERE m.message_id = ?`),
    }
    const s = this.#s
    this.#insert = db.sqlite.transaction((l: NewLetter, msgs: readonly NewOutboxMessage[], contents: readonly NewOutboxContent[], staged: number) => {
      s.insertLetter.run({ ...l, idempotencyKey: l.idempotencyKey ?? null, requestSha256: l.requestSha256 ?? null, requestFingerprint: l.requestFingerprint ?? null })
      // All of the letter's staged envelopes or nothing (a startup of another process sharing the file may have dropped them).
      const adopted = staged > 0 ? envelopes.stagedCount(l.id) : 0
      if (adopted !== staged) throw new Error(`storage: letter ${l.id} has ${adopted} of its ${staged} sealed envelopes stored; send it again`)
      const ids = new Map<string, number>()
      for (const c of contents) ids.set(c.ref, envelopes.insertContent(l.id, c.profile, c.bytes))
      for (const m of msgs) {
        if (m.letterId !== l.id) throw new TypeError(`storage: outbox message ${m.messageId} belongs to letter ${m.letterId}, not ${l.id}`)
        const contentId = m.contentId ?? (m.contentRef === undefined ? null : ids.get(m.contentRef))
        if (contentId === undefined) throw new TypeError(`storage: outbox message ${m.messageId} names content "${m.contentRef}", not in this letter`)
        s.insertMessage.run({
          messageId: m.messageId, letterId: m.letterId, recipientAgency: m.recipientAgency, profile: m.profile,
          envelopeSha256: m.envelopeSha256, priority: m.priority, nextAttemptAt: m.nextAttemptAt, createdAt: l.createdAt,
          agingMs, deadlineAt: m.deadlineAt ?? null,
        })
        envelopes.insertEnvelope(m, contentId)
      }
      return ids
    })
  }

  /** The letter, its shared contents and all its outbox messages, in one transaction. Sync; call
   *  inside db.write(). Returns the outbox_contents id of each content, by its ref. `staged`: how
   *  many envelopes stageEnvelope() stored for this letter; all are adopted, or nothing is stored. */
  insertLetter(letter: NewLetter, messages: readonly NewOutboxMessage[], contents: readonly NewOutboxContent[] = [], staged = 0): Map<string, number> {
    const ids = this.#insert.immediate(letter, messages, contents, staged)
    for (const m of messages) this.#changed('queued', m.messageId)
    return ids
  }

  /** Calls `fn` synchronously for every change below (inside the writer's transaction; it must not throw
   *  or write). Returns the unsubscribe function. */
  observe(fn: (c: OutboxChange) => void): () => void {
    this.#observers.add(fn)
    return () => this.#observers.delete(fn)
  }

  #changed(type: OutboxChange['type'], messageId: string, facts?: OutboxFacts): void {
    for (const fn of this.#observers) fn({ type, messageId, facts })
  }

  /** Stores one envelope of a letter still being sealed (no letter row yet): nothing reads it until
   *  insertLetter() adopts it. Sync; call inside db.write(). Returns its outbox_contents id. */
  stageEnvelope(letterId: string, profile: string, bytes: Buffer): number {
    return this.#envelopes.stageEnvelope(letterId, profile, bytes, this.#delivery.owner, this.#clock.now())
  }

  /** Issue 16 item 2: more chunk rows of an envelope stageEnvelope() stored empty (a large envelope
   *  staged in several commits, so that no one transaction holds the write lock for all of it), from
   *  chunk `firstSeq` on (blob-chunks.ts writer()). Sync; call inside db.write(). */
  stagedWriter(contentId: number, firstSeq: number): ChunkWriter {
    return this.#envelopes.contentWriter(contentId, firstSeq)
  }

  /** Deletes the staged envelopes of one letter that will not be stored. Returns how many. */
  dropSealing(letterId: string): number {
    return this.#envelopes.dropSealing(letterId)
  }

  /** At startup (migration 043): deletes the staged envelopes no letter adopted that this process
   *  staged in an earlier life, that were staged before 043, or that are older than a day (a process
   *  that died and never came back); another process's sealing in progress is left alone. Returns how many. */
  dropAbandonedSealing(): number {
    return this.#envelopes.dropAbandonedSealing(this.#delivery.owner, this.#clock.now() - ABANDONED_SEALING_MS)
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
    return this.#s.fullForLetter.all(letterId).map((r) => this.#envelopes.join(r, contents))
  }

  /** `contents`: shared contents already read, by id, kept by the caller across calls (a circular's
   *  evidence reads each of its thousands of messages twice: the content once, issue 16 item 3). */
  getMessage(messageId: string, contents: Map<number, Buffer> = new Map()): OutboxMessage | undefined {
    const r = this.#s.message.get(messageId)
    return r && this.#envelopes.join(r, contents)
  }

  /** Atomically (BEGIN IMMEDIATE) moves up to `limit` due messages to 'sending', attempts + 1, and
   *  returns them as stored after the claim, in order of the aging order key (PROTOCOL.md §7.2).
   *  `accept` may pass over a candidate (e.g. one for a peer with no free slot: it keeps its
   *  place). A group `accept` refused once (by `groupOf`, e.g. the agency's peer; by default the agency
   *  itself) is refused for the rest of the claim: its further rows are passed over in SQL, not
   *  offered. No message is handed out twice, even to another process sharing the file. */
  claimDue(now: number, limit: number, accept?: (c: ClaimCandidate) => boolean, groupOf?: (agency: string) => string): OutboxMessageMeta[] {
    return this.#delivery.claimDue(now, limit, accept, groupOf)
  }

  /** The stored envelope bytes, put together (claims carry none; the worker sends the parts). */
  getEnvelope(messageId: string): Buffer | undefined {
    return this.#envelopes.getEnvelope(messageId)
  }

  /** The stored envelope as head ‖ content ‖ tail, without reading the shared content. */
  getEnvelopeParts(messageId: string): EnvelopeParts | undefined {
    return this.#envelopes.getEnvelopeParts(messageId)
  }

  /** As getEnvelopeParts(), a head over 1 MiB read chunk by chunk while it is sent (issue 16 item 2). */
  getEnvelopePartsLazily(messageId: string): ReturnType<OutboxEnvelopes['getEnvelopePartsLazily']> {
    return this.#envelopes.getEnvelopePartsLazily(messageId)
  }

  /** As getContent(), bytes over 1 MiB read chunk by chunk while they are sent (issue 16 item 2). */
  getContentLazily(contentId: number): ReturnType<OutboxEnvelopes['getContentLazily']> {
    return this.#envelopes.getContentLazily(contentId)
  }

  /** Shared content bytes (outbox_contents) by id. */
  getContent(contentId: number): Buffer | undefined {
    return this.#envelopes.getContent(contentId)
  }

  /** Earliest next_attempt_at among queued messages (later than `after`, when given). */
  nextDueAt(after?: number): number | undefined {
    return this.#delivery.nextDueAt(after)
  }

  // Delivery state transitions (PROTOCOL.md §7.3; outbox-delivery.ts says when each applies):
  // false when the message is not in a state the transition applies to.

  markDelivered(messageId: string, receipt: string, at: number, receivedProof?: readonly Buffer[]): boolean {
    const facts = this.#delivery.markDelivered(messageId, receipt, at, receivedProof)
    if (facts) this.#changed('delivered', messageId, facts)
    return facts !== undefined
  }

  /** The recipient's inclusion proof kept with the receipt (PROTOCOL.md §20.5, migration 039), with the
   *  receipt's stored text and the recipient it is of; undefined when none was kept there. */
  deliveredProof(messageId: string): { recipientAgency: string; receipt: string; proof: Buffer[] } | undefined {
    return this.#delivery.deliveredProof(messageId)
  }

  /** Back to queued, due at nextAttemptAt; its order key restarts from then (PROTOCOL.md §7.2).
   *  `attempt`: of the claim this outcome is of; false when this store no longer holds that lease (outbox-delivery.ts). */
  markRetry(messageId: string, nextAttemptAt: number, code: string, detail: string, attempt?: number): boolean {
    return this.#delivery.markRetry(messageId, nextAttemptAt, code, detail, attempt)
  }

  /** Final failure of an attempt, under its lease as markRetry. */
  markFailed(messageId: string, code: string, detail: string, attempt?: number): boolean {
    const ok = this.#delivery.markFailed(messageId, code, detail, attempt)
    if (ok) this.#changed('failed', messageId)
    return ok
  }

  /** A queued message of a withdrawn letter becomes final with CANCELLED_CODE (PROTOCOL.md §18.4). */
  cancelQueued(messageId: string, reason: string): boolean {
    return this.#delivery.cancelQueued(messageId, reason)
  }

  /** An attempt stopped by the peer's circuit: back to queued in its place (PROTOCOL.md §7.2). */
  markWaiting(messageId: string, code: string, detail: string, attempt?: number): boolean {
    return this.#delivery.markWaiting(messageId, code, detail, attempt)
  }

  /** Queued messages whose give-up horizon started at or before `cutoff`, oldest first (PROTOCOL.md §7.2). */
  expiring(cutoff: number, limit = 500): OutboxMessageMeta[] {
    return this.#delivery.expiring(cutoff, limit)
  }

  /** The earliest horizon start among queued messages (undefined: none queued). */
  nextHorizonFrom(): number | undefined {
    return this.#delivery.nextHorizonFrom()
  }

  /** A queued message past its give-up horizon becomes failed; false if it is no longer queued. */
  markExpired(messageId: string, code: string, detail: string): boolean {
    const ok = this.#delivery.markExpired(messageId, code, detail)
    if (ok) this.#changed('failed', messageId)
    return ok
  }

  /** An operator's requeue of a failed, not cancelled, message (PROTOCOL.md §7.2); false otherwise. */
  requeueFailed(messageId: string): boolean {
    return this.#delivery.requeueFailed(messageId)
  }

  /** Undelivered messages (queued or in flight) of these sending agencies, per recipient agency. */
  pendingByRecipient(senderAgencies: readonly string[]): Map<string, number> {
    return this.#delivery.pendingByRecipient(senderAgencies)
  }

  /** At startup: messages this owner (or a node before leases) left 'sending' go back to 'queued',
   *  attempt still counted; other owners' claims are left to their leases. Returns how many. */
  requeueInFlight(): number {
    return this.#delivery.requeueInFlight()
  }

  /** Expired claims back to the queue, in the claim's write before claimDue (issue 19 item 2). Returns how many. */
  reclaimExpired(now: number): number {
    return this.#delivery.reclaimExpired(now)
  }

  /** Extends this owner's leases on the messages it has in flight. Returns how many. */
  renewLeases(now: number): number {
    return this.#delivery.renewLeases(now)
  }

  /** When the first lease of another process runs out; undefined when none is held. */
  nextLeaseExpiry(): number | undefined {
    return this.#delivery.nextLeaseExpiry()
  }

  /** Who this store claims messages as (a process of the node: host and listener, outbox_messages.claimed_by). */
  get owner(): string {
    return this.#delivery.owner
  }

  /** How long a claim holds a message without being renewed. */
  get leaseMs(): number {
    return this.#leaseMs
  }

  /** Deadline events due at `now` (PROTOCOL.md §7.3; outbox-deadlines.ts): missed or at-risk, earliest first. */
  deadlinesDue(now: number, atRiskMs: number, limit?: number): DeadlineRow[] {
    return this.#deadlines.deadlinesDue(now, atRiskMs, limit)
  }

  /** When the next deadline event falls due (at-risk: deadline − atRiskMs; missed: deadline). */
  nextDeadlineEventAt(atRiskMs: number): number | undefined {
    return this.#deadlines.nextDeadlineEventAt(atRiskMs)
  }

  /** Records that a deadline event was raised; false if it already was (each is raised once). */
  raiseDeadline(messageId: string, state: 'at-risk' | 'missed'): boolean {
    return this.#deadlines.raiseDeadline(messageId, state)
  }

  counts(): Record<RecipientStatus, number> {
    return this.#delivery.counts()
  }

  /** One delivery attempt and its outcome (issue 17 item 2): call inside the write that records the
   *  outcome. The message keeps its newest ATTEMPTS_KEPT attempts. */
  recordAttempt(a: NewDeliveryAttempt): void {
    this.#attempts.record(a)
  }

  /** The attempts of a letter's messages (recipients in stored order, oldest attempt first), at most `limit`. */
  attemptsOfLetter(letterId: string, limit: number): DeliveryAttemptRow[] {
    return this.#attempts.ofLetter(letterId, limit)
  }

  attemptsOfMessage(messageId: string): DeliveryAttemptRow[] {
    return this.#attempts.ofMessage(messageId)
  }
}
