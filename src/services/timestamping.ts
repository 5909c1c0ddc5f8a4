// Time-stamping of signatures (PROTOCOL.md §13.4): a SQLite queue, filled in the same transactions that
// record letters and receipts, drained by this worker against the configured TSA. It never blocks
// sending, receiving or delivery: a TSA that is down only leaves stamps pending, retried with backoff
// (the whole worker backs off, so a backlog does not hammer a TSA that just came back), reported in
// /healthz and the log. With several processes of one node (issue 19 item 2, migration 045) the backoff
// is the node's, kept in the database (storage/worker-pauses.ts): a failure seen by one process pauses
// them all, and a success in any ends the pause; a failure is recorded only under the row's claim.
// Every token is verified (imprint, nonce, TSA chain for the 'tsa' role) before it is stored.
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { PendingStamp, StampKind, StampSide, TimestampStore } from '../storage/timestamps.js'
import type { WorkerPauseStore } from '../storage/worker-pauses.js'
import type { TrustAnchors } from '../pki/validate.js'
import { receiptFromText, type ProfileTable } from '../crypto/profiles.js'
import { SarabanError } from '../errors.js'
import { nextAttemptDelay } from '../domain/delivery.js'
import { imprintOf } from '../tsa/imprint.js'
import { verifyTimeStampToken } from '../tsa/verify.js'
import type { TsaClient } from '../tsa/client.js'
import { nextWake } from './next-wake.js'

export interface TimestampingSettings {
  readonly timeoutMs: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  readonly concurrency: number
}

export interface TimestampingDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly store: TimestampStore
  /** The backoff shared by the node's processes (migration 045). */
  readonly pauses: WorkerPauseStore
  readonly anchors: TrustAnchors
  readonly profiles: ProfileTable
  /** Absent: time-stamping is off (no `tsa.url` configured). */
  readonly client: Pick<TsaClient, 'stamp' | 'close' | 'url'> | undefined
  readonly settings: TimestampingSettings
  readonly random?: () => number
}

/** What to stamp. A letter's signature is known when it is recorded; a receipt is stamped from its
 *  stored bytes (the worker asks its profile for the signature), so callers need not parse it. */
export type StampSubject =
  | { readonly messageId: string; readonly side: StampSide; readonly kind: 'letter'; readonly signature: Buffer }
  | { readonly messageId: string; readonly side: StampSide; readonly kind: 'receipt' }

export interface TimestampingStatus {
  /** off: no TSA configured; ok: the last attempt succeeded (or none was needed); retrying: the TSA failed. */
  readonly state: 'off' | 'ok' | 'retrying'
  readonly pending: number
  readonly oldestPendingSeconds: number
  readonly lastError?: { readonly code: string; readonly detail: string; readonly at: string }
}

export interface TokenRecord {
  readonly kind: StampKind
  readonly side: StampSide
  readonly imprint: Buffer
  readonly token: Buffer
  readonly genTime: Date
}

/** The row of worker_pauses that holds the TSA's backoff. */
const PAUSE = 'tsa'

export class Timestamping {
  readonly #d: TimestampingDeps
  readonly #inFlight = new Set<Promise<void>>()
  #running = false
  #timer: NodeJS.Timeout | undefined
  #scheduled = false

  constructor(deps: TimestampingDeps) {
    this.#d = deps
  }

  get enabled(): boolean {
    return this.#d.client !== undefined
  }

  /** Queues stamps. Synchronous and transactional: call it inside the Db.write fn that records the
   *  letter or receipt. A no-op when time-stamping is off. */
  record(subjects: readonly StampSubject[]): void {
    if (!this.enabled || subjects.length === 0) return
    const rows = subjects.map((s) => ({ messageId: s.messageId, side: s.side, kind: s.kind, imprint: s.kind === 'letter' ? imprintOf(s.signature) : null }))
    try {
      this.#d.store.enqueue(rows, this.#d.clock.now()) // a savepoint: a failure undoes only these rows
    } catch (err) {
      // Time-stamping must never cost a letter or a receipt (PROTOCOL.md §13.4).
      this.#d.log.error({ err, event: 'timestamp.enqueue-failed', messageId: subjects[0]!.messageId }, 'could not queue a time-stamp')
      return
    }
    this.notify()
  }

  /** Stored tokens of a message (both sides, both kinds), for evidence (PROTOCOL.md §8). */
  tokensFor(messageId: string): TokenRecord[] {
    return this.#d.store.tokensFor(messageId).map((r) => ({ kind: r.kind, side: r.side, imprint: r.imprint, token: r.token, genTime: new Date(r.genTime) }))
  }

