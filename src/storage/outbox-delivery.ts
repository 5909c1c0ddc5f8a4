// The delivery state of outbox messages (PROTOCOL.md §7.3): queued → sending → delivered |
// queued (retry) | failed. Claiming due work is atomic (BEGIN IMMEDIATE) and follows the aging
// order key (PROTOCOL.md §7.2). Used through OutboxStore.
// A claim is a lease (migration 040; issue 19 item 2, PROTOCOL.md implementation note "Several
// processes, one node"): the message is 'sending', claimed by this store's owner until lease_until,
// which the owner renews (renewLeases) while it lives. An expired lease is put back in the queue by
// the next claim of any process (reclaimExpired). The outcome of an attempt is recorded only under
// the lease it was made under (owner and attempt number: the fencing token); a verified receipt is a
// fact and is recorded whoever holds the lease now.
import type Database from 'better-sqlite3'
import type { Clock } from '../clock.js'
import { CANCELLED_CODE, type RecipientStatus } from '../domain/delivery.js'
import type { Db } from './db.js'
import { META, preparer } from './outbox-sql.js'
import { FACTS, type OutboxFacts } from './metrics.js'
import type { ClaimCandidate, OutboxMessageMeta } from './outbox-types.js'

/** The statements that read other processes' leases on every claim round. The index outbox_leases
 *  (lease_until, claimed_by) WHERE status = 'sending' (migrations 040, 046) answers both alone, in lease
 *  order; named, because SQLite's planner otherwise reads every 'sending' row through outbox_by_status. */
export const LEASE_SQL = {
  reclaim: `UPDATE outbox_messages INDEXED BY outbox_leases SET status = 'queued', lease_until = NULL, updated_at = @now
    WHERE status = 'sending' AND lease_until < @now`,
  // The first lease of another owner to run out: past this owner's own rows in the index only.
  nextExpiry: `SELECT lease_until FROM outbox_messages INDEXED BY outbox_leases
    WHERE status = 'sending' AND lease_until IS NOT NULL AND claimed_by IS NOT @owner ORDER BY lease_until LIMIT 1`,
} as const

/** The lease an attempt's outcome must still hold: this owner's claim, of this attempt (or the current one). */
const HELD = `status = 'sending' AND claimed_by = @owner AND attempts = coalesce(@attempt, attempts)`

/** Most due rows one claim offers to its `accept` (those of refused groups are passed over in SQL, uncounted). */
const CLAIM_SCAN_LIMIT = 20_000

/** The SQL function that tells the due walk whether a row's agency is still open to the running claim. */
const CLAIM_OPEN = 'saraban_claim_open'
/** The running claim's test of a row's agency (none: every row is open). */
interface ClaimState { open: ((agency: string) => boolean) | undefined }
/** Per connection: the function is registered once, and reads the state of the claim running on it. */
const claimStates = new WeakMap<Database.Database, ClaimState>()

function claimState(db: Db): ClaimState {
  // PostgreSQL runs no JavaScript in its statements: its walk reads pages and passes over refused
  // groups here (dueWalk below).
  if (db.engine === 'postgresql') return { open: undefined }
  let state = claimStates.get(db.sqlite)
  if (!state) {
    const st: ClaimState = { open: undefined }
    db.sqlite.function(CLAIM_OPEN, { deterministic: false }, (agency: unknown) => (st.open === undefined || st.open(String(agency)) ? 1 : 0))
    claimStates.set(db.sqlite, (state = st))
  }
  return state
}

/** Rows per page of PostgreSQL's due walk. */
const DUE_PAGE = 256

/** PostgreSQL's due walk: the rows SQLite's statement would give, in its order, read a page at a time
 *  (keyset: after the last order_key and rowid), at most `scan` rows. Rows of refused groups are passed
 *  over by the caller, and count towards `scan` (on SQLite they do not). */
function* dueWalk(due: Database.Statement<unknown[], ClaimCandidate>, now: number, scan: number, limit: number): Generator<ClaimCandidate> {
  let afterKey = Number.MIN_SAFE_INTEGER
  let afterRow = 0
  for (let seen = 0; seen < scan; ) {
    const page = due.all({ now, afterKey, afterRow, limit: Math.min(scan - seen, Math.max(limit, DUE_PAGE)) }) as Array<ClaimCandidate & { orderKey: number; rowid: number }>
    for (const r of page) yield r
    seen += page.length
    if (page.length === 0 || page.length < Math.min(scan - seen + page.length, Math.max(limit, DUE_PAGE))) return
    afterKey = page[page.length - 1]!.orderKey
    afterRow = page[page.length - 1]!.rowid
  }
}

export class OutboxDelivery {
  readonly #clock: Clock
  readonly #agingMs: number
  readonly #s
  readonly #claim: Database.Transaction<(now: number, limit: number, accept?: (c: ClaimCandidate) => boolean, groupOf?: (agency: string) => string) => OutboxMessageMeta[]>

