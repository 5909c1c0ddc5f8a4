// Thai rendering for people: Thai digits (๐–๙) and Buddhist-era dates in Asia/Bangkok time.
// Data keeps ASCII digits and Common-Era ISO 8601 dates; only display uses these (domain.md,
// "Letter numbers" and "Dates"). พ.ศ. = ค.ศ. + 543.

const THAI_ZERO = 0x0e50 // '๐'

export const THAI_MONTHS = [
  'มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน',
  'กรกฎาคม', 'สิงหาคม', 'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม',
] as const

export const THAI_MONTHS_SHORT = [
  'ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.',
] as const

export const BE_OFFSET = 543

/** '0'–'9' → '๐'–'๙'; everything else unchanged. */
export function thaiDigits(value: string | number): string {
  return String(value).replace(/[0-9]/g, (d) => String.fromCharCode(THAI_ZERO + d.charCodeAt(0) - 48))
}

/** '๐'–'๙' → '0'–'9' (for input typed with Thai digits); everything else unchanged. */
export function arabicDigits(value: string): string {
  return value.replace(/[๐-๙]/g, (d) => String.fromCharCode(48 + d.charCodeAt(0) - THAI_ZERO))
}

export function buddhistYear(ceYear: number): number {
  return ceYear + BE_OFFSET
}

const bangkokParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Bangkok',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
})

export interface BangkokTime {
  year: number
  month: number // 1–12
  day: number
  hour: number
  minute: number
  second: number
}

/** The wall-clock time in Asia/Bangkok (UTC+7, no daylight saving) of an instant. */
export function bangkokTime(at: Date | number): BangkokTime {
  const parts: Record<string, number> = {}
  for (const p of bangkokParts.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** The calendar date in Asia/Bangkok as YYYY-MM-DD (CE): the date of a letter written now. */
export function bangkokDate(at: Date | number): string {
  const t = bangkokTime(at)
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`
}

export interface ThaiDateOptions {
  /** 'thai' (default) prints ๐–๙, 'arabic' prints 0–9. */
  digits?: 'thai' | 'arabic'
  /** 'long' (default) 'พฤศจิกายน', 'short' 'พ.ย.'. */
  month?: 'long' | 'short'
}

function ymd(date: Date | number | string): { year: number; month: number; day: number } {
  if (typeof date === 'string') {
    const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})/.exec(date)
    if (m === null || date.length > 10) return bangkokTime(new Date(date)) // a date-time: its Bangkok date
    return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }
  }
  return bangkokTime(date)
}

/**
 * A date as printed on a Thai letter: '๒๕ พฤศจิกายน ๒๕๖๙'. Accepts a calendar date 'YYYY-MM-DD'
 * (taken as is), an RFC 3339 date-time or a Date/epoch ms (both shown in Asia/Bangkok).
 */
export function thaiDate(date: Date | number | string, opts: ThaiDateOptions = {}): string {
  const { year, month, day } = ymd(date)
  const names = opts.month === 'short' ? THAI_MONTHS_SHORT : THAI_MONTHS
  const text = `${day} ${names[month - 1]} ${buddhistYear(year)}`
  return opts.digits === 'arabic' ? text : thaiDigits(text)
}

/** An instant as on a Thai receipt stamp: '๒๕ พฤศจิกายน ๒๕๖๙ เวลา ๑๔.๓๐ น.' (Asia/Bangkok). */
export function thaiDateTime(at: Date | number | string, opts: ThaiDateOptions = {}): string {
  const t = bangkokTime(typeof at === 'string' ? new Date(at) : at)
  const text = `${thaiDate(at, { ...opts, digits: 'arabic' })} เวลา ${pad(t.hour)}.${pad(t.minute)} น.`
  return opts.digits === 'arabic' ? text : thaiDigits(text)
}

/** The time of day of an instant in Asia/Bangkok as on a receipt stamp: '๑๔.๓๐ น.' (registers, README "Registers"). */
export function thaiTime(at: Date | number | string, opts: Pick<ThaiDateOptions, 'digits'> = {}): string {
  const t = bangkokTime(typeof at === 'string' ? new Date(at) : at)
  const text = `${pad(t.hour)}.${pad(t.minute)} น.`
  return opts.digits === 'arabic' ? text : thaiDigits(text)
}
