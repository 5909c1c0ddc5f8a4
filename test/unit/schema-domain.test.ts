// src/domain: retry schedule, recipient state machine, urgency order, Thai rendering.
import t from 'tap'
import { afterFailure, backoffCap, canTransition, isRetryableStatus, letterStatus, nextAttemptDelay, nextStatus, RECIPIENT_STATUSES, shownStatus } from '../../src/domain/delivery.js'
import { compareUrgency, URGENCIES, urgencyPriority } from '../../src/domain/urgency.js'
import { isClassified } from '../../src/domain/secrecy.js'
import { isSubKindOf } from '../../src/domain/letter.js'
import { arabicDigits, bangkokDate, buddhistYear, thaiDate, thaiDateTime, thaiDigits } from '../../src/domain/thai.js'

const s = { initialBackoffMs: 1000, maxBackoffMs: 600_000 }

t.test('backoff cap doubles per attempt and stops at the maximum', async (t) => {
  t.same([1, 2, 3, 4, 10, 11, 12, 100, 10_000].map((a) => backoffCap(a, s)), [1000, 2000, 4000, 8000, 512_000, 600_000, 600_000, 600_000, 600_000])
  t.equal(backoffCap(0, s), 1000, 'attempt < 1 counts as the first')
  t.equal(backoffCap(3, { initialBackoffMs: 5000, maxBackoffMs: 2000 }), 2000, 'initial above max is capped')
})

t.test('full jitter: uniform in [0, cap], integer', async (t) => {
  t.equal(nextAttemptDelay(3, s, () => 0), 0)
  t.equal(nextAttemptDelay(3, s, () => 0.5), 2000)
  t.equal(nextAttemptDelay(3, s, () => 0.999999), 3999)
  t.equal(nextAttemptDelay(50, s, () => 0.999999), 599_999)
  for (let i = 0; i < 1000; i++) {
    const d = nextAttemptDelay(1 + (i % 15), s)
    if (!(Number.isInteger(d) && d >= 0 && d <= s.maxBackoffMs)) t.fail(`out of range: ${d}`)
  }
  t.equal(nextAttemptDelay(2, s, () => 7), 2000, 'a broken random source is clamped')
})

t.test('decorrelated jitter: in [initial, 3 × previous], capped', async (t) => {
  const d = { ...s, jitter: 'decorrelated' as const }
  t.equal(nextAttemptDelay(1, d, () => 0), 1000)
  t.equal(nextAttemptDelay(1, d, () => 0.999999), 2999)
  t.equal(nextAttemptDelay(5, { ...d, previousDelayMs: 10_000 }, () => 0.5), 15_500)
  t.equal(nextAttemptDelay(5, { ...d, previousDelayMs: 500_000 }, () => 0.9), 600_000)
  t.equal(nextAttemptDelay(3, d, () => 1), 6000, 'previous defaults to the un-jittered wait of attempt 2')
})

t.test('after a failure: retry until the give-up horizon (PROTOCOL.md §7.2), else failed', async (t) => {
  const now = 1_000_000
  const h = { horizonFrom: now - 10_000, giveUpAfterMs: 3 * 86_400_000 }
  t.same(afterFailure({ attempts: 1, retryable: true, now, ...h }, s, () => 0.5), { status: 'queued', nextAttemptAt: now + 500, delayMs: 500 })
  t.same(afterFailure({ attempts: 500, retryable: true, now, ...h }, s, () => 0.5), { status: 'queued', nextAttemptAt: now + 300_000, delayMs: 300_000 }, 'attempts alone never give up')
  t.same(afterFailure({ attempts: 1, retryable: false, now, ...h }, s), { status: 'failed', reason: 'refused' })
  t.same(afterFailure({ attempts: 1, retryable: true, now, horizonFrom: now - 5000, giveUpAfterMs: 5000 }, s), { status: 'failed', reason: 'horizon' }, 'the horizon reached: failed')
  t.same(afterFailure({ attempts: 9, retryable: true, now, horizonFrom: now - 4000, giveUpAfterMs: 5000 }, s, () => 0.99), { status: 'queued', nextAttemptAt: now + 1000, delayMs: 1000 }, 'the last wait ends on the horizon')
  t.same(afterFailure({ attempts: 3, maxAttempts: 3, retryable: true, now, ...h }, s), { status: 'failed', reason: 'attempts' }, 'the optional attempt cap')
  t.same([408, 429, 500, 503, 400, 403, 409, 413, 421, 422].map(isRetryableStatus), [true, true, true, true, false, false, false, false, false, false])
})

