// POST /api/v1/letters (JSON or multipart/form-data), GET /api/v1/letters/{id}, GET /api/v1/outbox, GET /api/v1/letters/{id}/evidence
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import { SarabanError } from '../../errors.js'
import { sendLetter } from '../../services/send.js'
import { EVIDENCE_MEDIA_TYPE } from '../../services/evidence/index.js'
import { planEvidenceArchive } from '../../services/evidence/stream.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { letterView, outboxItemView } from '../views.js'
import { decodeCursor, encodeCursor, listAgencies } from '../paging.js'
import { readMultipartLetter } from '../multipart-letter.js'
import { checkJsonAttachments } from '../../services/upload-limits.js'
import type { ApiDeps } from '../server.js'
import type { OutboxLetter } from '../../services/mailbox/index.js'

/** The letter with each recipient's delivery and notices (PROTOCOL.md §7.3, §18.4); the receipts
 *  only when asked for (issue 20 §8: a circular's status stays light for polling). */
export function letterStatusView(deps: ApiDeps, letter: OutboxLetter, withReceipts = false) {
  const s = deps.mailbox.sentStatus(letter)
  const origin = deps.letterOrigin?.(letter.id)
  return { ...letterView(s.letter, s.messages, s.notices, withReceipts), ...(origin ? { origin } : {}) }
}

const ref = (id: string) => ({ $ref: `${id}#` })

export function ownLetter(deps: ApiDeps, request: FastifyRequest, id: string) {
  const letter = deps.mailbox.sentLetter(id)
  if (!letter || !request.caller.agencies.includes(letter.senderAgency)) {
    throw new SarabanError('ERR_NOT_FOUND', `No letter ${id} sent by an agency this API key acts for.`, { field: 'id' })
  }
  return letter
}

