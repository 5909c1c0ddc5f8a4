// ชั้นความเร็ว (urgency), as a table: rank orders delivery (0 = first), ecms is the e-CMS code.
// "ด่วนภายใน <date time>" is not an urgency but a deadline: Letter.deliverBy.

export const URGENCIES = ['NORMAL', 'URGENT', 'VERY_URGENT', 'MOST_URGENT'] as const
export type Urgency = (typeof URGENCIES)[number]

export interface UrgencyRow {
  readonly rank: number
  readonly th: string
  readonly ecms: string
}

export const URGENCY: Readonly<Record<Urgency, UrgencyRow>> = {
  MOST_URGENT: { rank: 0, th: 'ด่วนที่สุด', ecms: '004' },
  VERY_URGENT: { rank: 1, th: 'ด่วนมาก', ecms: '003' },
  URGENT: { rank: 2, th: 'ด่วน', ecms: '002' },
  NORMAL: { rank: 3, th: 'ปกติ', ecms: '001' },
}

/** Outbox priority: 0 is delivered first (storage orders by priority, then next_attempt_at). */
export function urgencyPriority(u: Urgency): number {
  return URGENCY[u].rank
}

/** Sort comparator: most urgent first. */
export function compareUrgency(a: Urgency, b: Urgency): number {
  return URGENCY[a].rank - URGENCY[b].rank
}

/** Default aging step (PROTOCOL.md §7.2): one urgency rank is worth this much waiting. */
export const DEFAULT_URGENCY_AGING_MS = 5 * 60_000

/**
 * The outbox's order key (PROTOCOL.md §7.2): due messages are sent earliest key first, where
 * key = the time the message became due + rank × agingMs. A more urgent letter goes first unless a
 * less urgent one has waited longer than the rank difference × agingMs, so nothing is starved: a
 * message's key is fixed while it waits and every later arrival gets a key of at least its due time.
 */
export function orderKey(priority: number, dueAt: number, agingMs: number = DEFAULT_URGENCY_AGING_MS): number {
  return dueAt + priority * agingMs
}