  readonly #owner: string
  readonly #leaseMs: number

  constructor(db: Db, clock: Clock, agingMs: number, lease: { readonly owner: string; readonly ms: number }) {
    this.#clock = clock
    this.#agingMs = agingMs
    this.#owner = lease.owner
    this.#leaseMs = lease.ms
    // Registered before the statement that calls it is prepared.
    const state = claimState(db)
    const p = preparer(db)
    this.#s = {
      meta: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m WHERE m.message_id = ?`),
      // Walk the partial index in its own order (PROTOCOL.md §7.2: order key, then first stored) and
      // stop at the limit; left to itself the planner may pick outbox_by_status and sort the whole
      // backlog on every claim. saraban_claim_open() passes over the rows of the groups (peers) the
      // running claim refused inside SQLite, without offering them to JS or starting a new query.
      due: p<ClaimCandidate>(db.engine === 'sqlite'
        ? `SELECT message_id AS messageId, recipient_agency AS recipientAgency
        FROM outbox_messages INDEXED BY outbox_due
        WHERE status = 'queued' AND next_attempt_at <= @now AND ${CLAIM_OPEN}(recipient_agency)
        ORDER BY order_key, rowid LIMIT @limit`
        // One page of the same walk, after the last row of the page before (order_key, rowid).
        : `SELECT message_id AS messageId, recipient_agency AS recipientAgency, order_key AS orderKey, rowid
        FROM outbox_messages WHERE status = 'queued' AND next_attempt_at <= @now
        AND (order_key > @afterKey OR (order_key = @afterKey AND rowid > @afterRow))
        ORDER BY order_key, rowid LIMIT @limit`),
      toSending: p(`UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, updated_at = @now,
        claimed_by = @owner, lease_until = @until WHERE message_id = @id AND status = 'queued'`),
      reclaim: p(LEASE_SQL.reclaim),
      renew: p(`UPDATE outbox_messages SET lease_until = @until WHERE status = 'sending' AND claimed_by = @owner`),
      nextExpiry: p<number | null>(LEASE_SQL.nextExpiry).pluck(),
      nextDue: p<number | null>(`SELECT min(next_attempt_at) FROM outbox_messages WHERE status = 'queued' AND next_attempt_at > ?`).pluck(),
      // RETURNING: what a metric counts (storage/metrics.ts), known here without reading the row again.
      delivered: p<OutboxFacts>(`UPDATE outbox_messages SET status = 'delivered', receipt = ?, received_proof = ?, delivered_at = ?, updated_at = ?,
        lease_until = NULL WHERE message_id = ? AND status IN ('queued', 'sending') RETURNING ${FACTS}`),
      deliveredProof: p<{ recipientAgency: string; receipt: string; proof: Buffer }>(`SELECT recipient_agency AS recipientAgency, receipt,
        received_proof AS proof FROM outbox_messages WHERE message_id = ? AND received_proof IS NOT NULL AND receipt IS NOT NULL`),
      // The three outcomes of an attempt that did not deliver: only under the lease it ran under.
      retry: p(`UPDATE outbox_messages SET status = 'queued', next_attempt_at = @next, order_key = @next + priority * @agingMs,
        last_error_code = @code, last_error_detail = @detail, updated_at = @now, lease_until = NULL
        WHERE message_id = @id AND ${HELD}`),
      failed: p(`UPDATE outbox_messages SET status = 'failed', last_error_code = @code, last_error_detail = @detail, updated_at = @now,
        lease_until = NULL WHERE message_id = @id AND ${HELD}`),
      cancel: p(`UPDATE outbox_messages SET status = 'failed', last_error_code = ?, last_error_detail = ?, updated_at = ?
        WHERE message_id = ? AND status = 'queued'`),
      // PROTOCOL.md §7.2 "Patience": an attempt stopped by the peer's circuit goes back in its place.
      waiting: p(`UPDATE outbox_messages SET status = 'queued', last_error_code = @code, last_error_detail = @detail, updated_at = @now,
        lease_until = NULL WHERE message_id = @id AND ${HELD}`),
      expiring: p<OutboxMessageMeta>(`SELECT ${META} FROM outbox_messages m INDEXED BY outbox_horizon
        WHERE m.status = 'queued' AND m.horizon_from <= @cutoff ORDER BY m.horizon_from LIMIT @limit`),
      nextHorizon: p<number | null>(`SELECT min(horizon_from) FROM outbox_messages INDEXED BY outbox_horizon WHERE status = 'queued'`).pluck(),
      requeueFailed: p(`UPDATE outbox_messages SET status = 'queued', attempts = 0, next_attempt_at = @now,
        order_key = @now + priority * @agingMs, horizon_from = @now, updated_at = @now
        WHERE message_id = @id AND status = 'failed' AND last_error_code IS NOT '${CANCELLED_CODE}'`),
      pendingByRecipient: p<{ recipientAgency: string; n: number }>(`SELECT m.recipient_agency AS recipientAgency, count(*) AS n
        FROM outbox_messages m JOIN letters l ON l.id = m.letter_id
        WHERE m.status IN ('queued', 'sending') AND l.sender_agency IN (SELECT value FROM json_each(?)) GROUP BY m.recipient_agency`),
      // At start: this owner's earlier life (it is not running: this is it) and claims made before leases.
      requeue: p(`UPDATE outbox_messages SET status = 'queued', lease_until = NULL, updated_at = @now
        WHERE status = 'sending' AND (claimed_by = @owner OR claimed_by IS NULL)`),
      counts: p<{ status: RecipientStatus; n: number }>('SELECT status, count(*) AS n FROM outbox_messages GROUP BY status'),
    }
    const s = this.#s
    this.#claim = db.sqlite.transaction((now: number, limit: number, accept?: (c: ClaimCandidate) => boolean, groupOf?: (agency: string) => string) => {
      // Issue 16 item 3: a refusal is remembered for the candidate's group (the worker's: its peer),
      // and the rest of the walk passes over that group's rows in SQL. A national circular queues
      // thousands of agencies a few hosting nodes serve; refused one agency at a time, every claim
      // behind a full peer ran one query per agency it hosts, each with a longer skip list.
      const refused = new Set<string>()
      const group = groupOf ?? ((agency: string) => agency)
      // Called for every row the walk reaches: no group lookup while nothing is refused.
      state.open = accept ? (agency) => refused.size === 0 || !refused.has(group(agency)) : undefined
      const picked: ClaimCandidate[] = []
      try {
        // No other statement may run while the iterator is open: the picked rows are claimed after it.
        for (const r of db.engine === 'sqlite' ? s.due.iterate({ now, limit: accept ? CLAIM_SCAN_LIMIT : limit }) : dueWalk(s.due, now, accept ? CLAIM_SCAN_LIMIT : limit, limit)) {
          if (db.engine === 'postgresql' && accept && refused.size > 0 && refused.has(group(r.recipientAgency))) continue
          if (accept && !accept(r)) {
            refused.add(group(r.recipientAgency))
            continue
          }
          picked.push(r)
          if (picked.length >= limit) break
        }
      } finally {
        state.open = undefined
      }
      const claimed: OutboxMessageMeta[] = []
      const until = now + this.#leaseMs
      for (const r of picked) {
        // Only a row this UPDATE took is claimed (a row the walk saw queued is still queued: the walk
        // and the claim are one IMMEDIATE transaction; the check keeps that true of any engine).
        if (s.toSending.run({ now, owner: this.#owner, until, id: r.messageId }).changes !== 1) continue
        claimed.push(s.meta.get(r.messageId)!)
      }
      return claimed
    })
  }

  /** See OutboxStore.claimDue. */
  claimDue(now: number, limit: number, accept?: (c: ClaimCandidate) => boolean, groupOf?: (agency: string) => string): OutboxMessageMeta[] {
    if (limit <= 0) return []
    return this.#claim.immediate(now, limit, accept, groupOf)
  }

  /** Puts back in the queue the messages whose lease ran out (a process stopped or died while it
   *  attempted them): due at once, in their place (order key unchanged), the attempt still counted
   *  (the peer may have received it; its receipt for the same bytes settles it, PROTOCOL.md §6).
   *  Call it in the claim's write, before claimDue. Returns how many. */
  reclaimExpired(now: number): number {
    return this.#s.reclaim.run({ now }).changes
  }

  /** Extends the lease of every message this owner has in flight to now + the lease length; returns how many. */
  renewLeases(now: number): number {
    return this.#s.renew.run({ owner: this.#owner, until: now + this.#leaseMs }).changes
  }

  /** When the first lease of another owner runs out (then reclaimExpired has work); undefined: none held. */
  nextLeaseExpiry(): number | undefined {
    return this.#s.nextExpiry.get({ owner: this.#owner }) ?? undefined
  }

  /** Who this store claims as (outbox_messages.claimed_by). */
  get owner(): string {
    return this.#owner
  }

  /** Earliest next_attempt_at among queued messages (later than `after`, when given). */
  nextDueAt(after = Number.MIN_SAFE_INTEGER): number | undefined {
    return this.#s.nextDue.get(after) ?? undefined
  }

  // The transitions below return false when the message is not in a state they apply to, e.g. a
  // late outcome for a message that requeueInFlight() already put back.

  /** The message's facts as delivered; undefined when it was not queued or sending. `receivedProof`:
   *  the recipient's inclusion proof that came with the receipt, checked (PROTOCOL.md §20.5, migration 039). */
  markDelivered(messageId: string, receipt: string, at: number, receivedProof?: readonly Buffer[]): OutboxFacts | undefined {
    return this.#s.delivered.get(receipt, receivedProof ? Buffer.concat(receivedProof) : null, at, at, messageId)
  }

  deliveredProof(messageId: string): { recipientAgency: string; receipt: string; proof: Buffer[] } | undefined {
    const r = this.#s.deliveredProof.get(messageId)
    if (r === undefined) return undefined
    const proof: Buffer[] = []
    for (let i = 0; i < r.proof.length; i += 32) proof.push(r.proof.subarray(i, i + 32))
    return { recipientAgency: r.recipientAgency, receipt: r.receipt, proof }
  }

  /** Back to queued, due at nextAttemptAt; its order key restarts from then (PROTOCOL.md §7.2).
   *  `attempt`: the attempt number of the claim the outcome is of (the fencing token with this
   *  store's owner); undefined: the message's current attempt. False when the lease is not held. */
  markRetry(messageId: string, nextAttemptAt: number, code: string, detail: string, attempt?: number): boolean {
    return this.#s.retry.run({ next: nextAttemptAt, agingMs: this.#agingMs, code, detail, now: this.#clock.now(), id: messageId, ...this.#held(attempt) }).changes === 1
  }

  /** Final failure of an attempt (PROTOCOL.md §7.2), under its lease as markRetry. */
  markFailed(messageId: string, code: string, detail: string, attempt?: number): boolean {
    return this.#s.failed.run({ code, detail, now: this.#clock.now(), id: messageId, ...this.#held(attempt) }).changes === 1
  }

  #held(attempt: number | undefined): { owner: string; attempt: number | null } {
    return { owner: this.#owner, attempt: attempt ?? null }
  }

  /** The sender withdrew a letter before this message was sent (PROTOCOL.md §18.4): a queued message
   *  (not one in flight) becomes final, marked with CANCELLED_CODE, and is never claimed again. */
  cancelQueued(messageId: string, reason: string): boolean {
    return this.#s.cancel.run(CANCELLED_CODE, reason, this.#clock.now(), messageId).changes === 1
  }

  /** An attempt the peer's circuit stopped (PROTOCOL.md §7.2 "Patience"): back to queued, still due,
   *  in its place (next attempt and order key unchanged); the circuit, not the message, waits. */
  markWaiting(messageId: string, code: string, detail: string, attempt?: number): boolean {
    return this.#s.waiting.run({ id: messageId, code, detail, now: this.#clock.now(), ...this.#held(attempt) }).changes === 1
  }

  /** Queued messages whose give-up horizon started at or before `cutoff` (now − giveUpAfter), oldest first. */
  expiring(cutoff: number, limit: number): OutboxMessageMeta[] {
    return this.#s.expiring.all({ cutoff, limit })
  }

  /** The earliest horizon start among queued messages: the next one to expire is due giveUpAfter after it. */
  nextHorizonFrom(): number | undefined {
    return this.#s.nextHorizon.get() ?? undefined
  }

  /** A queued message whose horizon passed becomes failed (PROTOCOL.md §7.2); false if it is no longer queued. */
  markExpired(messageId: string, code: string, detail: string): boolean {
    return this.#s.cancel.run(code, detail, this.#clock.now(), messageId).changes === 1
  }

  /** An operator sends a failed message again (PROTOCOL.md §7.2): same message id and bytes, due now,
   *  its give-up horizon and attempt count started afresh. A cancelled one (§18.4) is never requeued. */
  requeueFailed(messageId: string): boolean {
    return this.#s.requeueFailed.run({ id: messageId, now: this.#clock.now(), agingMs: this.#agingMs }).changes === 1
  }

  /** Messages of these sending agencies not yet delivered (queued or in flight), per recipient agency. */
  pendingByRecipient(senderAgencies: readonly string[]): Map<string, number> {
    return new Map(this.#s.pendingByRecipient.all(JSON.stringify(senderAgencies)).map((r) => [r.recipientAgency, r.n]))
  }

  /** At startup: messages this owner left 'sending' in an earlier life (a stop or crash), and those
   *  claimed before leases, go back to 'queued' (already due) without waiting for their leases to run
   *  out. Another process's claims are left to their leases. Their attempt stays counted: the peer
   *  may have received it. Returns how many. */
  requeueInFlight(): number {
    return this.#s.requeue.run({ now: this.#clock.now(), owner: this.#owner }).changes
  }

  counts(): Record<RecipientStatus, number> {
    const c: Record<RecipientStatus, number> = { queued: 0, sending: 0, delivered: 0, failed: 0 }
    for (const r of this.#s.counts.all()) c[r.status] = r.n
    return c
  }
}
