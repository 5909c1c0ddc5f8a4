// Bearer API keys for saraban systems (PROTOCOL.md does not cover the local API; README §API).
// Keys are stored only as SHA-256 hex digests; a key is high-entropy random, so a fast hash is
// the right tool (it is a lookup key, not a password). Each key acts for a list of agencies. Keys come
// from the config file and from hosted-agency files (PROTOCOL.md §16.3), which change at run time:
// each request asks `lookup`, so a removed agency's keys stop working at once.
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../errors.js'

import type { ApiKeyEntry } from '../services/api-keys.js'
export type { ApiKeyEntry }

export interface Caller {
  readonly keyName: string
  readonly agencies: readonly string[]
  /** What the key may do beyond letters: 'classified' (PROTOCOL.md §19.5). */
  readonly scopes: ReadonlySet<string>
  /** The key's agencies at the moment of asking (undefined: no longer known): long-lived requests
   *  (event streams) ask again when hosted-agency files are reloaded. */
  readonly agenciesNow: () => readonly string[] | undefined
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
  async function bearerAuth(app: FastifyInstance, opts: { lookup: (sha256: string) => ApiKeyEntry | undefined; publicPaths: readonly string[]; optionalPaths?: readonly string[] }) {
    const under = (paths: readonly string[], url: string) => paths.some((p) => url === p || url.startsWith(p + '/') || url.startsWith(p + '?'))
    app.decorateRequest('caller', null as unknown as Caller)
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (under(opts.publicPaths, request.url)) return
      // optional: answered without a key (less), with a key (more); a wrong key is still refused
      if (opts.optionalPaths && under(opts.optionalPaths, request.url) && request.headers.authorization === undefined) return
      const header = request.headers.authorization
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
      if (!m) throw new SarabanError('ERR_UNAUTHORIZED', 'Send the API key as "Authorization: Bearer <key>".', { field: 'Authorization' })
      const sha256 = hashApiKey(m[1]!) // kept for agenciesNow: the digest, never the key
      const entry = opts.lookup(sha256)
      if (!entry) throw new SarabanError('ERR_UNAUTHORIZED', 'The API key is not known to this node.', { field: 'Authorization' })
      request.caller = { keyName: entry.name, agencies: entry.agencies, scopes: new Set(entry.scopes ?? []), agenciesNow: () => opts.lookup(sha256)?.agencies }
    })
  },
  { name: 'saraban-bearer-auth', fastify: '5.x' },
)

/** The keys of the config file first (a table SIGHUP may replace), then a dynamic source (hosted-agency files). */
export function apiKeyLookup(keys: { get(sha256: string): ApiKeyEntry | undefined }, more?: (sha256: string) => ApiKeyEntry | undefined): (sha256: string) => ApiKeyEntry | undefined {
  return (sha256) => keys.get(sha256) ?? more?.(sha256)
}
