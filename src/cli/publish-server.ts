// The federation operator's publication point (PROTOCOL.md §14.1): static HTTPS for the signed
// directory (*.jws) and CRLs (*.crl) of one folder. Files are read at every request, so replacing a
// file (write, then rename) publishes it. Answers carry a strong ETag (the SHA-256 of the bytes) and
// honour If-None-Match (RFC 9110 §13.1.2), so nodes that poll often cost almost nothing. A real
// operator may use any web server instead: nodes trust the signatures, not the server.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { SarabanError } from '../errors.js'
import type { Logger } from '../log.js'
import { notFoundHandler, problemHandler } from '../http/problem.js'

// Served names: one path segment, no dot files, only the kinds a node fetches.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(jws|crl)$/
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  jws: 'application/jose', // RFC 7515 §9.2.1: compact serialization
  crl: 'application/pkix-crl', // RFC 2585 §4.2
}

export interface PublishServerOptions {
  readonly dir: string
  readonly tls: { key: Buffer | string; cert: Buffer | string; passphrase?: string }
  readonly log: Logger
}

/** Not listening: call listen() (tests may inject()). */
export async function buildPublishServer(opts: PublishServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log.child({ area: 'publish' }),
    https: { ...opts.tls, minVersion: 'TLSv1.2' },
  }) as unknown as FastifyInstance
  app.setErrorHandler(problemHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.route<{ Params: { name: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:name',
    handler: async (req, reply) => {
      const name = req.params.name
      const m = NAME.exec(name)
      if (!m) throw new SarabanError('ERR_NOT_FOUND', 'Only *.jws and *.crl files are published here.')
      let bytes: Buffer
      try {
        bytes = await readFile(join(opts.dir, name))
      } catch {
        throw new SarabanError('ERR_NOT_FOUND', `${name} is not published.`)
      }
      const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`
      reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
      const inm = req.headers['if-none-match']
      if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send()
      return reply.type(MEDIA_TYPES[m[1]!]!).send(bytes)
    },
  })
  return app
}