  status(): TimestampingStatus {
    const { count, oldestCreatedAt } = this.#d.store.pending()
    const age = oldestCreatedAt === undefined ? 0 : Math.max(0, Math.floor((this.#d.clock.now() - oldestCreatedAt) / 1000))
    const pause = this.enabled ? this.#d.pauses.get(PAUSE) : undefined
    // Stored as "CODE: detail" (the row's last_error, as the queue's).
    const [code, ...rest] = (pause?.lastError ?? '').split(': ')
    return {
      state: !this.enabled ? 'off' : pause ? 'retrying' : 'ok',
      pending: count,
      oldestPendingSeconds: age,
      ...(pause ? { lastError: { code: code!, detail: rest.join(': '), at: new Date(pause.failedAt).toISOString() } } : {}),
    }
  }

  start(): void {
    if (!this.enabled || this.#running) return
    this.#running = true
    // What this process claimed in its earlier life (its attempts ended with it) is due at once.
    void this.#d.db.write(() => this.#d.store.releaseClaims(this.#d.clock.now())).catch((err: unknown) => {
      this.#d.log.error({ err, event: 'timestamp.release-failed' }, 'could not release this process\'s earlier claims; they wait for their lease')
    }).finally(() => this.notify())
  }

  /** New stamps may be due. Coalesced: one claim per event-loop turn. */
  notify(): void {
    if (!this.#running || this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#pump()
    })
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#timer) clearTimeout(this.#timer)
    await Promise.allSettled([...this.#inFlight])
    await this.#d.client?.close()
  }

  #pump(): void {
    if (!this.#running) return
    const now = this.#d.clock.now()
    const room = this.#d.settings.concurrency - this.#inFlight.size
    if (room <= 0) return
    let claimed: PendingStamp[]
    try {
      // The node's backoff: any process's failure pauses every process (migration 045).
      const pausedUntil = this.#d.pauses.get(PAUSE)?.pausedUntil ?? 0
      if (now < pausedUntil) return this.#wake(pausedUntil)
      claimed = this.#d.store.claimDue(now, room, now + 2 * this.#d.settings.timeoutMs + 1000)
    } catch (err) {
      this.#d.log.error({ err, event: 'timestamp.claim-failed' }, 'could not read the time-stamp queue; will try again')
      return this.#wake(now + 5000)
    }
    for (const row of claimed) {
      const p: Promise<void> = this.#stampOne(row).finally(() => {
        this.#inFlight.delete(p)
        this.notify()
      })
      this.#inFlight.add(p)
    }
    if (claimed.length === 0 && this.#inFlight.size === 0) {
      const next = nextWake(() => this.#d.store.nextDueAt(), now + 5000) // unreadable: as a failed claim above
      if (next !== undefined) this.#wake(next)
    }
  }

  #wake(at: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { this.#timer = undefined; this.notify() }, Math.min(Math.max(0, at - this.#d.clock.now()), 60_000))
    this.#timer.unref()
  }

  async #stampOne(row: PendingStamp): Promise<void> {
    const d = this.#d
    let imprint = row.imprint ?? undefined
    try {
      imprint ??= await this.#receiptImprint(row)
    } catch (err) {
      // Our own data, not the TSA: this row waits long, the others go on.
      const detail = err instanceof Error ? err.message : String(err)
      d.log.error({ event: 'timestamp.subject-unreadable', messageId: row.messageId, side: row.side, kind: row.kind, detail }, 'cannot read what to time-stamp')
      await d.db.write(() => { d.store.markRetry(row, d.clock.now() + d.settings.maxBackoffMs, `ERR_INTERNAL: ${detail}`) }).catch(() => {})
      return
    }
    // A letter signed once for many recipients (PROTOCOL.md §17) has one signature: its token, once
    // verified and stored for one message, is the token of every other (the imprint is all it binds).
    const known = d.store.tokenForImprint(imprint)
    if (known) {
      await d.db.write(() => d.store.saveToken(row, imprint!, known.token, known.genTime, d.clock.now()))
      return
    }
    try {
      const { token, nonce } = await d.client!.stamp(imprint)
      const v = await verifyTimeStampToken(token, { imprint, anchors: d.anchors, nonce })
      if (!v.ok) throw new SarabanError(v.code, v.reason)
      const at = d.clock.now()
      const after = await d.db.write(() => {
        d.store.saveToken(row, imprint!, token, v.value.genTime.getTime(), at)
        return d.pauses.clear(PAUSE)
      })
      if (after > 0) d.log.info({ event: 'timestamp.recovered', after }, 'the time-stamping authority answers again')
      d.log.debug({ event: 'timestamp.stamped', messageId: row.messageId, side: row.side, kind: row.kind, genTime: v.value.genTime.toISOString() }, 'signature time-stamped')
    } catch (err) {
      const code = err instanceof SarabanError ? err.code : 'ERR_INTERNAL'
      const detail = err instanceof Error ? err.message : String(err)
      const now = d.clock.now()
      let wait = Math.min(d.settings.initialBackoffMs, d.settings.maxBackoffMs)
      try {
        await d.db.write(() => {
          // The node's count of failures since the last success sets the backoff of every process.
          const failures = d.pauses.fail(PAUSE, `${code}: ${detail}`, now)
          const delay = nextAttemptDelay(failures, { ...d.settings, jitter: 'full' }, d.random)
          // Jitter spreads retries; the floor keeps a dead TSA from being asked at once again.
          wait = Math.max(delay, wait)
          d.pauses.pauseUntil(PAUSE, now + wait)
          // A stale attempt (its claim ran out, another process holds the row) moves nothing.
          d.store.markRetry(row, now + wait, `${code}: ${detail}`, imprint)
        })
      } catch (e) {
        d.log.error({ err: e, event: 'timestamp.record-failed', messageId: row.messageId }, 'could not record a time-stamping failure')
      }
      const { count } = d.store.pending()
      d.log.warn({ event: 'timestamp.retry', messageId: row.messageId, side: row.side, kind: row.kind, code, detail, retryInMs: wait, pending: count },
        'time-stamping failed; letters and receipts keep flowing, the stamp will be retried')
    }
  }

  /** A receipt's stamp: SHA-256 of its signature value, read back through its profile. */
  async #receiptImprint(row: PendingStamp): Promise<Buffer> {
    const stored = this.#d.store.receiptOf(row)
    if (!stored) throw new SarabanError('ERR_INTERNAL', `no stored receipt for ${row.side} message ${row.messageId}`)
    const profile = this.#d.profiles.get(stored.profile)
    // Stored as text in the profile's form (jose-v1: the compact JWS; cms-v1: base64 DER).
    const { signature } = await profile.verifyReceipt(receiptFromText(profile.id, stored.receipt))
    return imprintOf(signature)
  }
}
