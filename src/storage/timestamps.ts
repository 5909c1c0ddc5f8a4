// Time-stamps of signatures and the queue of those still to get (PROTOCOL.md §13.4). Rows are inserted in
// the same transaction as the outbox/inbox change they belong to (enqueue() is synchronous: call it inside
// the caller's Db.write fn), so a stamp is never lost to a crash between the two.
// With several processes (issue 19 item 2, migration 045) a claim names its process and counts the
// attempt; a failure is recorded only under the claim it ran under (owner and attempt count), so a
// process whose claim ran out cannot move a row another process holds.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import { uniqueOwner } from './owner.js'

export type StampSide = 'outbox' | 'inbox'
export type StampKind = 'letter' | 'receipt'

export interface StampKey {
  readonly messageId: string
  readonly side: StampSide
  readonly kind: StampKind
}

export interface NewStamp extends StampKey {
  /** SHA-256 of the signature value, or null for a receipt the worker reads back (receiptOf). */
  readonly imprint: Buffer | null
}

export interface PendingStamp extends NewStamp {
  /** attempts made, this claim's included: with the store's owner, the claim's fencing token */
  readonly attempts: number
  readonly createdAt: number
}

/** The claim an outcome must still hold: the row as claimed (its attempt count then). */
export type StampClaim = StampKey & { readonly attempts: number }

export interface StoredToken extends StampKey {
  readonly imprint: Buffer
  readonly token: Buffer
  readonly genTime: number
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>
const KEY = 'message_id = @messageId AND side = @side AND kind = @kind'

export class TimestampStore {
  readonly #s
  readonly #owner: string
  readonly #enqueue: Database.Transaction<(rows: readonly NewStamp[], now: number) => void>
  readonly #claim: Database.Transaction<(now: number, limit: number, leaseUntil: number) => PendingStamp[]>

