// A small RFC 3161 time-stamping authority for development and tests (`saraban-node tsa`): HTTP POST of
// application/timestamp-query, answered with application/timestamp-reply (RFC 3161 §3.4). Not listening
// until the caller says so (house style §5), so tests can inject(). A production federation runs a real
// TSA; nodes only need its URL and its certificate chaining to a federation root (PROTOCOL.md §13.1).
import { webcrypto } from 'node:crypto'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import { OID_TSA_POLICY_DEV } from './oids.js'
import { parseRequest, TspRequestError } from './request.js'
import { grantedResponse, rejectedResponse } from './response.js'
import { issueToken, type TsaSigner } from './token.js'
import { randomPositive } from './der.js'

export const TSQ_MEDIA_TYPE = 'application/timestamp-query'
export const TSR_MEDIA_TYPE = 'application/timestamp-reply'
/** A request is ~60–120 bytes; anything much larger is not one. */
const MAX_QUERY_BYTES = 16 * 1024

export interface TsaServerOptions {
  readonly signer: TsaSigner
  readonly clock: Clock
  readonly log: Logger
  /** TSTInfo.policy; default the development policy OID. */
  readonly policy?: string
  /** TLS for an https TSA (PEM). Without it the TSA speaks plain HTTP: tokens protect themselves. */
  readonly https?: { key: string | Buffer; cert: string | Buffer }
}

export async function buildTsaServer(opts: TsaServerOptions): Promise<FastifyInstance<any, any, any, any>> {
  const policy = opts.policy ?? OID_TSA_POLICY_DEV
  const app = Fastify({
    loggerInstance: opts.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_QUERY_BYTES,
    return503OnClosing: true,
    ...(opts.https ? { https: opts.https } : {}),
  } as never) as unknown as FastifyInstance
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(TSQ_MEDIA_TYPE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.post('/', async (req, reply) => {
    reply.type(TSR_MEDIA_TYPE)
    let parsed
    try {
      parsed = parseRequest(req.body as Buffer)
      if (parsed.policy !== undefined && parsed.policy !== policy) throw new TspRequestError('unacceptedPolicy', `this TSA issues under policy ${policy} only`)
    } catch (err) {
      if (!(err instanceof TspRequestError)) throw err
      opts.log.info({ event: 'tsa.rejected', failure: err.failure }, 'time-stamp request rejected')
      return reply.send(rejectedResponse(err.failure, err.message))
    }
    const serial = randomPositive(webcrypto.getRandomValues(new Uint8Array(16)))
    const token = issueToken({
      imprint: parsed.imprint,
      policy,
      serial,
      genTime: new Date(opts.clock.now()),
      nonce: parsed.nonce,
      includeCerts: parsed.certReq,
    }, opts.signer)
    opts.log.debug({ event: 'tsa.granted', serial: Buffer.from(serial.valueBlock.valueHexView).toString('hex') }, 'time-stamp issued')
    return reply.send(grantedResponse(token))
  })
  // Anything else: RFC 3161 §3.4 defines only the POST.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) opts.log.error({ err, event: 'tsa.error' }, 'time-stamping failed')
    return reply.code(status).type('text/plain; charset=utf-8').send(status === 500 ? 'internal error\n' : `${err.message}\n`)
  })
  return app
}
