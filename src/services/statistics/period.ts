// The period of a statistics report (issue 17 item 6): whole calendar months in Asia/Bangkok, named
// by their Buddhist-era year as every year in the API is (README "Conventions"): 2569-01 is January
// 2026. The checks, in order, each naming the query parameter it refuses.
import { SarabanError } from '../../errors.js'
import { beYearOfCe, ceYearOfBe } from '../../domain/registers.js'

/** Longest period one report covers (ten years): a bound on what one request reads. */
export const MAX_MONTHS = 120
const BANGKOK_MS = 7 * 3_600_000
const MONTH = /^(\d{4})-(\d{2})$/

export interface Period {
  /** The months, oldest first, as the API names them (Buddhist-era YYYY-MM). */
  readonly months: readonly string[]
  /** [fromMs, toMs): the first instant of the first month, the first of the month after the last. */
  readonly fromMs: number
  readonly toMs: number
}

/** A month index (CE year × 12 + month − 1) of a Buddhist-era YYYY-MM, or a refusal naming the field. */
function monthIndex(value: string, field: string): number {
  const m = MONTH.exec(value)
  const be = m ? Number(m[1]) : NaN
  const month = m ? Number(m[2]) : NaN
  if (!m || month < 1 || month > 12) throw new SarabanError('ERR_STATISTICS_PERIOD_INVALID', `Give ${field.slice(7)} as a Buddhist-era month YYYY-MM, e.g. 2569-01.`, { field })
  // A Common Era year (2026-01) is the likely mistake: say so rather than answer an empty report.
  if (be < 2500 || be > 2800) {
    const meant = be >= 1957 && be < 2500 ? ` (the Common Era year ${be} is ${beYearOfCe(be)}-${m[2]})` : ''
    throw new SarabanError('ERR_STATISTICS_PERIOD_INVALID', `${value} is not a Buddhist-era month: years are Buddhist-era in this API (พ.ศ. = ค.ศ. + 543)${meant}.`, { field })
  }
  return ceYearOfBe(be) * 12 + (month - 1)
}

const monthName = (i: number) => `${beYearOfCe(Math.floor(i / 12))}-${String((i % 12) + 1).padStart(2, '0')}`
const monthStart = (i: number) => Date.UTC(Math.floor(i / 12), i % 12, 1) - BANGKOK_MS

/** The month an instant falls in, in Asia/Bangkok, as the API names it. */
export function monthOf(ms: number): string {
  const d = new Date(ms + BANGKOK_MS)
  return monthName(d.getUTCFullYear() * 12 + d.getUTCMonth())
}

/** from and to (either may be left out: the current month, or the other one). */
export function period(q: { from?: string | undefined; to?: string | undefined }, now: number): Period {
  const current = monthOf(now)
  const from = monthIndex(q.from ?? q.to ?? current, '/query/from')
  const to = monthIndex(q.to ?? (q.from === undefined ? current : q.from), '/query/to')
  if (to < from) throw new SarabanError('ERR_STATISTICS_PERIOD_INVALID', `to (${monthName(to)}) is before from (${monthName(from)}).`, { field: '/query/to' })
  if (to - from + 1 > MAX_MONTHS) throw new SarabanError('ERR_STATISTICS_PERIOD_INVALID', `One report covers at most ${MAX_MONTHS} months; ask for a shorter period.`, { field: '/query/to' })
  const months: string[] = []
  for (let i = from; i <= to; i++) months.push(monthName(i))
  return { months, fromMs: monthStart(from), toMs: monthStart(to + 1) }
}
