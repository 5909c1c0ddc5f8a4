// The statistics report (issue 17 item 6) as a printable PDF for the oversight bodies: the register's
// layout (render/register-pdf.ts tablePdf: A4 landscape, Sarabun embedded, Thai digits), the rows of
// the CSV (statistics-csv.ts statisticsRows) with Thai names for months, directions and measures.
import { THAI_MONTHS, thaiDigits } from '../domain/thai.js'
import type { StatisticsReport } from '../services/statistics/index.js'
import { tablePdf } from './register-pdf.js'
import { statisticsRows } from './statistics-csv.js'

export { PDF_MEDIA_TYPE } from './register-pdf.js'

type Column = 'month' | 'peer' | 'direction' | 'measure' | 'category' | 'value'
// Widths in points: they add up to the printable width of A4 landscape (785.9, register-pdf.ts).
const COLUMNS: ReadonlyArray<readonly [Column, number]> = [
  ['month', 100], ['peer', 150], ['direction', 60], ['measure', 230], ['category', 145.9], ['value', 100],
]
const HEADINGS: Record<Column, string> = {
  month: 'เดือน', peer: 'หน่วยงานคู่ติดต่อ', direction: 'ส่ง/รับ', measure: 'รายการ', category: 'จำแนก', value: 'จำนวน / วินาที',
}

/** The measures of statistics-csv.ts, in Thai; a duration's "-count", "-median-seconds", "-p95-seconds" after its name. */
const MEASURES: Record<string, string> = {
  letters: 'หนังสือ (ฉบับ)',
  kind: 'ตามชนิดหนังสือ',
  urgency: 'ตามชั้นความเร็ว',
  secrecy: 'ตามชั้นความลับ',
  delivered: 'ส่งถึงปลายทาง',
  'to-delivery': 'เวลาจนส่งถึง',
  'to-registration': 'เวลาจนลงทะเบียนรับ',
  rejected: 'ถูกปฏิเสธ ตามเหตุ',
  failed: 'ส่งไม่สำเร็จ ตามรหัส',
}
const DURATION: Record<string, string> = { count: 'จำนวนที่วัด', 'median-seconds': 'มัธยฐาน (วินาที)', 'p95-seconds': 'เปอร์เซ็นไทล์ที่ ๙๕ (วินาที)' }

function measureName(measure: string): string {
  if (MEASURES[measure]) return MEASURES[measure]
  const d = /^(to-delivery|to-registration)-(.+)$/.exec(measure)
  return d && DURATION[d[2]!] ? `${MEASURES[d[1]!]}: ${DURATION[d[2]!]}` : measure
}

/** 2569-01 → มกราคม ๒๕๖๙. */
export function thaiMonth(month: string): string {
  const [be, m] = month.split('-')
  return `${THAI_MONTHS[Number(m) - 1] ?? m} ${thaiDigits(be ?? '')}`
}

const valueText = (v: number | null) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(1))

export interface StatisticsPdfInput {
  readonly report: StatisticsReport
  readonly agencyName: string
  readonly printedAt: number
}

/** Starts writing the PDF and returns it as a readable stream. */
export function statisticsPdf(input: StatisticsPdfInput): PDFKit.PDFDocument {
  const r = input.report
  const period = r.from === r.to ? thaiMonth(r.from) : `${thaiMonth(r.from)} – ${thaiMonth(r.to)}`
  const rows = [...statisticsRows(r)].map(([month, , peer, direction, measure, category, value]) => ({
    cells: { month: thaiMonth(month), peer, direction: direction === 'sent' ? 'ส่ง' : 'รับ', measure: measureName(measure), category, value: valueText(value) },
    grey: false,
  }))
  return tablePdf({ title: `สถิติหนังสือราชการอิเล็กทรอนิกส์ ${input.agencyName} (${r.agency}) ${period}`, columns: COLUMNS, headings: HEADINGS, rows, total: rows.length, printedAt: input.printedAt })
}
