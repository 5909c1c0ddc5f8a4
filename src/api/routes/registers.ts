// Register books (README "Registers"; issue 5 §3):
//   GET  /api/v1/registers                                   the books
//   GET  /api/v1/registers/{book}?year=2569&agency=…          one agency's register for a Buddhist-era year
//                                                             (JSON; Accept: text/csv → CSV, application/pdf → PDF)
//   GET  /api/v1/registers/{book}/export.csv | export.pdf     the same as a download
//   POST /api/v1/registers/{book}/numbers                     take the next number (outgoing letter number)
//   POST /api/v1/registers/{book}/entries/{year}/{number}/cancel
// An API key sees and numbers only the registers of the agencies it acts for.
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { beYearOfCe, ceYearOfBe, columnTitles, registerYear, type RegisterBook, type RegisterFacts } from '../../domain/registers.js'
import { registerCsv, CSV_MEDIA_TYPE } from '../../render/register-csv.js'
import { registerPdf, PDF_MEDIA_TYPE } from '../../render/register-pdf.js'
import { registerEntryView } from '../register-views.js'
import { decodeSeqCursor, encodeSeqCursor } from '../paging.js'
import type { RegisterSeries } from '../../services/registers.js'
import { bodyFingerprint } from '../../services/idempotency/fingerprint.js'
import type { ApiDeps } from '../server.js'

const ref = (id: string) => ({ $ref: `${id}#` })

interface Query { year?: number; agency?: string; limit?: number; cursor?: string }
type Facts = { -readonly [K in keyof RegisterFacts]: RegisterFacts[K] }
interface NumberBody extends Facts { agency?: string; number?: number }

