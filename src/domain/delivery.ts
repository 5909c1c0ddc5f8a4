// Delivery rules, pure (house style §9: "retry timing is a small pure function").
// PROTOCOL.md §7.2 (retries with exponential backoff and jitter) and §7.3 (recipient states).

import type { ErrorCode } from '../errors.js'

// ---- Retry schedule ------------------------------------------------------------------------

export type Jitter = 'full' | 'decorrelated'

export interface BackoffSettings {
  /** Cap of the wait after the first failed attempt; doubles with every attempt. */
  readonly initialBackoffMs: number
  /** No wait is ever longer. */
  readonly maxBackoffMs: number
  /** 'full' (default): uniform in [0, cap]. 'decorrelated': uniform in [initial, 3 × previous], capped. */
  readonly jitter?: Jitter
  /** The previous wait, for 'decorrelated'; when unknown, the un-jittered wait of the previous attempt. */
  readonly previousDelayMs?: number
}

/** min(max, initial × 2^(attempt−1)) without overflow: the exponential cap before jitter. */
export function backoffCap(attempt: number, s: Pick<BackoffSettings, 'initialBackoffMs' | 'maxBackoffMs'>): number {
  const n = Math.max(1, Math.floor(attempt))
  const max = Math.max(0, s.maxBackoffMs)
  const initial = Math.min(Math.max(0, s.initialBackoffMs), max)
  // 2^(n−1) overflows to Infinity long before n is absurd; min() keeps it finite.
  return n > 60 ? max : Math.min(max, initial * 2 ** (n - 1))
}

/**
 * Milliseconds to wait before the next attempt, after `attempt` attempts have failed (attempt ≥ 1).
 * Exponential backoff with jitter ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
 * full jitter spreads retries of many senders evenly; decorrelated jitter grows from the last wait.
 * Always an integer in [0, maxBackoffMs]. `random` returns [0, 1) like Math.random.
 */
export function nextAttemptDelay(attempt: number, s: BackoffSettings, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1)
  const max = Math.max(0, s.maxBackoffMs)
  if (s.jitter === 'decorrelated') {
    const initial = Math.min(Math.max(0, s.initialBackoffMs), max)
    const previous = s.previousDelayMs ?? (attempt <= 1 ? initial : backoffCap(attempt - 1, s))
    const upper = Math.max(initial, previous * 3)
    return Math.floor(Math.min(max, initial + r * (upper - initial)))
  }
  return Math.floor(r * backoffCap(attempt, s))
}

// ---- Recipient states (sender side) -----------------------------------------------------------

export const RECIPIENT_STATUSES = ['queued', 'sending', 'delivered', 'failed'] as const
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number]

export type DeliveryEvent =
  | 'claim' //    the worker takes a due message
  | 'deliver' //  the peer returned a receipt that verifies (PROTOCOL.md §6.3)
  | 'retry' //    a retryable failure before the give-up horizon
  | 'fail' //     a refusal the peer will repeat, or the give-up horizon passed (PROTOCOL.md §7.2)
  | 'recover' //  at startup: an attempt that was in flight when the node stopped
  | 'requeue' //  an operator sends a failed message again (same message id, same bytes; PROTOCOL.md §7.2)
  | 'expire' //   the give-up horizon passed while it waited (e.g. on an open circuit, PROTOCOL.md §7.2)

/** The whole state machine: from → event → to. Anything not listed is not allowed. */
export const RECIPIENT_TRANSITIONS: Readonly<Record<RecipientStatus, Readonly<Partial<Record<DeliveryEvent, RecipientStatus>>>>> = {
  queued: { claim: 'sending', expire: 'failed' },
  sending: { deliver: 'delivered', retry: 'queued', fail: 'failed', recover: 'queued' },
  delivered: {},
  failed: { requeue: 'queued' },
}

/** The status after `event`, or undefined when the event is not allowed in `from`. */
export function nextStatus(from: RecipientStatus, event: DeliveryEvent): RecipientStatus | undefined {
  return RECIPIENT_TRANSITIONS[from][event]
}

export function canTransition(from: RecipientStatus, to: RecipientStatus): boolean {
  return Object.values(RECIPIENT_TRANSITIONS[from]).includes(to)
}

/** No automatic transition leaves these (only an operator's requeue leaves failed). */
export function isFinal(s: RecipientStatus): boolean {
  return s === 'delivered' || s === 'failed'
}

/** The `lastErrorCode` that marks a queued message the sender's withdrawal cancelled (PROTOCOL.md
 *  §18.4): stored as `failed` (it is final and was never sent), shown as `cancelled`. */
export const CANCELLED_CODE: ErrorCode = 'ERR_DELIVERY_CANCELLED'

/** A recipient's delivery status as the API shows it (PROTOCOL.md §7.3). */
export const SHOWN_STATUSES = [...RECIPIENT_STATUSES, 'cancelled'] as const
export type ShownStatus = (typeof SHOWN_STATUSES)[number]

