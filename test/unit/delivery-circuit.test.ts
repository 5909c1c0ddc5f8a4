// domain/circuit.ts (PROTOCOL.md §7.2 "Patience"): which answers blame the peer, when a probe is
// due, one probe at a time, failures of one outage counted once, and what closes a circuit.
import t from 'tap'
import { CLOSED, admission, onPeerAnswer, onPeerFailure, onProbeStart, retryAfterMs, scopeOfStatus } from '../../src/domain/circuit.js'

const s = { probeInitialBackoffMs: 1000, probeMaxBackoffMs: 300_000 }
const fail = (now: number, startedAt = now, extra: { retryAfterMs?: number } = {}) => ({ startedAt, now, code: 'ERR_PEER_UNREACHABLE', detail: 'ECONNREFUSED', ...extra })

t.test('which answers open the circuit', async (t) => {
  t.same([429, 502, 503, 504].map(scopeOfStatus), ['peer', 'peer', 'peer', 'peer'])
  t.same([408, 500, 501, 507].map(scopeOfStatus), ['message', 'message', 'message', 'message'], 'about this request: its own backoff')
  t.same([400, 401, 403, 404, 409, 412, 413, 415, 421, 422].map(scopeOfStatus), Array(10).fill('final'), 'refusals the peer will repeat never open it')
})

t.test('Retry-After: seconds or an HTTP-date', async (t) => {
  const now = Date.parse('2026-12-06T00:00:00Z')
  t.equal(retryAfterMs('120', now), 120_000)
  t.equal(retryAfterMs('Sun, 06 Dec 2026 00:01:00 GMT', now), 60_000)
  t.equal(retryAfterMs('Sat, 05 Dec 2026 00:00:00 GMT', now), 0, 'a date in the past: at once')
  t.equal(retryAfterMs('soon', now), undefined)
  t.equal(retryAfterMs(undefined, now), undefined)
})

t.test('open: wait, then exactly one probe, then wait again with a longer backoff', async (t) => {
  t.equal(admission(CLOSED, 0), 'send')
  const open = onPeerFailure(CLOSED, fail(10_000), s, () => 0.5)
  t.match(open, { state: 'open', since: 10_000, failures: 1, nextProbeAt: 10_500, lastError: { code: 'ERR_PEER_UNREACHABLE' } })
  t.equal(admission(open, 10_499), 'wait', 'no message and no probe before the backoff')
  t.equal(admission(open, 10_500), 'probe')
  const probing = onProbeStart(open, 10_500)
  t.equal(admission(probing, 99_999), 'wait', 'one probe at a time')
  const again = onPeerFailure(probing, fail(10_600, 10_500), s, () => 0.5)
  t.match(again, { state: 'open', failures: 2, nextProbeAt: 10_600 + 1000 }, 'a failed probe doubles the backoff')
  let c = again
  for (let i = 0; i < 30; i++) c = onPeerFailure(c, fail(20_000 + i), s, () => 0.999)
  t.ok(c.nextProbeAt! - c.since <= 300_000, 'capped at probeMaxBackoffMs')
  t.ok(onPeerFailure(CLOSED, fail(0), s, () => 0).nextProbeAt! >= 100, 'full jitter drawing 0 still waits a tenth of the initial backoff')
})

t.test('an outage is counted once: failures of requests started before it opened change nothing', async (t) => {
  const open = onPeerFailure(CLOSED, fail(1000), s, () => 0.5)
  const late = onPeerFailure(open, fail(1200, 900), s, () => 0.5)
  t.equal(late.failures, 1)
  t.equal(late.nextProbeAt, open.nextProbeAt)
  t.equal(late.lastError!.at, 1200, 'only the last error is updated')
})

t.test('Retry-After is honoured up to the cap', async (t) => {
  t.equal(onPeerFailure(CLOSED, fail(0, 0, { retryAfterMs: 60_000 }), s, () => 0.5).nextProbeAt, 60_000)
  t.equal(onPeerFailure(CLOSED, fail(0, 0, { retryAfterMs: 86_400_000 }), s, () => 0.5).nextProbeAt, 300_000)
})

t.test('an answered probe closes the circuit but keeps the run of failures; a delivery ends it', async (t) => {
  const open = onPeerFailure(onPeerFailure(CLOSED, fail(0), s, () => 0.5), fail(5000), s, () => 0.5)
  const closed = onPeerAnswer(onProbeStart(open, 6000), 6100, 'probe')
  t.match(closed, { state: 'closed', since: 6100, failures: 2 })
  t.equal(admission(closed, 6100), 'send', 'the queue goes at once')
  t.match(onPeerFailure(closed, fail(6200), s, () => 0.5), { state: 'open', failures: 3, nextProbeAt: 6200 + 2000 }, 'a peer that answers probes but fails letters waits longer each time')
  t.match(onPeerAnswer(closed, 6300, 'message'), { state: 'closed', failures: 0 })
  t.equal(onPeerAnswer(CLOSED, 1, 'message'), CLOSED, 'nothing to change')
})
