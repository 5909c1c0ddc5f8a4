// The transparency log on the REST API (PROTOCOL.md §20.5, §20.6): the logs of the key's agencies
// (checkpoint, proofs, entries), the peers' checkpoints this node holds, and an audit on demand
// (`saraban-node log audit`). Through services/log/api.ts.
import type { FastifyInstance } from 'fastify'
import { SarabanError } from '../../errors.js'
import { schemaIds } from '../../schema/index.js'
import { CHECKPOINT_MEDIA_TYPE } from '../../services/log/checkpoints.js'
import type { LogApi } from '../../services/log/api.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export async function logRoutes(app: FastifyInstance, log: LogApi): Promise<void> {
  for (const what of ['checkpoint', 'proof/inclusion', 'proof/consistency', 'entries'] as const) {
    app.get<{ Params: { agency: string }; Querystring: Record<string, unknown> }>(`/api/v1/log/:agency/${what}`, {
      schema: {
        summary: what === 'checkpoint' ? 'The latest checkpoint of the agency\'s log (a compact JWS, application/jose)' : `The agency's log: ${what.replace('proof/', '')} (PROTOCOL.md §20.5)`,
        tags: ['log'],
        params: ref(schemaIds.apiLogParams),
        querystring: ref(schemaIds.apiLogQuery),
        ...(what === 'checkpoint' ? {} : { response: { 200: ref(schemaIds.apiLogProof) } }),
      },
    }, async (request, reply) => {
      const agency = request.params.agency
      if (!request.caller.agencies.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', `This API key does not act for agency "${agency}".`, { field: '/path/agency' })
      const answer = log.answer(agency, what.replace('proof/', ''), request.query)
      return typeof answer === 'string' ? reply.type(CHECKPOINT_MEDIA_TYPE).send(answer) : answer
    })
  }
  app.get('/api/v1/log/peers', {
    schema: { summary: "The peers' log checkpoints this node holds, and the misbehaviour proofs it keeps (PROTOCOL.md §20.6)", tags: ['log'], response: { 200: ref(schemaIds.apiLogPeers) } },
  }, async () => log.peers())
  app.post('/api/v1/log/audit', {
    schema: { summary: "Audit the peers' logs now (PROTOCOL.md §20.6); as the background audit (transparencyLog.auditSeconds) does", tags: ['log'], response: { 200: ref(schemaIds.apiLogAudit) } },
  }, async () => log.audit())
}
