// POST /api/v1/letters/{id}/retry (an operator sends failed recipients again) and GET /api/v1/peers
// (each peer's circuit and what waits for it): PROTOCOL.md §7.2 "Patience" and "Requeue".
import type { FastifyInstance } from 'fastify'
import { schemaIds, schemas } from '../../schema/index.js'
import { requeueLetter, type RequeueRequest } from '../../services/delivery/requeue.js'
import { peerStatus } from '../../services/delivery/peer-status.js'
import { ownLetter, letterStatusView } from './letters.js'
import type { ApiDeps } from '../server.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export async function deliveryRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const ops = deps.deliveryOps
  app.post<{ Params: { id: string }; Body: RequeueRequest }>('/api/v1/letters/:id/retry', {
    schema: {
      summary: 'Send failed recipients of a letter again (same message id, same envelope bytes)',
      description: 'PROTOCOL.md §7.2. Without a body (or without `recipients`), every recipient whose delivery failed; with `recipients`, those named, each of which must be failed, else nothing is requeued: 409 ERR_NOT_FAILED (queued, in flight or delivered) or ERR_DELIVERY_CANCELLED (withdrawn by its sender). The give-up horizon (delivery.giveUpAfter) starts again; event letter.requeued per recipient.',
      tags: ['letters'],
      params: schemas().schema(schemaIds.apiIdParams),
      body: ref(schemaIds.apiLetterRetry),
      response: { 202: ref(schemaIds.apiLetterStatus) },
    },
    // The body is optional: a bare POST requeues every failed recipient.
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {}
    },
  }, async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    await requeueLetter(ops.requeue, letter.id, request.body)
    return reply.code(202).send(letterStatusView(deps, letter))
  })

  app.get('/api/v1/peers', {
    schema: {
      summary: 'Delivery state per peer: up, down (letters wait, one probe at a time) or probing, and what waits for it',
      tags: ['node'],
      response: { 200: ref(schemaIds.apiPeers) },
    },
  }, async (request) => ({ peers: peerStatus(ops.peers, request.caller.agencies) }))
}
