// A register as a printable PDF (README "Registers"): A4 landscape, the regulation's columns, Thai
// digits and Buddhist-era dates (๒๕ พฤศจิกายน ๒๕๖๙), Sarabun embedded (OFL, @fontsource/sarabun: a Thai
// and a Latin subset, switched per run by thai-text.ts). The document is written page by page while
// the caller streams it out; entries are read lazily, and the event loop is yielded between batches,
// so a register of a whole year neither sits in memory as entries nor blocks other requests.
import { createRequire } from 'node:module'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type PDFKitDocument from 'pdfkit'
import { beYearOfCe, columnTitles, type RegisterBook } from '../domain/registers.js'
import { thaiDate, thaiDateTime, thaiDigits, thaiTime } from '../domain/thai.js'
import type { RegisterEntry } from '../storage/registers.js'
import { remarksOf } from './register-csv.js'
import { withActualText } from './pdf-actual-text.js'
import { actualTextOf, runsOf, wrap, type Run, type Script } from './thai-text.js'

export const PDF_MEDIA_TYPE = 'application/pdf'

const require = createRequire(import.meta.url)
// PDFKit (and fontkit, brotli and the fonts it brings) is loaded by the first PDF asked for, not at
// start: a node that prints no register carried ~30 MB of it from start (issue 16 item 2's budget).
let pdfkit: typeof PDFKitDocument | undefined
const PDFDocument = (): typeof PDFKitDocument => (pdfkit ??= require('pdfkit') as typeof PDFKitDocument)
const FONT_FILES = {
  'thai-400': require.resolve('@fontsource/sarabun/files/sarabun-thai-400-normal.woff'),
  'latin-400': require.resolve('@fontsource/sarabun/files/sarabun-latin-400-normal.woff'),
  'thai-700': require.resolve('@fontsource/sarabun/files/sarabun-thai-700-normal.woff'),
  'latin-700': require.resolve('@fontsource/sarabun/files/sarabun-latin-700-normal.woff'),
} as const

export interface RegisterPdfInput {
  readonly book: RegisterBook
  readonly agency: string
  readonly agencyName: string
  /** CE year (printed in the Buddhist Era). */
  readonly year: number
  readonly total: number
  readonly entries: Iterable<RegisterEntry>
  readonly printedAt: number
}

type Column = 'number' | 'letterNumber' | 'letterDate' | 'from' | 'to' | 'subject' | 'action' | 'remarks'
// Widths in points; they add up to the printable width of A4 landscape with 28 pt margins (785.9).
const COLUMNS: ReadonlyArray<readonly [Column, number]> = [
  ['number', 70], ['letterNumber', 92], ['letterDate', 72], ['from', 108], ['to', 108], ['subject', 170], ['action', 90], ['remarks', 75.9],
]
const MARGIN = 28
const SIZE = 10
const LINE = 13.5
const PAD = 3
const MAX_LINES = 12 // a cell longer than this ends with '…' (a row never outgrows a page)
const BATCH = 20 // rows drawn between two yields to the event loop

function cellsOf(e: RegisterEntry): Record<Column, string> {
  return {
    number: `${e.number}\n${thaiDate(e.recordedAt, { month: 'short', digits: 'arabic' })}\n${thaiTime(e.recordedAt, { digits: 'arabic' })}`,
    letterNumber: e.letterNumber ?? '',
    letterDate: e.letterDate ? thaiDate(e.letterDate, { month: 'short', digits: 'arabic' }) : '',
    from: e.from ?? '',
    to: e.to ?? '',
    subject: e.subject ?? '',
    action: e.action ?? '',
    remarks: remarksOf(e) ?? '',
  }
}

/** Starts writing the PDF and returns it as a readable stream; it ends after the last entry. */
export function registerPdf(input: RegisterPdfInput): PDFKit.PDFDocument {
  const title = `${input.book.title} ${input.agencyName} ประจำปี พ.ศ. ${thaiDigits(beYearOfCe(input.year))}`
  const headings = columnTitles(input.book.direction)
  return tablePdf({
    title, columns: COLUMNS, headings, total: input.total, printedAt: input.printedAt,
    rows: (function* () {
      for (const e of input.entries) yield { cells: cellsOf(e), grey: e.status === 'cancelled' }
    })(),
  })
}

/** Any table in the register's layout (A4 landscape, Sarabun, Thai digits): the register, and the
 *  classified registrar's inspection report (services/classified/report.ts). Widths add up to 785.9. */
export interface TablePdfInput<C extends string = string> {
  readonly title: string
  readonly columns: ReadonlyArray<readonly [C, number]>
  readonly headings: Readonly<Record<C, string>>
  readonly rows: Iterable<{ cells: Readonly<Record<C, string>>; grey: boolean }>
  readonly total: number
  readonly printedAt: number
}

