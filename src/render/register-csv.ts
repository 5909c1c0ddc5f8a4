// A register as CSV for spreadsheets (README "Registers"): RFC 4180 (CRLF, fields quoted when they
// hold a comma, quote, CR or LF; quotes doubled), UTF-8 with a byte-order mark so that Excel reads
// Thai correctly. The regulation's columns come first with Buddhist-era dates as people write them
// (ASCII digits: a spreadsheet must still sort and compute), then the same facts for machines
// (status, ISO 8601 times, ids).
import { columnTitles, type RegisterBook } from '../domain/registers.js'
import { thaiDate, thaiDateTime } from '../domain/thai.js'
import type { RegisterEntry } from '../storage/registers.js'

export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8; header=present'
const BOM = '\uFEFF'

/** RFC 4180 §2: quote when needed. Cells that a spreadsheet would run as a formula (=, +, -, @, tab,
 *  CR at the start: text from other agencies is untrusted) get a leading apostrophe (OWASP "CSV Injection"). */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  let s = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const line = (cells: ReadonlyArray<string | number | null | undefined>) => cells.map(csvField).join(',') + '\r\n'

export function csvHeader(book: RegisterBook): string {
  const c = columnTitles(book.direction)
  return BOM + line([c.number, c.letterNumber, c.letterDate, c.from, c.to, c.subject, c.action, c.remarks, 'วันเวลาที่ลงทะเบียน',
    'status', 'recordedAt', 'letterDate', 'messageId', 'letterId'])
}

/** หมายเหตุ as printed: a cancelled entry says so, with its reason. */
export function remarksOf(e: RegisterEntry): string | null {
  if (e.status !== 'cancelled') return e.remarks
  const note = `ยกเลิก${e.cancelReason ? `: ${e.cancelReason}` : ''}`
  return e.remarks ? `${e.remarks} (${note})` : note
}

export function csvRow(e: RegisterEntry): string {
  return line([
    e.number, e.letterNumber, e.letterDate && thaiDate(e.letterDate, { digits: 'arabic' }), e.from, e.to, e.subject, e.action,
    remarksOf(e), thaiDateTime(e.recordedAt, { digits: 'arabic' }),
    e.status, new Date(e.recordedAt).toISOString(), e.letterDate, e.messageId, e.letterId,
  ])
}

/** The whole register, one chunk per row, for a streamed response. */
export function* registerCsv(book: RegisterBook, entries: Iterable<RegisterEntry>): Generator<string> {
  yield csvHeader(book)
  for (const e of entries) yield csvRow(e)
}
