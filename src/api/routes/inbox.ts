// GET /api/v1/inbox, /api/v1/inbox/{id}, /api/v1/inbox/{id}/attachments/{attachmentId}
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { decodeCursor, encodeCursor, listAgencies } from '../paging.js'
import { inboxItemView, inboxMessageView } from '../views.js'
import { attachmentDisposition } from '../content-disposition.js'
import { byteRange, etagOf } from '../byte-range.js'
import type { ApiDeps } from '../server.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export function ownMessage(deps: ApiDeps, request: FastifyRequest, id: string) {
  const m = deps.mailbox.received(id)
  if (!m || !request.caller.agencies.includes(m.recipientAgency)) {
    throw new SarabanError('ERR_NOT_FOUND', `No received letter ${id} for an agency this API key acts for.`, { field: 'id' })
  }
  return m
}

export async function inboxRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get<{ Querystring: { limit?: number; cursor?: string; agency?: string } }>('/api/v1/inbox', {
    schema: {
      summary: 'Letters received for the agencies of this API key, newest first',
      tags: ['inbox'],
      querystring: schemas().schema(schemaIds.apiListQuery),
      response: { 200: ref(schemaIds.apiInboxList) },
    },
  }, async (request) => {
    const { limit = 50, cursor, agency } = request.query
    const items = deps.mailbox.receivedPage({ agencies: listAgencies(request, agency), limit, ...decodeCursor(cursor) })
    const last = items.length === limit ? items[items.length - 1]!.message : undefined
    return { items: items.map((i) => inboxItemView(i.message, i.notices)), ...(last ? { nextCursor: encodeCursor(last.receivedAt, last.messageId) } : {}) }
  })

  app.get<{ Params: { id: string } }>('/api/v1/inbox/:id', {
    schema: { summary: 'A received letter, its attachments, signer and verification', tags: ['inbox'], params: schemas().schema(schemaIds.apiIdParams), response: { 200: ref(schemaIds.apiInboxMessage) } },
  }, async (request) => {
    const m = ownMessage(deps, request, request.params.id)
    return inboxMessageView(m, deps.mailbox.receivedNotices(m.messageId))
  })

  app.get<{ Params: { id: string; attachmentId: string } }>('/api/v1/inbox/:id/attachments/:attachmentId', {
    schema: {
      summary: 'The bytes of one attachment, exactly as signed, streamed (decrypted slice by slice; signature and SHA-256 re-checked on every read)',
      description: 'Honours one byte range (Range: bytes=a-b, bytes=a-, bytes=-n; RFC 9110 §14) with 206 and Content-Range, If-Range against the ETag (the SHA-256); a range outside the file is 416 ERR_RANGE_NOT_SATISFIABLE. A range is not digest-checked (see README).',
      tags: ['inbox'],
      params: schemas().schema(schemaIds.apiAttachmentParams),
    },
  }, async (request, reply) => {
    const { id, attachmentId } = request.params
    ownMessage(deps, request, id)
    const meta = deps.mailbox.receivedAttachment(id, attachmentId)
    if (!meta) throw new SarabanError('ERR_NOT_FOUND', `Letter ${id} has no attachment ${attachmentId}.`, { field: 'attachmentId' })
    const etag = etagOf(meta.sha256)
    const ifRange = request.headers['if-range']
    const range = byteRange(request.headers.range, Array.isArray(ifRange) ? ifRange[0] : ifRange, etag, meta.size)
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${meta.size}`)
      throw new SarabanError('ERR_RANGE_NOT_SATISFIABLE', `Attachment ${attachmentId} has ${meta.size} bytes.`, { field: 'Range' })
    }
    const a = await deps.mailbox.openReceivedAttachment(id, attachmentId, range)
    if (!a) throw new SarabanError('ERR_NOT_FOUND', `Letter ${id} has no attachment ${attachmentId}.`, { field: 'attachmentId' })
    reply.header('content-disposition', attachmentDisposition(a.filename))
    reply.header('accept-ranges', 'bytes')
    reply.header('etag', etag)
    reply.header('repr-digest', `sha-256=:${Buffer.from(a.sha256, 'hex').toString('base64')}:`) // RFC 9530: of the whole file
    if (range) {
      reply.code(206)
      reply.header('content-range', `bytes ${range.start}-${range.end - 1}/${a.size}`)
    }
    reply.header('content-length', range ? range.end - range.start : a.size)
    // A failure after the first byte (the digest at the end) cannot become a problem+json any more:
    // the response is cut short, below its Content-Length, and the failure is logged.
    a.body.on('error', (err) => request.log.error({ err, code: (err as { code?: string }).code, messageId: id }, 'attachment stream failed'))
    return reply.type(a.mediaType).send(a.body)
  })
}