/** The agency whose register is meant: the one named (if this key acts for it), else the key's only one. */
function registerAgency(request: FastifyRequest, agency: string | undefined, field: string): string {
  const mine = request.caller.agencies
  if (agency !== undefined) {
    if (!mine.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', `This API key does not act for "${agency}".`, { field })
    return agency
  }
  if (mine.length === 1) return mine[0]!
  throw new SarabanError('ERR_REQUEST_INVALID', `This API key acts for ${mine.length} agencies: name the agency whose register this is.`, { field })
}

function facts(body: Facts): RegisterFacts {
  const { letterNumber, letterDate, from, to, subject, action, remarks } = body
  return { letterNumber, letterDate, from, to, subject, action, remarks }
}

export async function registerRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { registers } = deps
  const db = deps.send.db
  const now = () => deps.send.clock.now()

  const series = (request: FastifyRequest<{ Params: { book: string }; Querystring: Query }>): { book: RegisterBook; series: RegisterSeries } => {
    const book = registers.book(request.params.book)
    const agency = registerAgency(request, request.query.agency, '/agency')
    const year = request.query.year === undefined ? registerYear(now()) : ceYearOfBe(request.query.year)
    return { book, series: { agency, book: book.id, year } }
  }
  const filename = (s: RegisterSeries, ext: string) => `register-${s.agency}-${s.book}-${beYearOfCe(s.year)}.${ext}`

  const sendCsv = (reply: FastifyReply, book: RegisterBook, s: RegisterSeries) => {
    reply.header('content-disposition', `attachment; filename="${filename(s, 'csv')}"`)
    return reply.type(CSV_MEDIA_TYPE).send(Readable.from(registerCsv(book, registers.entries(s))))
  }
  const sendPdf = (reply: FastifyReply, book: RegisterBook, s: RegisterSeries) => {
    reply.header('content-disposition', `attachment; filename="${filename(s, 'pdf')}"`)
    const pdf = registerPdf({
      book, agency: s.agency, agencyName: registers.agencyName(s.agency), year: s.year,
      total: registers.count(s), entries: registers.entries(s), printedAt: now(),
    })
    return reply.type(PDF_MEDIA_TYPE).send(pdf)
  }

  app.get('/api/v1/registers', {
    schema: { summary: 'The register books of this node', tags: ['registers'], response: { 200: ref(schemaIds.apiRegisterBooks) } },
  }, async () => ({ books: registers.books() }))

  const listSchema = {
    tags: ['registers'],
    params: schemas().schema(schemaIds.apiRegisterParams),
    querystring: schemas().schema(schemaIds.apiRegisterQuery),
  }

  app.get<{ Params: { book: string }; Querystring: Query }>('/api/v1/registers/:book', {
    schema: {
      ...listSchema,
      summary: 'One agency\'s register for a Buddhist-era year, in number order',
      description: 'JSON by default; `Accept: text/csv` answers the CSV export and `Accept: application/pdf` the PDF export (as /export.csv and /export.pdf).',
      response: { 200: ref(schemaIds.apiRegisterList) },
    },
  }, async (request, reply) => {
    const { book, series: s } = series(request)
    const accept = request.headers.accept ?? ''
    if (/\btext\/csv\b/i.test(accept)) return sendCsv(reply, book, s)
    if (/\bapplication\/pdf\b/i.test(accept)) return sendPdf(reply, book, s)
    const limit = request.query.limit ?? 1000
    const entries = registers.page(s, decodeSeqCursor('register', request.query.cursor) ?? 0, limit)
    const last = entries.length === limit ? entries[entries.length - 1] : undefined
    return {
      agency: s.agency, book: book.id, direction: book.direction, title: book.title, year: beYearOfCe(s.year),
      columns: columnTitles(book.direction), total: registers.count(s),
      entries: entries.map(registerEntryView), ...(last ? { nextCursor: encodeSeqCursor('register', last.number) } : {}),
    }
  })

  app.get<{ Params: { book: string }; Querystring: Query }>('/api/v1/registers/:book/export.csv', {
    schema: { ...listSchema, summary: 'The register as CSV (UTF-8 with BOM, RFC 4180), Buddhist-era dates' },
  }, async (request, reply) => {
    const { book, series: s } = series(request)
    return sendCsv(reply, book, s)
  })

  app.get<{ Params: { book: string }; Querystring: Query }>('/api/v1/registers/:book/export.pdf', {
    schema: { ...listSchema, summary: 'The register as a printable PDF (A4 landscape, Thai digits, Buddhist-era dates)' },
  }, async (request, reply) => {
    const { book, series: s } = series(request)
    return sendPdf(reply, book, s)
  })

  app.post<{ Params: { book: string }; Body: NumberBody; Headers: { 'idempotency-key'?: string } }>('/api/v1/registers/:book/numbers', {
    schema: {
      summary: 'Take the next number of a register book',
      description: 'Send books: the next outgoing letter number, <ownerCode>/<n> or <ownerCode>/ว <n> for circulars. Receive books: registers a letter that did not come through the node. Honours Idempotency-Key (a replay answers 201 with the number taken before and Idempotent-Replayed: true).',
      tags: ['registers'],
      headers: schemas().schema(schemaIds.apiLetterCreateHeaders),
      params: schemas().schema(schemaIds.apiRegisterParams),
      body: ref(schemaIds.apiRegisterNumberCreate),
      response: { 201: ref(schemaIds.apiRegisterNumber), 200: ref(schemaIds.apiRegisterNumber) },
    },
  }, async (request, reply) => {
    const book = registers.book(request.params.book)
    const agency = registerAgency(request, request.body.agency, '/body/agency')
    const at = now()
    const entry = facts(request.body)
    const key = request.headers['idempotency-key']
    // README "Idempotency-Key": compared by what the body means within this book (the key is per agency).
    const idempotency = key === undefined ? undefined : { key, fingerprint: bodyFingerprint(`register:${book.id}`, { ...request.body, agency: undefined }), requestSha256: request.rawBodySha256 }
    const r = await db.write(() => {
      const got = book.direction === 'send'
        ? registers.assignOutgoing({ agency, book: book.id, at, number: request.body.number, entry, idempotency })
        : { ...registers.recordEntry({ agency, book: book.id, at, number: request.body.number, entry, idempotency }), letterNumber: undefined }
      return { ...got, entry: registers.entry({ agency, book: got.book, year: got.year }, got.number)! }
    })
    reply.header('location', `/api/v1/registers/${book.id}?year=${beYearOfCe(r.year)}&agency=${agency}`)
    // draft-ietf-httpapi-idempotency-key-header: a replay answers as the first request did.
    if (r.replayed) reply.header('idempotent-replayed', 'true')
    return reply.code(201).send({
      agency, book: book.id, year: beYearOfCe(r.year), number: r.number,
      ...(r.letterNumber !== undefined ? { letterNumber: r.letterNumber } : {}), entry: registerEntryView(r.entry),
    })
  })

  app.post<{ Params: { book: string; year: number; number: number }; Body: { agency?: string; reason: string } }>('/api/v1/registers/:book/entries/:year/:number/cancel', {
    schema: {
      summary: 'Cancel a register number: the entry stays, marked cancelled; the number is never given again',
      tags: ['registers'],
      params: schemas().schema(schemaIds.apiRegisterEntryParams),
      body: ref(schemaIds.apiRegisterCancel),
      response: { 200: ref(schemaIds.apiRegisterEntry) },
    },
  }, async (request) => {
    const book = registers.book(request.params.book)
    const agency = registerAgency(request, request.body.agency, '/body/agency')
    const s = { agency, book: book.id, year: ceYearOfBe(request.params.year) }
    const acknowledged = (mid: string) => deps.mailbox.receivedNotices(mid).answer?.type === 'accepted'
    const e = await db.write(() => registers.cancel(s, request.params.number, now(), request.body.reason, acknowledged))
    return registerEntryView(e)
  })
}