export function tablePdf<C extends string>(input: TablePdfInput<C>): PDFKit.PDFDocument {
  const title = input.title
  const doc = new (PDFDocument())({
    size: 'A4', layout: 'landscape', margin: 10, autoFirstPage: false, lang: 'th-TH',
    info: { Title: title, Creator: 'saraban-node', CreationDate: new Date(input.printedAt) },
  })
  for (const [name, file] of Object.entries(FONT_FILES)) doc.registerFont(name, file)
  void fill(doc, input, title).catch((err: unknown) => doc.destroy(err instanceof Error ? err : new Error(String(err))))
  return doc
}

async function fill<C extends string>(doc: PDFKit.PDFDocument, input: TablePdfInput<C>, title: string): Promise<void> {
  const COLUMNS = input.columns
  let weight: 400 | 700 = 400
  let size = SIZE
  const font = (s: Script) => `${s}-${weight}`
  // Shaping a run (fontkit layout) is the costly part of measuring, and registers repeat the same
  // words and names row after row: widths are cached per font and text, at size 1.
  const widths = new Map<string, number>()
  const measure = (r: Run) => {
    const key = `${font(r.script)}\u0000${r.text}`
    let w = widths.get(key)
    if (w === undefined) {
      if (widths.size > 50_000) widths.clear()
      w = doc.font(font(r.script)).fontSize(1).widthOfString(r.text)
      widths.set(key, w)
    }
    return w * size
  }
  const draw = (text: string, x: number, y: number) => {
    for (const r of runsOf(text)) {
      // The glyphs of a run do not always say its text (thai-text.ts actualTextOf): then the run is a
      // marked-content Span whose ActualText is the run (pdf-actual-text.ts), for extraction and search.
      const actual = actualTextOf(r)
      const text = () => doc.font(font(r.script)).fontSize(size).text(r.text, x, y, { lineBreak: false })
      if (actual === undefined) text()
      else withActualText(doc, actual, text)
      x += measure(r)
    }
  }
  // Word segmentation is the other costly part; the same cell text (a sender, a subject) recurs.
  const lines = new Map<string, string[]>()
  const wrapCell = (text: string, width: number): string[] => {
    const key = `${weight}\u0000${width}\u0000${text}`
    let l = lines.get(key)
    if (l === undefined) {
      if (lines.size > 20_000) lines.clear()
      l = wrap(text, width, measure, MAX_LINES)
      lines.set(key, l)
    }
    return l
  }
  const headings = input.headings
  let page = 0
  let y = 0
  const bottom = () => doc.page.height - MARGIN - 14

  const row = (cells: Readonly<Record<C, string>>, bold: boolean, grey: boolean) => {
    weight = bold ? 700 : 400
    size = SIZE
    const wrapped = COLUMNS.map(([c, w]) => wrapCell(thaiDigits(cells[c]), w - 2 * PAD))
    const height = Math.max(1, ...wrapped.map((l) => l.length)) * LINE + 2 * PAD
    if (y + height > bottom()) {
      newPage() // draws the heading row in bold: back to this row's weight
      weight = bold ? 700 : 400
      size = SIZE
    }
    let x = MARGIN
    doc.fillColor(grey ? '#777777' : 'black').strokeColor('black').lineWidth(0.5)
    COLUMNS.forEach(([, w], i) => {
      doc.rect(x, y, w, height).stroke()
      wrapped[i]!.forEach((line, j) => draw(line, x + PAD, y + PAD + j * LINE))
      x += w
    })
    doc.fillColor('black')
    y += height
  }

  const newPage = () => {
    doc.addPage()
    page++
    weight = 700
    size = 15
    const tw = runsOf(title).reduce((w, r) => w + measure(r), 0)
    draw(title, Math.max(MARGIN, (doc.page.width - tw) / 2), MARGIN - 6)
    weight = 400
    size = 9
    draw(`หน้า ${thaiDigits(page)}`, doc.page.width - MARGIN - 40, doc.page.height - MARGIN - 4)
    draw(`พิมพ์เมื่อ ${thaiDateTime(input.printedAt)} · ทั้งหมด ${thaiDigits(input.total)} รายการ`, MARGIN, doc.page.height - MARGIN - 4)
    y = MARGIN + 22
    row(headings, true, false)
  }

  newPage()
  let n = 0
  for (const e of input.rows) {
    row(e.cells, false, e.grey)
    if (++n % BATCH === 0) await nextTurn()
  }
  if (n === 0) {
    weight = 400
    size = SIZE
    draw('ไม่มีรายการ', MARGIN + PAD, y + PAD)
  }
  doc.end()
}
