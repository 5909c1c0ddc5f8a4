// The statistics report as CSV (issue 17 item 6; README "Statistics"): RFC 4180, UTF-8 with a
// byte-order mark for Excel, in a long form whose columns never change whatever kinds, reasons or codes
// a period holds: month, agency, peer, direction, measure, category, value. One row per non-empty
// count and per duration, in a stable order (month, peer, direction, the measures as listed below,
// category), ready for a pivot table.
import type { Counts, Durations, SentCounts, StatisticsReport } from '../services/statistics/index.js'
import { csvField } from './register-csv.js'

export { CSV_MEDIA_TYPE } from './register-csv.js'

export const STATISTICS_COLUMNS = ['month', 'agency', 'peer', 'direction', 'measure', 'category', 'value'] as const

const BOM = '\uFEFF'
const line = (cells: ReadonlyArray<string | number | null>) => cells.map(csvField).join(',') + '\r\n'

type Row = [measure: string, category: string, value: number | null]

function durationRows(name: string, d: Durations): Row[] {
  return [[`${name}-count`, '', d.count], [`${name}-median-seconds`, '', d.medianSeconds], [`${name}-p95-seconds`, '', d.p95Seconds]]
}

const byCategory = (measure: string, m: Readonly<Record<string, number>>): Row[] => Object.entries(m).map(([k, v]) => [measure, k, v])

function countRows(c: Counts): Row[] {
  return [['letters', '', c.letters], ...byCategory('kind', c.kind), ...byCategory('urgency', c.urgency), ...byCategory('secrecy', c.secrecy)]
}

function sentRows(c: SentCounts): Row[] {
  return [...countRows(c), ['delivered', '', c.delivered], ...durationRows('to-delivery', c.toDelivery), ...durationRows('to-registration', c.toRegistration),
    ...byCategory('rejected', c.rejections), ...byCategory('failed', c.failures)]
}

function receivedRows(c: Counts): Row[] {
  return [...countRows(c), ...durationRows('to-registration', c.toRegistration), ...byCategory('rejected', c.rejections)]
}

/** One row of STATISTICS_COLUMNS: what the CSV writes and the console's PDF prints (render/statistics-pdf.ts). */
export type StatisticsRow = [month: string, agency: string, peer: string, direction: 'sent' | 'received', measure: string, category: string, value: number | null]

/** The report's rows in the CSV's order. */
export function* statisticsRows(r: StatisticsReport): Generator<StatisticsRow> {
  for (const m of r.months) {
    for (const p of m.peers) {
      for (const [measure, category, value] of sentRows(p.sent)) yield [m.month, r.agency, p.peer, 'sent', measure, category, value]
      for (const [measure, category, value] of receivedRows(p.received)) yield [m.month, r.agency, p.peer, 'received', measure, category, value]
    }
  }
}

export function statisticsCsv(r: StatisticsReport): string {
  let out = BOM + line([...STATISTICS_COLUMNS])
  for (const row of statisticsRows(r)) out += line(row)
  return out
}
