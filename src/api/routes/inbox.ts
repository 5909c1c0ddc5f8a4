// GET /api/v1/inbox, /api/v1/inbox/{id}, /api/v1/inbox/{id}/attachments/{attachmentId}
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { decodeCursor, encodeCursor, listAgencies } from '../paging.js'
import { inboxItemView, inboxMessageView } from '../views.js'
import { readAttachment } from '../../services/inbox-read.js'
import type { ApiDeps } from '../server.js'
import { noticesByRef } from '../../storage/notices.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export function ownMessage(deps: ApiDeps, request: FastifyRequest, id: string) {
  const m = deps.inbox.get(id)
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
    const items = deps.inbox.list({ agencies: listAgencies(request, agency), limit, ...decodeCursor(cursor) })
    const last = items.length === limit ? items[items.length - 1] : undefined
    const about = noticesByRef(deps.notices.aboutAll(items.map((m) => m.messageId)))
    return { items: items.map((m) => inboxItemView(m, about.get(m.messageId) ?? {})), ...(last ? { nextCursor: encodeCursor(last.receivedAt, last.messageId) } : {}) }
  })

  app.get<{ Params: { id: string } }>('/api/v1/inbox/:id', {
    schema: { summary: 'A received letter, its attachments, signer and verification', tags: ['inbox'], params: schemas().schema(schemaIds.apiIdParams), response: { 200: ref(schemaIds.apiInboxMessage) } },
  }, async (request) => {
    const m = ownMessage(deps, request, request.params.id)
    return inboxMessageView(m, noticesByRef(deps.notices.about(m.messageId)).get(m.messageId) ?? {})
  })

  app.get<{ Params: { id: string; attachmentId: string } }>('/api/v1/inbox/:id/attachments/:attachmentId', {
    schema: {
      summary: 'The bytes of one attachment, exactly as signed (decrypted and re-verified on every read)',
      tags: ['inbox'],
      params: schemas().schema(schemaIds.apiAttachmentParams),
    },
  }, async (request, reply) => {
    ownMessage(deps, request, request.params.id)
    const a = await readAttachment(deps, request.params.id, request.params.attachmentId)
    if (!a) throw new SarabanError('ERR_NOT_FOUND', `Letter ${request.params.id} has no attachment ${request.params.attachmentId}.`, { field: 'attachmentId' })
    reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`)
    reply.header('repr-digest', `sha-256=:${Buffer.from(a.sha256, 'hex').toString('base64')}:`) // RFC 9530
    return reply.type(a.mediaType).send(a.bytes)
  })
}
