// Register books (ทะเบียนหนังสือรับ / ทะเบียนหนังสือส่ง) and their numbering rules, as pure data and
// functions (domain.md "Letter numbers (ที่) and registers"; issue 5 §3; README "Registers").
// - Each agency keeps one series per book and calendar year; the year is the Asia/Bangkok calendar
//   year (a new series starts on 1 January 00:00 +07:00), stored in the Common Era.
// - Numbers run 1, 2, 3 … with no gaps and no reuse: the next number is always (highest used) + 1,
//   a number supplied by a saraban system is accepted only when it IS that next number, and a
//   cancelled number stays in the book as a cancelled entry.
// - A letter number (ที่) is `<owner code>/<n>`, or `<owner code>/ว <n>` in the circular series.
import { bangkokTime, BE_OFFSET } from './thai.js'

export type RegisterDirection = 'receive' | 'send'

export interface RegisterBook {
  /** Stable id used in the API path: /api/v1/registers/{id}. */
  readonly id: string
  /** receive: letters that came in (เลขทะเบียนรับ); send: letters that go out (เลขทะเบียนส่ง). */
  readonly direction: RegisterDirection
  /** As printed on the register's heading. */
  readonly title: string
  /** Printed between the owner code's '/' and the number of an outgoing letter ('ว ' for circulars). */
  readonly prefix: string
}

/** The books every agency has. More (e.g. a classified register) come from registers.books in node.json. */
export const BUILT_IN_BOOKS: readonly RegisterBook[] = [
  { id: 'receive', direction: 'receive', title: 'ทะเบียนหนังสือรับ', prefix: '' },
  { id: 'send', direction: 'send', title: 'ทะเบียนหนังสือส่ง', prefix: '' },
  { id: 'circular', direction: 'send', title: 'ทะเบียนหนังสือส่ง (หนังสือเวียน ว)', prefix: 'ว ' },
]

export const BOOK_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

/** The register year of an instant: its calendar year in Asia/Bangkok (CE). */
export function registerYear(at: Date | number): number {
  return bangkokTime(at).year
}

/** 2569 → 2026. The API speaks Buddhist-era years (what people see); storage keeps CE. */
export function ceYearOfBe(beYear: number): number {
  return beYear - BE_OFFSET
}

export function beYearOfCe(ceYear: number): number {
  return ceYear + BE_OFFSET
}

/** `มท 0201.2/45`, or `มท 0201.2/ว 1590` for a book with prefix 'ว '. */
export function letterNumberOf(ownerCode: string, book: RegisterBook, n: number): string {
  return `${ownerCode}/${book.prefix}${n}`
}

export type SuppliedNumberCheck = { ok: true } | { ok: false; code: 'ERR_REGISTER_NUMBER_TAKEN' | 'ERR_REGISTER_NUMBER_NOT_NEXT'; reason: string }

/** A number a saraban system supplies must be exactly the next one: a lower one is used already (no
 *  reuse), a higher one would leave a gap. `highest` is the highest number used in that series (0: none). */
export function checkSuppliedNumber(supplied: number, highest: number): SuppliedNumberCheck {
  const next = highest + 1
  if (supplied === next) return { ok: true }
  if (supplied < next) return { ok: false, code: 'ERR_REGISTER_NUMBER_TAKEN', reason: `number ${supplied} is already used in this register (the next free number is ${next})` }
  return { ok: false, code: 'ERR_REGISTER_NUMBER_NOT_NEXT', reason: `number ${supplied} would leave a gap: the next number of this register is ${next}` }
}

/** The columns of the regulation's registers (domain.md): ที่, ลงวันที่, จาก, ถึง, เรื่อง, การปฏิบัติ, หมายเหตุ. */
export interface RegisterFacts {
  /** ที่: the letter's own number, e.g. 'กค 0406.2/ว 123'. */
  readonly letterNumber?: string | undefined
  /** ลงวันที่: the letter's date, YYYY-MM-DD (CE). */
  readonly letterDate?: string | undefined
  /** จาก */
  readonly from?: string | undefined
  /** ถึง */
  readonly to?: string | undefined
  /** เรื่อง */
  readonly subject?: string | undefined
  /** การปฏิบัติ */
  readonly action?: string | undefined
  /** หมายเหตุ */
  readonly remarks?: string | undefined
}

export const FACT_KEYS = ['letterNumber', 'letterDate', 'from', 'to', 'subject', 'action', 'remarks'] as const satisfies ReadonlyArray<keyof RegisterFacts>

/** Column headings as printed, per direction (the send register mirrors the receive register). */
export function columnTitles(direction: RegisterDirection): Readonly<Record<'number' | keyof RegisterFacts, string>> {
  return {
    number: direction === 'receive' ? 'เลขทะเบียนรับ' : 'เลขทะเบียนส่ง',
    letterNumber: 'ที่',
    letterDate: 'ลงวันที่',
    from: 'จาก',
    to: 'ถึง',
    subject: 'เรื่อง',
    action: 'การปฏิบัติ',
    remarks: 'หมายเหตุ',
  }
}

/** What a register needs from a letter (schemas/protocol/letter.json). */
export interface LetterForRegister {
  readonly number?: string | undefined
  readonly date: string
  readonly subject: string
  readonly recipients: ReadonlyArray<{ readonly agency: string; readonly title?: string | undefined }>
  readonly copyTo?: ReadonlyArray<{ readonly agency: string; readonly title?: string | undefined }> | undefined
}

/** Register facts of a letter. `name` turns an agency id into the name people read (directory nameTh). */
export function factsOfLetter(letter: LetterForRegister, from: string, name: (agency: string) => string = (a) => a): RegisterFacts {
  // Issue 20 §12: a title alone ("ปลัดกระทรวง" to many ministries) does not say who; the agency does.
  const addressee = (a: { agency: string; title?: string | undefined }) => {
    const n = name(a.agency)
    return a.title === undefined ? n : a.title.includes(n) ? a.title : `${a.title} (${n})`
  }
  const to = letter.recipients.map(addressee)
  const cc = (letter.copyTo ?? []).map(addressee)
  return {
    ...(letter.number !== undefined ? { letterNumber: letter.number } : {}),
    letterDate: letter.date,
    from: name(from),
    // A circular to hundreds of agencies: the register names the first few and counts the rest.
    to: summariseList(to) + (cc.length > 0 ? ` (สำเนา ${summariseList(cc)})` : ''),
    subject: letter.subject,
  }
}

function summariseList(names: readonly string[], show = 3): string {
  if (names.length <= show) return names.join(', ')
  return `${names.slice(0, show).join(', ')} และอีก ${names.length - show} หน่วยงาน`
}