  /** `owner`: the name this process claims under (storage/owner.ts); by default one unique to it. */
  constructor(db: Db, owner: string = uniqueOwner()) {
    this.#owner = owner
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insert: p(`INSERT INTO timestamps (message_id, side, kind, imprint, created_at, next_attempt_at)
        VALUES (@messageId, @side, @kind, @imprint, @now, @now) ON CONFLICT DO NOTHING`),
      due: p<PendingStamp>(`SELECT message_id AS messageId, side, kind, imprint, attempts, created_at AS createdAt
        FROM timestamps INDEXED BY timestamps_due WHERE token IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`),
      // A visibility timeout: the row is due to no other process until the lease ends (PROTOCOL.md §13.4);
      // the claim names its process and counts the attempt (migration 045).
      lease: p(`UPDATE timestamps SET next_attempt_at = @leaseUntil, claimed_by = @owner, attempts = attempts + 1
        WHERE ${KEY} AND token IS NULL AND next_attempt_at <= @now AND attempts = @attempts`),
      // The first token stored stays (issue 19 item 2): a second process whose claim on the row ran out
      // may get another token for it, and evidence already handed out cites the first.
      save: p(`UPDATE timestamps SET imprint = @imprint, token = @token, gen_time = @genTime, stamped_at = @at,
        last_error = NULL, claimed_by = NULL WHERE ${KEY} AND token IS NULL`),
      // Only under the claim the attempt ran under: another process may hold the row now.
      retry: p(`UPDATE timestamps SET imprint = coalesce(@imprint, imprint), next_attempt_at = @nextAttemptAt, last_error = @error,
        claimed_by = NULL WHERE ${KEY} AND token IS NULL AND claimed_by = @owner AND attempts = @attempts`),
      // At start: this process's claims from its earlier life (their attempts ended with it) are due now.
      release: p(`UPDATE timestamps SET claimed_by = NULL, next_attempt_at = CASE WHEN next_attempt_at > @now THEN @now ELSE next_attempt_at END
        WHERE token IS NULL AND claimed_by = @owner`),
      tokens: p<StoredToken>(`SELECT message_id AS messageId, side, kind, imprint, token, gen_time AS genTime
        FROM timestamps WHERE message_id = ? AND token IS NOT NULL ORDER BY side, kind`),
      byImprint: p<{ token: Buffer; genTime: number }>(`SELECT token, gen_time AS genTime FROM timestamps INDEXED BY timestamps_by_imprint
        WHERE imprint = ? AND token IS NOT NULL LIMIT 1`),
      pending: p<{ count: number; oldest: number | null }>(`SELECT count(*) AS count, min(created_at) AS oldest
        FROM timestamps WHERE token IS NULL`),
      nextDue: p<number | null>('SELECT min(next_attempt_at) FROM timestamps WHERE token IS NULL').pluck(),
      outboxReceipt: p<{ profile: string; receipt: string | null }>('SELECT profile, receipt FROM outbox_messages WHERE message_id = ?'),
      // An incoming notice (PROTOCOL.md §18) keeps its receipt in notices, not in inbox_messages.
      inboxReceipt: p<{ profile: string; receipt: string | null }>(`SELECT profile, receipt FROM inbox_messages WHERE message_id = @id
        UNION ALL SELECT profile, receipt FROM notices WHERE message_id = @id AND direction = 'in' LIMIT 1`),
    }
    this.#enqueue = db.sqlite.transaction((rows: readonly NewStamp[], now: number) => {
      for (const r of rows) this.#s.insert.run({ ...r, now })
    })
    this.#claim = db.sqlite.transaction((now: number, limit: number, leaseUntil: number) => {
      // Only a row this UPDATE took is claimed (one IMMEDIATE transaction on SQLite; the check keeps it true elsewhere).
      const owner = this.#owner
      return this.#s.due.all(now, limit).filter((r) => this.#s.lease.run({ ...r, now, leaseUntil, owner }).changes === 1)
        .map((r) => ({ ...r, attempts: r.attempts + 1 }))
    })
  }

  /** Queues stamps (idempotent per message, side and kind). Synchronous: call inside a Db.write fn. */
  enqueue(rows: readonly NewStamp[], now: number): void {
    if (rows.length > 0) this.#enqueue(rows, now)
  }

  /** Takes up to `limit` due stamps and leases them until `leaseUntil` (an attempt that never reports
   *  back, e.g. a crash, is retried after the lease). */
  claimDue(now: number, limit: number, leaseUntil: number): PendingStamp[] {
    if (limit <= 0) return []
    return this.#claim.immediate(now, limit, leaseUntil)
  }

  /** Stores the token; false when the row already holds one (the first token stays). */
  saveToken(key: StampKey, imprint: Buffer, token: Buffer, genTime: number, at: number): boolean {
    return this.#s.save.run({ ...key, imprint, token, genTime, at }).changes === 1
  }

  /** A token already held for this imprint (a signature shared by many messages, PROTOCOL.md §17). */
  tokenForImprint(imprint: Buffer): { token: Buffer; genTime: number } | undefined {
    return this.#s.byImprint.get(imprint)
  }

  get owner(): string {
    return this.#owner
  }

  /** A failed attempt: the row is due again at `nextAttemptAt`. Recorded only under the claim it ran
   *  under (this store's owner, the attempt count claimed); false when that claim is no longer held. */
  markRetry(claim: StampClaim, nextAttemptAt: number, error: string, imprint?: Buffer): boolean {
    const { messageId, side, kind, attempts } = claim
    return this.#s.retry.run({ messageId, side, kind, attempts, owner: this.#owner, nextAttemptAt, error, imprint: imprint ?? null }).changes === 1
  }

  /** Inside a Db.write fn, at start: this owner's claims left by its earlier life are due now. Returns how many. */
  releaseClaims(now: number): number {
    return this.#s.release.run({ owner: this.#owner, now }).changes
  }

  tokensFor(messageId: string): StoredToken[] {
    return this.#s.tokens.all(messageId)
  }

  pending(): { count: number; oldestCreatedAt: number | undefined } {
    const r = this.#s.pending.get()!
    return { count: r.count, oldestCreatedAt: r.oldest ?? undefined }
  }

  nextDueAt(): number | undefined {
    return this.#s.nextDue.get() ?? undefined
  }

  /** The receipt a 'receipt' stamp is about, as stored beside its message, with the message's profile. */
  receiptOf(key: StampKey): { profile: string; receipt: string } | undefined {
    const row = key.side === 'outbox' ? this.#s.outboxReceipt.get(key.messageId) : this.#s.inboxReceipt.get({ id: key.messageId })
    return row?.receipt ? { profile: row.profile, receipt: row.receipt } : undefined
  }
}
