// GET /metrics (issue 17 item 1; README "Metrics"): the node's Prometheus exposition on the API
// listener. It asks for an API key like the API (any key of the node), except from the scraper
// addresses config metrics.openTo lists. The path is public to bearerAuth (api/auth.ts): this route
// decides itself, before anything is computed.
import { isIPv4, type BlockList } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { hashApiKey, type ApiKeyEntry } from '../auth.js'

export const METRICS_PATH = '/metrics'

export interface MetricsRouteDeps {
  readonly scrape: () => Promise<{ contentType: string; body: string }>
  /** metrics.openTo: who may scrape without a key. */
  readonly openTo: BlockList
  readonly lookup: (sha256: string) => ApiKeyEntry | undefined
}

function peer(request: FastifyRequest): { address: string; family: 'ipv4' | 'ipv6' } {
  const raw = request.socket.remoteAddress ?? ''
  const v4 = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw
  return { address: v4, family: isIPv4(v4) ? 'ipv4' : 'ipv6' }
}

export async function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): Promise<void> {
  app.get(METRICS_PATH, {
    schema: { summary: 'Prometheus metrics of this node (text format 0.0.4)', tags: ['node'], security: [{ bearer: [] }] },
    onRequest: async (request) => {
      const from = peer(request)
      if (from.address !== '' && deps.openTo.check(from.address, from.family)) return
      const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
      if (!m) throw new SarabanError('ERR_UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>", or list the scraper\'s address in metrics.openTo.', { field: 'Authorization' })
      if (!deps.lookup(hashApiKey(m[1]!))) throw new SarabanError('ERR_UNAUTHORIZED', 'The API key is not known to this node.', { field: 'Authorization' })
    },
  }, async (_request, reply) => {
    const { contentType, body } = await deps.scrape()
    return reply.type(contentType).header('cache-control', 'no-store').send(body)
  })
}
