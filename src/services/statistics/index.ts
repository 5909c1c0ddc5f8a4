// Statistics for the oversight bodies (issue 17 item 6): per month and per peer agency, the letters an
// agency sent and received by kind, urgency and secrecy level, the time to delivery and to
// registration (median and 95th percentile), rejections by reason and failures by error code.
// Computed from the node's own records (storage/statistics.ts); counts and durations only, never a
// subject, a number or an id.
import type { Clock } from '../../clock.js'
import type { StatisticsStore, SentRow, ReceivedRow } from '../../storage/statistics.js'
import { CANCELLED_CODE } from '../../domain/delivery.js'
import { monthOf, period } from './period.js'
import { percentile } from './percentile.js'

export { MAX_MONTHS, monthOf } from './period.js'

export interface StatisticsDeps {
  readonly store: StatisticsStore
  readonly clock: Clock
}

/** How long something took, over the letters it applies to (seconds; null when none). */
export interface Durations {
  readonly count: number
  readonly medianSeconds: number | null
  readonly p95Seconds: number | null
}

export interface Counts {
  readonly letters: number
  readonly kind: Readonly<Record<string, number>>
  readonly urgency: Readonly<Record<string, number>>
  readonly secrecy: Readonly<Record<string, number>>
  readonly toRegistration: Durations
  /** By the rejection's reasonCode (PROTOCOL.md §18.3). */
  readonly rejections: Readonly<Record<string, number>>
}

export interface SentCounts extends Counts {
  readonly delivered: number
  readonly toDelivery: Durations
  /** Addressees that failed for good, by error code (PROTOCOL.md §9); a withdrawal's cancellation is not a failure. */
  readonly failures: Readonly<Record<string, number>>
}

export interface PeerStatistics {
  readonly peer: string
  readonly sent: SentCounts
  readonly received: Counts
}

export interface StatisticsReport {
  readonly agency: string
  readonly from: string
  readonly to: string
  readonly timeZone: 'Asia/Bangkok'
  readonly months: ReadonlyArray<{ readonly month: string; readonly peers: readonly PeerStatistics[] }>
}

class Tally {
  letters = 0
  delivered = 0
  readonly kind = new Map<string, number>()
  readonly urgency = new Map<string, number>()
  readonly secrecy = new Map<string, number>()
  readonly rejections = new Map<string, number>()
  readonly failures = new Map<string, number>()
  readonly toDelivery: number[] = []
  readonly toRegistration: number[] = []

  add(r: { at: number; kind: string | null; urgency: string | null; secrecy: string | null; registeredAt: number | null; rejected: string | null }): void {
    this.letters++
    bump(this.kind, r.kind ?? 'unknown')
    bump(this.urgency, r.urgency ?? 'NORMAL')
    bump(this.secrecy, r.secrecy ?? 'UNCLASSIFIED')
    if (r.registeredAt !== null) this.toRegistration.push(Math.max(0, r.registeredAt - r.at) / 1000)
    if (r.rejected !== null) bump(this.rejections, r.rejected === '' ? 'unknown' : r.rejected)
  }

  counts(): Counts {
    return {
      letters: this.letters, kind: sorted(this.kind), urgency: sorted(this.urgency), secrecy: sorted(this.secrecy),
      toRegistration: durations(this.toRegistration), rejections: sorted(this.rejections),
    }
  }

  sentCounts(): SentCounts {
    return { ...this.counts(), delivered: this.delivered, toDelivery: durations(this.toDelivery), failures: sorted(this.failures) }
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1)
}

const sorted = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

function durations(values: readonly number[]): Durations {
  return { count: values.length, medianSeconds: percentile(values, 50) ?? null, p95Seconds: percentile(values, 95) ?? null }
}

/** The report of one agency for the months from..to (Buddhist-era YYYY-MM; README "Statistics"). */
export function statistics(deps: StatisticsDeps, q: { agency: string; from?: string | undefined; to?: string | undefined }): StatisticsReport {
  const p = period(q, deps.clock.now())
  const cells = new Map<string, { sent: Tally; received: Tally }>()
  const cell = (month: string, peer: string) => {
    const key = `${month} ${peer}`
    let c = cells.get(key)
    if (!c) cells.set(key, (c = { sent: new Tally(), received: new Tally() }))
    return c
  }
  for (const r of deps.store.sent(q.agency, p.fromMs, p.toMs) as Iterable<SentRow>) {
    const t = cell(monthOf(r.at), r.peer).sent
    t.add(r)
    if (r.deliveredAt !== null) {
      t.delivered++
      t.toDelivery.push(Math.max(0, r.deliveredAt - r.at) / 1000)
    }
    if (r.status === 'failed' && r.code !== CANCELLED_CODE) bump(t.failures, r.code ?? 'unknown')
  }
  for (const r of deps.store.received(q.agency, p.fromMs, p.toMs) as Iterable<ReceivedRow>) cell(monthOf(r.at), r.peer).received.add(r)
  return {
    agency: q.agency, from: p.months[0]!, to: p.months[p.months.length - 1]!, timeZone: 'Asia/Bangkok',
    months: p.months.map((month) => ({
      month,
      peers: [...cells.entries()].filter(([k]) => k.startsWith(`${month} `)).map(([k, c]) => ({ peer: k.slice(month.length + 1), sent: c.sent.sentCounts(), received: c.received.counts() }))
        .sort((a, b) => (a.peer < b.peer ? -1 : 1)),
    })),
  }
}
