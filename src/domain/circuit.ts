// A per-peer circuit, pure (PROTOCOL.md §7.2 "Patience"; house style §9: retry timing is a small
// pure function). A peer is a delivery origin: a hosting node serving many agencies is one peer.
// While a peer fails at the connection level its circuit is open: no message is sent to it, and one
// probe (GET /federation/v1/health, §4.3) is made when the circuit's backoff has passed. A probe that
// is answered closes the circuit and every message queued for the peer is due at once; queued
// messages wait without spending attempts. Message-level outcomes never open a circuit.
import { nextAttemptDelay, type Jitter } from './delivery.js'

export type CircuitState = 'closed' | 'open' | 'probing'

export interface Circuit {
  readonly state: CircuitState
  /** When the state was entered (ms); for closed: when it last closed (0: never opened). */
  readonly since: number
  /** Peer-level failures in a row (probes included); reset when the peer answers a message. */
  readonly failures: number
  /** Open: when the next probe may be made. */
  readonly nextProbeAt?: number
  /** The last peer-level failure, for operators. */
  readonly lastError?: { readonly code: string; readonly detail: string; readonly at: number }
}

export interface ProbeSettings {
  /** Wait before the first probe; doubles per failure (with jitter), at most probeMaxBackoffMs. */
  readonly probeInitialBackoffMs: number
  readonly probeMaxBackoffMs: number
  readonly jitter?: Jitter
}

export const CLOSED: Circuit = { state: 'closed', since: 0, failures: 0 }

/** Where an answer puts the blame (PROTOCOL.md §7.2): the peer as a whole (its circuit opens), this
 *  one message (its own backoff), or nowhere (a refusal the peer will repeat: failed at once). */
export type FailureScope = 'peer' | 'message' | 'final'

/** HTTP answers of a peer: 429 and 502/503/504 (a gateway or the node itself is unavailable) are the
 *  peer's; 408 and other 5xx are about this request; other 4xx are refusals. */
export function scopeOfStatus(httpStatus: number): FailureScope {
  if (httpStatus === 429 || httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return 'peer'
  if (httpStatus === 408 || httpStatus >= 500) return 'message'
  return 'final'
}

/** Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, as ms from now; undefined if absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** May a message to this peer be sent now? 'send' (closed), 'probe' (open, the probe is due and
 *  none is in flight: the caller probes, not the message), 'wait'. */
export function admission(c: Circuit, now: number): 'send' | 'probe' | 'wait' {
  if (c.state === 'closed') return 'send'
  if (c.state === 'open' && now >= (c.nextProbeAt ?? 0)) return 'probe'
  return 'wait'
}

/**
 * A peer-level failure of a request started at `startedAt`: the circuit opens (or stays open) with
 * its next probe after an exponential, jittered wait; a Retry-After the peer sent is honoured up to
 * the cap. A failure of a request started before the circuit opened (or in the same millisecond) is
 * the same outage, not a new failure: it changes nothing but the last error.
 */
export function onPeerFailure(
  c: Circuit,
  f: { startedAt: number; now: number; code: string; detail: string; retryAfterMs?: number | undefined },
  s: ProbeSettings,
  random: () => number = Math.random,
): Circuit {
  const lastError = { code: f.code, detail: f.detail, at: f.now }
  if (c.state !== 'closed' && f.startedAt <= c.since) return { ...c, lastError }
  const failures = c.failures + 1
  const cap = Math.max(1, s.probeMaxBackoffMs)
  const backoff = nextAttemptDelay(failures, { initialBackoffMs: s.probeInitialBackoffMs, maxBackoffMs: cap, ...(s.jitter ? { jitter: s.jitter } : {}) }, random)
  // Never sooner than a tenth of the initial wait: full jitter may draw 0, and a down peer must not be hammered.
  const wait = Math.max(backoff, Math.ceil(s.probeInitialBackoffMs / 10), Math.min(f.retryAfterMs ?? 0, cap))
  return { state: 'open', since: f.now, failures, nextProbeAt: f.now + wait, lastError }
}

/** The probe is sent: no other probe until it ends. */
export function onProbeStart(c: Circuit, now: number): Circuit {
  return { ...c, state: 'probing', since: c.state === 'open' ? c.since : now }
}

/** The peer answered (a probe, or a message, whatever the answer's scope but 'peer'): the circuit
 *  closes. A delivered or refused message also ends the run of failures; a probe only reopens the
 *  door, so a peer that answers probes but fails messages gets longer waits each time. */
export function onPeerAnswer(c: Circuit, now: number, kind: 'probe' | 'message'): Circuit {
  const failures = kind === 'message' ? 0 : c.failures
  if (c.state === 'closed') return failures === c.failures ? c : { ...c, failures }
  return { state: 'closed', since: now, failures, ...(c.lastError ? { lastError: c.lastError } : {}) }
}
