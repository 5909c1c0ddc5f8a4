// The transparency log on the federation listener (PROTOCOL.md §20.5): any identified federation peer
// may read the logs of the agencies this node hosts (checkpoint, inclusion and consistency proofs,
// entry bytes), so that it can witness them. Entries hold ids and digests only (§20.3).
import type { FastifyInstance } from 'fastify'
import { SarabanError } from '../errors.js'
import { answerLogRequest, type LogProofs } from '../services/log/proofs.js'
import { CHECKPOINT_MEDIA_TYPE } from '../services/log/checkpoints.js'

export function registerLogRoutes(app: FastifyInstance<any, any, any, any>, proofs: LogProofs, hosts: (agency: string) => boolean): void {
  // proof/inclusions: many inclusion proofs in one request (the sender's gathered proofs, §20.7); federation only.
  const paths = ['checkpoint', 'proof/inclusion', 'proof/inclusions', 'proof/consistency', 'entries'] as const
  for (const p of paths) {
    app.get<{ Params: { agency: string }; Querystring: Record<string, unknown> }>(`/federation/v1/log/:agency/${p}`, async (request, reply) => {
      const agency = request.params.agency
      if (!hosts(agency)) throw new SarabanError('ERR_RECIPIENT_NOT_HOSTED', `This node does not host agency "${agency}".`, { field: 'agency' })
      const answer = answerLogRequest(proofs, agency, p.replace('proof/', ''), request.query)
      return typeof answer === 'string' ? reply.type(CHECKPOINT_MEDIA_TYPE).send(answer) : answer
    })
  }
}