export function shownStatus(status: RecipientStatus, lastErrorCode: string | null | undefined): ShownStatus {
  return status === 'failed' && lastErrorCode === CANCELLED_CODE ? 'cancelled' : status
}

export type LetterStatus = ShownStatus | 'partially-failed'

/** A letter's state is the aggregate over its recipients (PROTOCOL.md §7.3); cancelled recipients
 *  count only when all are. */
export function letterStatus(shown: readonly ShownStatus[]): LetterStatus {
  const live = shown.filter((x) => x !== 'cancelled')
  if (live.length === 0 && shown.length > 0) return 'cancelled'
  const s = new Set(live)
  if (s.size === 0) return 'queued'
  if (s.size === 1) return [...s][0]!
  if (s.has('sending') || s.has('queued')) return 'sending'
  return 'partially-failed'
}

// ---- After a failed attempt ---------------------------------------------------------------------

export type AfterFailure = { status: 'queued'; nextAttemptAt: number; delayMs: number } | { status: 'failed'; reason: 'refused' | 'horizon' | 'attempts' }

/** When the sender gives up on a recipient (PROTOCOL.md §7.2): `giveUpAfterMs` after it was queued
 *  (or requeued by an operator, `horizonFrom`). */
export function giveUpAt(horizonFrom: number, giveUpAfterMs: number): number {
  return horizonFrom + giveUpAfterMs
}

/**
 * What happens to a recipient after attempt number `attempts` failed (PROTOCOL.md §7.2): a refusal
 * fails at once; a retryable failure waits for its backoff unless the give-up horizon has passed (or
 * would pass before the next attempt: the wait is cut short so that the last try falls on the horizon),
 * or the optional attempt cap is reached.
 */
export function afterFailure(
  o: { attempts: number; retryable: boolean; now: number; horizonFrom: number; giveUpAfterMs: number; maxAttempts?: number | undefined },
  s: BackoffSettings,
  random: () => number = Math.random,
): AfterFailure {
  if (!o.retryable) return { status: 'failed', reason: 'refused' }
  const end = giveUpAt(o.horizonFrom, o.giveUpAfterMs)
  if (o.now >= end) return { status: 'failed', reason: 'horizon' }
  if (o.maxAttempts !== undefined && o.attempts >= o.maxAttempts) return { status: 'failed', reason: 'attempts' }
  const delayMs = Math.min(nextAttemptDelay(o.attempts, s, random), end - o.now)
  return { status: 'queued', nextAttemptAt: o.now + delayMs, delayMs }
}

/** HTTP answers a sender retries (PROTOCOL.md §7.2): 408, 429 and 5xx; other 4xx are refusals
 *  (circuit.ts scopeOfStatus says which of the retried ones are the peer's). */
export function isRetryableStatus(httpStatus: number): boolean {
  return httpStatus === 408 || httpStatus === 429 || httpStatus >= 500
}

// ---- deliverBy deadlines (ด่วนภายใน, issue 5 §5) -------------------------------------------------

/** Per recipient: ok (not yet near), at-risk (within the warning window, not delivered), missed
 *  (the deadline passed before delivery), met (delivered in time). */
export type DeadlineState = 'ok' | 'at-risk' | 'missed' | 'met'

/** What a recipient's deadline looks like now. `raised` is the last deadline event raised for it. */
export function deadlineState(
  r: { status: RecipientStatus; deadlineAt: number | null; deliveredAt: number | null; raised: 'at-risk' | 'missed' | null },
  now: number,
  atRiskMs: number,
): DeadlineState | undefined {
  if (r.deadlineAt === null) return undefined
  if (r.status === 'delivered') return r.deliveredAt !== null && r.deliveredAt <= r.deadlineAt ? 'met' : 'missed'
  if (r.raised === 'missed' || now >= r.deadlineAt) return 'missed'
  if (r.raised === 'at-risk' || now >= r.deadlineAt - atRiskMs) return 'at-risk'
  return 'ok'
}

/** The deadline event due for a recipient not delivered yet, once each: at-risk, then missed. */
export function deadlineEventDue(
  r: { deadlineAt: number; raised: 'at-risk' | 'missed' | null },
  now: number,
  atRiskMs: number,
): 'at-risk' | 'missed' | undefined {
  if (r.raised === 'missed') return undefined
  if (now >= r.deadlineAt) return 'missed'
  if (r.raised === null && now >= r.deadlineAt - atRiskMs) return 'at-risk'
  return undefined
}

/** When the next deadline event of this recipient falls due (undefined: none left). */
export function nextDeadlineEventAt(r: { deadlineAt: number; raised: 'at-risk' | 'missed' | null }, atRiskMs: number): number | undefined {
  if (r.raised === 'missed') return undefined
  return r.raised === null ? r.deadlineAt - atRiskMs : r.deadlineAt
}
