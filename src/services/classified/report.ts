// The registrar's inspection report (รายงานการตรวจสอบ; PROTOCOL.md §19.7), produced from the access
// record of one agency over a period, as CSV (render/register-csv.ts's quoting) and as PDF (the
// register's table layout, render/register-pdf.ts). Producing it is itself recorded.
import { csvField, CSV_MEDIA_TYPE } from '../../render/register-csv.js'
import { tablePdf, PDF_MEDIA_TYPE } from '../../render/register-pdf.js'
import { thaiDateTime } from '../../domain/thai.js'
import { SarabanError } from '../../errors.js'
import type { AccessEntry } from './access-record.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import { requireScope } from './access-check.js'

export { CSV_MEDIA_TYPE, PDF_MEDIA_TYPE }

const COLUMNS = [['seq', 40], ['at', 95], ['event', 80], ['outcome', 55], ['control', 95], ['person', 150], ['key', 80], ['rule', 120], ['note', 70.9]] as const
type Col = (typeof COLUMNS)[number][0]
const HEADINGS: Record<Col, string> = {
  seq: 'ลำดับ', at: 'วันเวลา', event: 'การเข้าถึง', outcome: 'ผล', control: 'เลขควบคุม / ชุดที่', person: 'ผู้เข้าถึง (ตำแหน่ง) / ผู้อนุมัติ',
  key: 'API key / ที่อยู่', rule: 'กฎที่ใช้', note: 'หมายเหตุ',
}

function person(e: AccessEntry): string {
  const o = e.officer ? `${e.officer.agency}:${e.officer.officer} (${e.officer.role})` : ''
  const second = e.secondApprover ? ` + ${e.secondApprover.agency}:${e.secondApprover.officer}` : ''
  return o + second
}

function cells(e: AccessEntry): Record<Col, string> {
  return {
    seq: String(e.seq), at: thaiDateTime(Date.parse(e.at), { digits: 'arabic' }), event: e.event, outcome: e.outcome,
    control: `${e.controlNumber ?? ''}${e.copy ? ` ชุดที่ ${e.copy.number}/${e.copy.of}` : ''}`, person: person(e),
    key: [e.apiKey, e.client].filter(Boolean).join(' '), rule: e.rule, note: [e.code, e.authority].filter(Boolean).join(' '),
  }
}

export function reportCsv(entries: readonly AccessEntry[]): string {
  const line = (c: ReadonlyArray<string | number | undefined>) => c.map((x) => csvField(x)).join(',') + '\r\n'
  let out = '\uFEFF' + line(['seq', 'at', 'event', 'outcome', 'agency', 'itemId', 'controlNumber', 'copy', 'messageId', 'officerAgency', 'officer', 'officerRole',
    'officerCertSha256', 'secondApprover', 'authority', 'apiKey', 'client', 'node', 'rule', 'code', 'recordSha256'])
  for (const e of entries) {
    out += line([e.seq, e.at, e.event, e.outcome, e.agency, e.itemId, e.controlNumber, e.copy ? `${e.copy.number}/${e.copy.of}` : '', e.messageId,
      e.officer?.agency, e.officer?.officer, e.officer?.role, e.officer?.certSha256, e.secondApprover ? `${e.secondApprover.agency}:${e.secondApprover.officer}` : '',
      e.authority, e.apiKey, e.client, e.node, e.rule, e.code, e.recordSha256])
  }
  return out
}

export async function inspectionReport(deps: ClassifiedDeps, caller: ClassifiedCaller, q: { agency?: string | undefined; from: string; to: string; format: 'csv' | 'pdf' | 'json' }): Promise<{ mediaType: string; body: string | PDFKit.PDFDocument | AccessEntry[] }> {
  await requireScope(deps, caller, 'inspection-report')
  const agency = q.agency ?? caller.agencies.find((a) => deps.hosted.has(a))
  if (!agency || !caller.agencies.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', 'Name an agency this API key acts for in ?agency=.', { field: 'agency' })
  // Dates are Bangkok calendar days; `to` is inclusive.
  const from = Date.parse(`${q.from}T00:00:00+07:00`)
  const to = Date.parse(`${q.to}T00:00:00+07:00`) + 86_400_000
  if (!(to > from)) throw new SarabanError('ERR_REQUEST_INVALID', 'to must not be before from.', { field: 'to' })
  const entries = deps.access.between(agency, from, to)
  await deps.db.write(() => deps.access.append({ agency, event: 'inspection-report', outcome: 'success', rule: 'inspection-report', apiKey: caller.keyName, client: caller.client }))
  if (q.format === 'json') return { mediaType: 'application/json', body: entries }
  if (q.format === 'csv') return { mediaType: CSV_MEDIA_TYPE, body: reportCsv(entries) }
  const name = deps.directory().agency(agency)?.nameTh ?? agency
  return {
    mediaType: PDF_MEDIA_TYPE,
    body: tablePdf({
      title: `รายงานการตรวจสอบบันทึกการเข้าถึงข้อมูลข่าวสารลับ ${name} ${q.from} ถึง ${q.to}`, columns: COLUMNS, headings: HEADINGS,
      rows: entries.map((e) => ({ cells: cells(e), grey: e.outcome === 'refused' })), total: entries.length, printedAt: deps.clock.now(),
    }),
  }
}