export async function letterRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // Multipart parsing only where it is used: its content-type parser and hooks stay in this scope.
  await app.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: true })
    scope.post<{ Body: unknown; Headers: { 'idempotency-key'?: string } }>('/api/v1/letters', {
      schema: {
        summary: 'Send a letter',
        description: 'Seals one envelope per addressee (recipients and copyTo, PROTOCOL.md §17.3) and queues them for delivery; answers 202 once they are stored. Honours Idempotency-Key, compared by what the request means (a replay answers 202 with Idempotent-Replayed: true; the key for another letter is 422 ERR_IDEMPOTENCY_KEY_REUSED, a retry while the first is still sealed 409 ERR_IDEMPOTENCY_IN_FLIGHT). The body is JSON (files in base64) or multipart/form-data (files as raw bytes; see letter-create-multipart).',
        tags: ['letters'],
        headers: schemas().schema(schemaIds.apiLetterCreateHeaders),
        body: {
          content: {
            'application/json': { schema: ref(schemaIds.apiLetterCreate) },
            'multipart/form-data': { schema: ref(schemaIds.apiLetterCreateMultipart) },
          },
        },
        response: { 202: ref(schemaIds.apiLetterStatus), 200: ref(schemaIds.apiLetterStatus) },
      },
    }, async (request, reply) => {
      const form = request.isMultipart() ? await readMultipartLetter(request, deps.uploadLimits, deps.uploads) : undefined
      // A POST without a body (and so without a Content-Type) passes the body schema, which Fastify
      // applies per media type: refuse it here rather than fail on it below (found by npm run fuzz).
      if (!form && request.body === undefined) {
        throw new SarabanError('ERR_REQUEST_INVALID', 'The request has no body: send the letter as JSON (Content-Type: application/json) or as multipart/form-data.', { field: 'body' })
      }
      if (!form) checkJsonAttachments(deps.uploadLimits, (request.body as { attachments?: [] }).attachments, request.attachmentBytes)
      const decoded = form?.decoded ?? (request.attachmentSentinel && request.attachmentBytes ? { sentinel: request.attachmentSentinel, bytes: request.attachmentBytes } : undefined)
      let result
      try {
        result = await sendLetter(deps.send, {
          body: (form?.body ?? request.body) as never,
          requestSha256: form?.requestSha256 ?? request.rawBodySha256,
          ...(decoded ? { decoded } : {}),
          idempotencyKey: request.headers['idempotency-key'],
          allowedAgencies: request.caller.agencies,
          apiKey: request.caller.keyName,
        })
      } finally {
        // Issue 16 item 2: the spooled files go before the answer, whatever it is (the letter is
        // stored, or refused and nothing of it is).
        await form?.dispose()
      }
      const letter = deps.mailbox.sentLetter(result.letterId)!
      reply.header('location', `/api/v1/letters/${result.letterId}`)
      // README "Idempotency-Key": a replay answers with the first answer's status (202) and says it is one.
      if (result.replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(202).send(letterStatusView(deps, letter))
    })
  })

  app.get<{ Params: { id: string }; Querystring: { include?: 'receipts' } }>('/api/v1/letters/:id', {
    schema: {
      summary: 'A sent letter and the delivery state of each recipient',
      description: 'Light by default; `?include=receipts` embeds each delivered recipient\'s signed receipt.',
      tags: ['letters'],
      params: schemas().schema(schemaIds.apiIdParams),
      querystring: schemas().schema(schemaIds.apiLetterQuery),
      response: { 200: ref(schemaIds.apiLetterStatus) },
    },
  }, async (request) => {
    const letter = ownLetter(deps, request, request.params.id)
    return letterStatusView(deps, letter, request.query.include === 'receipts')
  })

  app.get<{ Params: { id: string } }>('/api/v1/letters/:id/evidence', {
    schema: {
      summary: 'Self-contained evidence bundle v2: a ustar archive (PROTOCOL.md §8)',
      description: 'Envelopes, content keys, signed letters, attachments, receipts, certificate chains, time-stamp tokens, and the directory and CRLs in force; check it with `saraban-node verify-evidence` or the commands in its README.txt.',
      tags: ['letters'],
      params: schemas().schema(schemaIds.apiIdParams),
    },
  }, async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    // Streamed (issue 5 §4): a circular's archive is never held whole; a failure before the first
    // byte is a problem answer, one after it cuts the body short of its Content-Length.
    // Planning reads every message before the first byte (Content-Length): for a national circular
    // (7,850 messages, issue 16 item 3) longer than the connection's idle timeout, which is there to
    // cut off idle clients, not a client waiting for us. Suspended while planning, then restored.
    const socket = request.raw.socket
    const idle = socket.timeout
    socket.setTimeout(0)
    let plan
    try {
      plan = await planEvidenceArchive(deps.evidence, letter, deps.mailbox.evidenceSource(letter.id))
    } finally {
      if (idle !== undefined && !socket.destroyed) socket.setTimeout(idle)
    }
    reply.header('content-disposition', `attachment; filename="evidence-${letter.id}.tar"`)
    reply.header('content-length', plan.size)
    return reply.type(EVIDENCE_MEDIA_TYPE).send(Readable.from(plan.chunks(), { objectMode: false }))
  })

  app.get<{ Querystring: { limit?: number; cursor?: string; agency?: string } }>('/api/v1/outbox', {
    schema: {
      summary: 'Letters sent by the agencies of this API key, newest first',
      tags: ['letters'],
      querystring: schemas().schema(schemaIds.apiListQuery),
      response: { 200: ref(schemaIds.apiOutboxList) },
    },
  }, async (request) => {
    const { limit = 50, cursor, agency } = request.query
    const letters = deps.mailbox.sentPage({ agencies: listAgencies(request, agency), limit, ...decodeCursor(cursor) })
    const last = letters.length === limit ? letters[letters.length - 1]!.letter : undefined
    return {
      items: letters.map((l) => outboxItemView(l.letter, l.messages)),
      ...(last ? { nextCursor: encodeCursor(last.createdAt, last.id) } : {}),
    }
  })
}
