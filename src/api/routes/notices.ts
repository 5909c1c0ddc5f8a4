// POST /api/v1/inbox/{id}/register, POST /api/v1/inbox/{id}/reject, POST /api/v1/letters/{id}/withdraw,
// POST /api/v1/letters/{id}/dispute
// (PROTOCOL.md §18): each act records its signed notice, which the delivery worker then sends.
import type { FastifyInstance } from 'fastify'
import { schemaIds, schemas } from '../../schema/index.js'
import { inboxMessageView } from '../views.js'
import { disputeAcceptance, registerLetter, rejectLetter, withdrawLetter, type DisputeRequest, type RegisterRequest, type RejectRequest, type WithdrawRequest } from '../../services/notices/acts.js'
import { ownMessage } from './inbox.js'
import { ownLetter, letterStatusView } from './letters.js'
import type { ApiDeps } from '../server.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export async function noticeRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const inboxView = (id: string) => inboxMessageView(deps.mailbox.received(id)!, deps.mailbox.receivedNotices(id))

  app.post<{ Params: { id: string }; Body: RegisterRequest | undefined }>('/api/v1/inbox/:id/register', {
    schema: {
      summary: 'Register a received letter: the next receive number (or a supplied one), and the signed acceptance to the sender',
      description: 'Second acknowledgement stage (PROTOCOL.md §18). A letter is registered once: a second call, or one after a rejection or a withdrawal, is refused with 409.',
      tags: ['inbox'],
      params: schemas().schema(schemaIds.apiIdParams),
      body: ref(schemaIds.apiInboxRegister),
      response: { 200: ref(schemaIds.apiInboxMessage) },
    },
  }, async (request) => {
    const m = ownMessage(deps, request, request.params.id)
    await registerLetter(deps.notice, m.messageId, request.body ?? {})
    return inboxView(m.messageId)
  })

  app.post<{ Params: { id: string }; Body: RejectRequest }>('/api/v1/inbox/:id/reject', {
    schema: {
      summary: 'Reject a received letter with a reason code; the signed rejection goes to the sender',
      tags: ['inbox'],
      params: schemas().schema(schemaIds.apiIdParams),
      body: ref(schemaIds.apiInboxReject),
      response: { 200: ref(schemaIds.apiInboxMessage) },
    },
  }, async (request) => {
    const m = ownMessage(deps, request, request.params.id)
    await rejectLetter(deps.notice, m.messageId, request.body)
    return inboxView(m.messageId)
  })

  app.post<{ Params: { id: string }; Body: WithdrawRequest }>('/api/v1/letters/:id/withdraw', {
    schema: {
      summary: 'Withdraw a sent letter from recipients that have not accepted it; a signed withdrawal goes to each that has it',
      description: 'PROTOCOL.md §18.4. A recipient whose message is still queued is cancelled instead: the message is never sent, no notice goes out, its status becomes cancelled (event letter.cancelled). A recipient with a delivery attempt in flight is refused with 409 ERR_WITHDRAW_IN_FLIGHT: ask again once the attempt has ended. Without a recipient list, a letter with no recipient left to withdraw from (each failed, rejected or withdrawn) is refused with 409 ERR_NOTHING_TO_WITHDRAW.',
      tags: ['letters'],
      params: schemas().schema(schemaIds.apiIdParams),
      body: ref(schemaIds.apiLetterWithdraw),
      response: { 202: ref(schemaIds.apiLetterStatus) },
    },
  }, async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    await withdrawLetter(deps.notice, letter.id, request.body)
    return reply.code(202).send(letterStatusView(deps, letter))
  })

  app.post<{ Params: { id: string }; Body: DisputeRequest }>('/api/v1/letters/:id/dispute', {
    schema: {
      summary: 'Dispute the receive number a recipient\'s acceptance gave; a signed dispute goes to that recipient',
      description: 'PROTOCOL.md §18.4 (e-CMS InvalidAcceptIDNotifier). Only an accepted letter can be disputed, once per recipient: a recipient that has not accepted is refused with 422 ERR_NOTICE_INVALID (409 ERR_ALREADY_REJECTED, ERR_ALREADY_WITHDRAWN, ERR_NOT_DELIVERED by its state), a second dispute with 409 ERR_NOTICE_CONFLICT. The acceptance stands; the recipient is told (event letter.disputed).',
      tags: ['letters'],
      params: schemas().schema(schemaIds.apiIdParams),
      body: ref(schemaIds.apiLetterDispute),
      response: { 202: ref(schemaIds.apiLetterStatus) },
    },
  }, async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    await disputeAcceptance(deps.notice, letter.id, request.body)
    return reply.code(202).send(letterStatusView(deps, letter))
  })
}
