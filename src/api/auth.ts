// Bearer API keys for saraban systems (PROTOCOL.md does not cover the local API; README §API).
// Keys are stored only as SHA-256 hex digests; a key is high-entropy random, so a fast hash is
// the right tool (it is a lookup key, not a password). Each key acts for a list of agencies.
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../errors.js'

export interface ApiKeyEntry {
  readonly name: string
  readonly sha256: string
  readonly agencies: readonly string[]
}

export interface Caller {
  readonly keyName: string
  readonly agencies: readonly string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

export const bearerAuth = fp(
  async function bearerAuth(app: FastifyInstance, opts: { keys: readonly ApiKeyEntry[]; publicPaths: readonly string[] }) {
    const byHash = new Map(opts.keys.map((k) => [k.sha256.toLowerCase(), k]))
    const isPublic = (url: string) => opts.publicPaths.some((p) => url === p || url.startsWith(p + '/') || url.startsWith(p + '?'))
    app.decorateRequest('caller', null as unknown as Caller)
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (isPublic(request.url)) return
      const header = request.headers.authorization
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
      if (!m) throw new SarabanError('ERR_UNAUTHORIZED', 'Send the API key as "Authorization: Bearer <key>".', { field: 'Authorization' })
      const entry = byHash.get(hashApiKey(m[1]!))
      if (!entry) throw new SarabanError('ERR_UNAUTHORIZED', 'The API key is not known to this node.', { field: 'Authorization' })
      request.caller = { keyName: entry.name, agencies: entry.agencies }
    })
  },
  { name: 'saraban-bearer-auth', fastify: '5.x' },
)
