// Statistics for the oversight bodies in the console (issue 17 item 6): a from/to form of
// Buddhist-era months (as GET /api/v1/statistics takes them), the report of one of the key's agencies
// as a table, and its exports: the API's CSV (render/statistics-csv.ts) and a PDF in the register's
// layout (render/statistics-pdf.ts), each export recorded as a console action.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { html, query, type Html } from '../html.js'
import { agenciesOf, sendPage } from '../plugin.js'
import { monthOf, statistics, type Durations, type StatisticsReport } from '../../services/statistics/index.js'
import { statisticsCsv, CSV_MEDIA_TYPE } from '../../render/statistics-csv.js'
import { statisticsPdf, thaiMonth, PDF_MEDIA_TYPE } from '../../render/statistics-pdf.js'
import type { ConsoleDeps } from '../deps.js'
import type { I18n } from '../i18n/index.js'

interface Q { from?: string; to?: string; agency?: string }

const sum = (m: Readonly<Record<string, number>>) => Object.values(m).reduce((a, b) => a + b, 0)

export async function statisticsRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  /** The agency asked for, if the key acts for it; else the key's first. */
  const agencyOf = (request: FastifyRequest, q: Q): string => {
    const agencies = agenciesOf(request)
    const agency = q.agency && agencies.includes(q.agency) ? q.agency : agencies[0]
    if (!agency) throw new SarabanError('ERR_FORBIDDEN', 'This key acts for no agency.')
    return agency
  }
  /** The form's months: as given, else January of this Buddhist-era year to the current month. */
  const periodOf = (q: Q): { from: string; to: string } => {
    const now = monthOf(deps.clock.now())
    const str = (v: string | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
    const from = str(q.from)
    const to = str(q.to)
    return { from: from ?? (to === undefined ? `${now.slice(0, 4)}-01` : to), to: to ?? (from === undefined ? now : from) }
  }
  const stats = deps.statistics

  app.get<{ Querystring: Q }>('/console/statistics', async (request, reply) => {
    const { i } = request.console
    if (!stats) throw new SarabanError('ERR_NOT_FOUND', 'Statistics are not served by this node.')
    const agency = agencyOf(request, request.query)
    const p = periodOf(request.query)
    let report: StatisticsReport | undefined
    let refusal: SarabanError | undefined
    try {
      report = statistics(stats, { agency, ...p })
    } catch (err) {
      if (!(err instanceof SarabanError) || err.code !== 'ERR_STATISTICS_PERIOD_INVALID') throw err
      refusal = err
    }
    const q = query({ agency, from: report?.from, to: report?.to })
    const body = html`
<form class="search" method="get" action="/console/statistics"><fieldset><legend>${i.t('statsPeriod')}</legend>
<p><label for="s-agency">${i.t('agency')}</label><select id="s-agency" name="agency">${agenciesOf(request).map((a) => html`<option value="${a}"${a === agency ? html` selected` : ''}>${a}</option>`)}</select></p>
<p><label for="s-from">${i.t('statsFrom')}</label><input id="s-from" name="from" value="${p.from}" pattern="[0-9]{4}-[0-9]{2}" placeholder="2569-01" aria-describedby="s-hint"${refusal?.field === '/query/from' ? html` aria-invalid="true"` : ''}></p>
<p><label for="s-to">${i.t('statsTo')}</label><input id="s-to" name="to" value="${p.to}" pattern="[0-9]{4}-[0-9]{2}" placeholder="2569-12" aria-describedby="s-hint"${refusal?.field === '/query/to' ? html` aria-invalid="true"` : ''}></p>
<p id="s-hint" class="who">${i.t('statsHint')}</p>
<p><button type="submit">${i.t('show')}</button></p></fieldset></form>
${refusal ? html`<p class="error" role="alert">${refusal.message} <code>${refusal.code}</code></p>` : ''}
${report ? reportView(i, report, q) : ''}`
    return sendPage(reply, request, i.t('statsTitle'), body, refusal ? refusal.status : 200)
  })

  const exportRoute = (ext: 'csv' | 'pdf') => app.get<{ Querystring: Q }>(`/console/statistics/export.${ext}`, async (request, reply) => {
    if (!stats) throw new SarabanError('ERR_NOT_FOUND', 'Statistics are not served by this node.')
    const agency = agencyOf(request, request.query)
    const report = statistics(stats, { agency, ...periodOf(request.query) })
    const key = request.console.key!
    const name = `statistics-${agency}-${report.from}-${report.to}.${ext}`
    await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'export-statistics', 'ok', `${agency}/${report.from}..${report.to}.${ext}`)
    reply.header('content-disposition', `attachment; filename="${name}"`)
    if (ext === 'csv') return reply.type(CSV_MEDIA_TYPE).send(statisticsCsv(report))
    return reply.type(PDF_MEDIA_TYPE).send(statisticsPdf({ report, agencyName: deps.registers.agencyName(agency), printedAt: deps.clock.now() }))
  })
  exportRoute('csv')
  exportRoute('pdf')
}

function reportView(i: I18n, r: StatisticsReport, q: string): Html {
  const month = (m: string) => (i.lang === 'th' ? thaiMonth(m) : m)
  const secs = (d: Durations) => (d.count === 0 ? '–' : `${i.num(fmt(d.medianSeconds))} / ${i.num(fmt(d.p95Seconds))}`)
  const rows = r.months.flatMap((m) => m.peers.map((p) => ({ month: m.month, ...p })))
  return html`
<h2>${r.agency} ${month(r.from)}${r.from === r.to ? '' : html` – ${month(r.to)}`}</h2>
<p><a href="/console/statistics/export.csv${q}" download>${i.t('exportCsv')}</a> · <a href="/console/statistics/export.pdf${q}" download>${i.t('exportPdf')}</a></p>
${rows.length === 0 ? html`<p>${i.t('statsNone')}</p>` : html`<table><caption>${i.t('statsCaption')}</caption><thead><tr>
<th scope="col">${i.t('statsMonth')}</th><th scope="col">${i.t('peer')}</th><th scope="col">${i.t('statsSent')}</th><th scope="col">${i.t('statsDelivered')}</th>
<th scope="col">${i.t('statsToDelivery')}</th><th scope="col">${i.t('statsFailures')}</th><th scope="col">${i.t('statsReceived')}</th>
<th scope="col">${i.t('statsToRegistration')}</th><th scope="col">${i.t('statsRejections')}</th></tr></thead>
<tbody>${rows.map((x) => html`<tr><td>${month(x.month)}</td><th scope="row">${x.peer}</th><td>${i.num(x.sent.letters)}</td><td>${i.num(x.sent.delivered)}</td>
<td>${secs(x.sent.toDelivery)}</td><td>${failures(i, x.sent.failures)}</td><td>${i.num(x.received.letters)}</td>
<td>${secs(x.received.toRegistration)}</td><td>${i.num(sum(x.sent.rejections))} / ${i.num(sum(x.received.rejections))}</td></tr>`)}</tbody></table>
<p class="who">${i.t('statsNote')}</p>`}`
}

function failures(i: I18n, m: Readonly<Record<string, number>>): Html | string {
  const entries = Object.entries(m)
  if (entries.length === 0) return i.num(0)
  return html`${entries.map(([code, n], k) => html`${k > 0 ? ', ' : ''}<code>${code}</code> ${i.num(n)}`)}`
}

const fmt = (v: number | null) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(1))
