// Pure rules of issue 5 §5: the outbox order key (urgency with aging, PROTOCOL.md §7.2) and the
// per-recipient deadline states and events (PROTOCOL.md §7.3).
import t from 'tap'
import { orderKey, urgencyPriority, DEFAULT_URGENCY_AGING_MS } from '../../src/domain/urgency.js'
import { deadlineState, deadlineEventDue, nextDeadlineEventAt } from '../../src/domain/delivery.js'

t.test('order key: rank × aging step after the due time', async (t) => {
  const A = DEFAULT_URGENCY_AGING_MS
  t.equal(orderKey(urgencyPriority('MOST_URGENT'), 1_000), 1_000)
  t.equal(orderKey(urgencyPriority('NORMAL'), 1_000), 1_000 + 3 * A)
  t.ok(orderKey(urgencyPriority('NORMAL'), 0) < orderKey(urgencyPriority('MOST_URGENT'), 3 * A + 1), 'a NORMAL letter that waited 3 steps goes before a new MOST_URGENT one')
  t.ok(orderKey(urgencyPriority('URGENT'), 0, 10) > orderKey(urgencyPriority('VERY_URGENT'), 9, 10), 'within one step, rank decides')
})

t.test('deadline state per recipient', async (t) => {
  const base = { deadlineAt: 10_000, deliveredAt: null, raised: null } as const
  const W = 2_000
  t.equal(deadlineState({ ...base, status: 'queued', deadlineAt: null }, 0, W), undefined, 'no deliverBy, no state')
  t.equal(deadlineState({ ...base, status: 'queued' }, 7_999, W), 'ok')
  t.equal(deadlineState({ ...base, status: 'sending' }, 8_000, W), 'at-risk')
  t.equal(deadlineState({ ...base, status: 'queued', raised: 'at-risk' }, 0, W), 'at-risk', 'an event raised stays shown')
  t.equal(deadlineState({ ...base, status: 'failed' }, 10_000, W), 'missed')
  t.equal(deadlineState({ ...base, status: 'delivered', deliveredAt: 10_000 }, 99_999, W), 'met', 'at the deadline is in time')
  t.equal(deadlineState({ ...base, status: 'delivered', deliveredAt: 10_001, raised: null }, 99_999, W), 'missed', 'late')
})

t.test('deadline events: at-risk once, then missed once', async (t) => {
  const W = 2_000
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: null }, 7_999, W), undefined)
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: null }, 8_000, W), 'at-risk')
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: 'at-risk' }, 9_999, W), undefined)
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: 'at-risk' }, 10_000, W), 'missed')
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: null }, 10_000, W), 'missed', 'a node down through the window raises missed only')
  t.equal(deadlineEventDue({ deadlineAt: 10_000, raised: 'missed' }, 99_999, W), undefined)
  t.equal(nextDeadlineEventAt({ deadlineAt: 10_000, raised: null }, W), 8_000)
  t.equal(nextDeadlineEventAt({ deadlineAt: 10_000, raised: 'at-risk' }, W), 10_000)
  t.equal(nextDeadlineEventAt({ deadlineAt: 10_000, raised: 'missed' }, W), undefined)
})
