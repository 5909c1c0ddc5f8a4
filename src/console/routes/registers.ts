// Registers by book and Buddhist-era year (issue 17 item 2), with the CSV and PDF exports the API
// offers (render/register-csv.ts, render/register-pdf.ts), each export recorded as an action.
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { html, query } from '../html.js'
import { agenciesOf, sendPage } from '../plugin.js'
import { beYearOfCe, ceYearOfBe, registerYear } from '../../domain/registers.js'
import { thaiDate } from '../../domain/thai.js'
import { registerCsv, CSV_MEDIA_TYPE } from '../../render/register-csv.js'
import { registerPdf, PDF_MEDIA_TYPE } from '../../render/register-pdf.js'
import type { RegisterSeries } from '../../services/registers.js'
import type { ConsoleDeps } from '../deps.js'

interface Q { book?: string; year?: string; agency?: string }

export async function registerRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { registers } = deps
  /** The series asked for, within the caller's agencies; the current register year by default. */
  const seriesOf = (request: FastifyRequest, q: Q, bookId: string | undefined): RegisterSeries => {
    const agencies = agenciesOf(request)
    const agency = q.agency && agencies.includes(q.agency) ? q.agency : agencies[0]
    if (!agency) throw new SarabanError('ERR_FORBIDDEN', 'This key acts for no agency.')
    const book = registers.book(bookId ?? registers.books()[0]!.id)
    const be = Number.parseInt(q.year ?? '', 10)
    const year = Number.isInteger(be) && be > 2400 && be < 3000 ? ceYearOfBe(be) : registerYear(deps.clock.now())
    return { agency, book: book.id, year }
  }

  app.get<{ Querystring: Q }>('/console/registers', async (request, reply) => {
    const { i } = request.console
    const s = seriesOf(request, request.query, request.query.book)
    const book = registers.book(s.book)
    const total = registers.count(s)
    const entries = registers.page(s, 0, 500)
    const q = query({ agency: s.agency, year: beYearOfCe(s.year) })
    const date = (d: string | null) => (d ? (i.lang === 'th' ? thaiDate(d) : d) : '')
    return sendPage(reply, request, i.t('registersTitle'), html`
<form class="search" method="get" action="/console/registers"><fieldset><legend>${i.t('searchLegend')}</legend>
<p><label for="r-book">${i.t('book')}</label><select id="r-book" name="book">${registers.books().map((b) => html`<option value="${b.id}"${b.id === s.book ? html` selected` : ''}>${b.title}</option>`)}</select></p>
<p><label for="r-agency">${i.t('agency')}</label><select id="r-agency" name="agency">${agenciesOf(request).map((a) => html`<option value="${a}"${a === s.agency ? html` selected` : ''}>${a}</option>`)}</select></p>
<p><label for="r-year">${i.t('year')}</label><input id="r-year" name="year" type="number" min="2500" max="2999" value="${beYearOfCe(s.year)}"></p>
<p><button type="submit">${i.t('show')}</button></p></fieldset></form>
<h2>${book.title} ${s.agency} ${i.num(beYearOfCe(s.year))}</h2>
<p><a href="/console/registers/${encodeURIComponent(book.id)}/export.csv${q}" download>${i.t('exportCsv')}</a> · <a href="/console/registers/${encodeURIComponent(book.id)}/export.pdf${q}" download>${i.t('exportPdf')}</a> · ${i.t('entries', { n: i.num(total) })}</p>
${entries.length === 0 ? html`<p>${i.t('noEntries')}</p>` : html`<table><caption>${book.title}</caption><thead><tr><th scope="col">${i.t('number')}</th><th scope="col">${i.t('letterNumber')}</th><th scope="col">${i.t('date')}</th><th scope="col">${i.t('from')}</th><th scope="col">${i.t('to')}</th><th scope="col">${i.t('subject')}</th><th scope="col">${i.t('state')}</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${i.num(e.number)}</td><td>${e.letterNumber ?? ''}</td><td>${date(e.letterDate)}</td><td>${e.from ?? ''}</td><td>${e.to ?? ''}</td><td>${e.subject ?? ''}</td><td>${e.status}</td></tr>`)}</tbody></table>`}`)
  })

  const exportRoute = (ext: 'csv' | 'pdf') => app.get<{ Params: { book: string }; Querystring: Q }>(`/console/registers/:book/export.${ext}`, async (request, reply) => {
    const s = seriesOf(request, request.query, request.params.book)
    const book = registers.book(s.book)
    const key = request.console.key!
    const target = `${s.agency}/${s.book}/${beYearOfCe(s.year)}.${ext}`
    await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'export', 'ok', target)
    reply.header('content-disposition', `attachment; filename="register-${s.agency}-${s.book}-${beYearOfCe(s.year)}.${ext}"`)
    if (ext === 'csv') return reply.type(CSV_MEDIA_TYPE).send(Readable.from(registerCsv(book, registers.entries(s))))
    return reply.type(PDF_MEDIA_TYPE).send(registerPdf({
      book, agency: s.agency, agencyName: registers.agencyName(s.agency), year: s.year,
      total: registers.count(s), entries: registers.entries(s), printedAt: deps.clock.now(),
    }))
  })
  exportRoute('csv')
  exportRoute('pdf')
}