t.test('recipient state machine (PROTOCOL.md §7.3)', async (t) => {
  t.equal(nextStatus('queued', 'claim'), 'sending')
  t.equal(nextStatus('sending', 'deliver'), 'delivered')
  t.equal(nextStatus('sending', 'retry'), 'queued')
  t.equal(nextStatus('sending', 'recover'), 'queued')
  t.equal(nextStatus('sending', 'fail'), 'failed')
  t.equal(nextStatus('failed', 'requeue'), 'queued')
  t.equal(nextStatus('delivered', 'retry'), undefined, 'delivered is final')
  t.equal(nextStatus('queued', 'deliver'), undefined, 'no delivery without an attempt')
  const allowed = RECIPIENT_STATUSES.flatMap((from) => RECIPIENT_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`))
  t.same(allowed, ['queued>sending', 'queued>failed', 'sending>queued', 'sending>delivered', 'sending>failed', 'failed>queued'])
  t.equal(nextStatus('queued', 'expire'), 'failed', 'the horizon passed while it waited')
  t.equal(letterStatus(['delivered', 'delivered']), 'delivered')
  t.equal(letterStatus(['delivered', 'queued']), 'sending')
  t.equal(letterStatus(['delivered', 'failed']), 'partially-failed')
  t.equal(letterStatus(['failed', 'failed']), 'failed')
  t.equal(letterStatus(['delivered', 'cancelled']), 'delivered', 'a cancelled recipient is left out (PROTOCOL.md §18.4)')
  t.equal(letterStatus(['cancelled', 'cancelled']), 'cancelled', 'unless all are')
  t.equal(shownStatus('failed', 'ERR_DELIVERY_CANCELLED'), 'cancelled')
  t.equal(shownStatus('failed', 'ERR_PEER_REFUSED'), 'failed')
})

t.test('urgency order and secrecy', async (t) => {
  t.same(URGENCIES.map(urgencyPriority), [3, 2, 1, 0])
  t.same([...URGENCIES].sort(compareUrgency), ['MOST_URGENT', 'VERY_URGENT', 'URGENT', 'NORMAL'])
  t.equal(isClassified('UNCLASSIFIED'), false)
  t.equal(isClassified('CONFIDENTIAL'), true)
  t.ok(isSubKindOf('DIRECTIVE', 'ORDER'))
  t.notOk(isSubKindOf('EXTERNAL', 'ORDER'))
})

t.test('Thai digits and Buddhist-era dates in Asia/Bangkok', async (t) => {
  t.equal(thaiDigits('มท 0201.2/ว 1590'), 'มท ๐๒๐๑.๒/ว ๑๕๙๐')
  t.equal(thaiDigits(2569), '๒๕๖๙')
  t.equal(arabicDigits('๒๕ พ.ย. ๒๕๖๙'), '25 พ.ย. 2569')
  t.equal(buddhistYear(2026), 2569)
  t.equal(thaiDate('2026-11-25'), '๒๕ พฤศจิกายน ๒๕๖๙')
  t.equal(thaiDate('2026-11-05', { month: 'short', digits: 'arabic' }), '5 พ.ย. 2569')
  // 17:30 UTC on 24 Nov is 00:30 on 25 Nov in Bangkok (UTC+7)
  t.equal(thaiDate(new Date('2026-11-24T17:30:00Z')), '๒๕ พฤศจิกายน ๒๕๖๙')
  t.equal(thaiDate('2026-11-24T17:30:00Z'), '๒๕ พฤศจิกายน ๒๕๖๙', 'a date-time string is shown in Bangkok')
  t.equal(bangkokDate(new Date('2026-12-31T17:00:00Z')), '2027-01-01', 'new year (and register year) begins in Bangkok')
  t.equal(bangkokDate(Date.UTC(2026, 0, 1, 16, 59)), '2026-01-01')
  t.equal(thaiDateTime(new Date('2026-11-25T07:30:00Z')), '๒๕ พฤศจิกายน ๒๕๖๙ เวลา ๑๔.๓๐ น.')
  t.equal(thaiDateTime('2026-11-25T07:05:00Z', { digits: 'arabic' }), '25 พฤศจิกายน 2569 เวลา 14.05 น.')
})
