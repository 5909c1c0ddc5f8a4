// The local REST API for saraban systems: its own Fastify instance, loopback by default,
// bearer keys, one problem+json error handler, OpenAPI generated from the route schemas and the
// operation table (openapi/) at /api/v1/openapi.json, with Swagger UI at /docs.
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { createHash } from 'node:crypto'
import { apiProblemHandler, methodNotAllowed } from './problem-fields.js'
import { fastifyConnectionOptions, limitConnections, nodeServerOptions } from '../http/listener.js'
import type { ConnectionLimits } from '../config/types.js'
import { parseJsonBody } from './json-body.js'
import { apiKeyLookup, bearerAuth, type ApiKeyEntry } from './auth.js'
import { letterRoutes } from './routes/letters.js'
import { inboxRoutes } from './routes/inbox.js'
import { infoRoutes } from './routes/info.js'
import { noticeRoutes } from './routes/notices.js'
import type { NoticeDeps } from '../services/notices/deps.js'
import { registerRoutes } from './routes/registers.js'
import { eventRoutes } from './routes/events.js'
import { deliveryRoutes } from './routes/delivery.js'
import type { RequeueDeps } from '../services/delivery/requeue.js'
import type { PeerStatusDeps } from '../services/delivery/peer-status.js'
import { classifiedRoutes } from './routes/classified.js'
import { logRoutes } from './routes/log.js'
import { statisticsRoutes } from './routes/statistics.js'
import type { StatisticsDeps } from '../services/statistics/index.js'
import type { LogApi } from '../services/log/api.js'
import type { ClassifiedDeps } from '../services/classified/deps.js'
import { allSchemas, compileForFastify } from '../schema/index.js'
import { describeApi, OPENAPI_PATH } from './openapi/index.js'
import { collectRoutes } from './openapi/routes.js'
import type { Mailbox } from '../services/mailbox/index.js'
import type { Registers } from '../services/registers.js'
import type { Directory } from '../pki/directory.js'
import type { SendDeps } from '../services/send.js'
import type { EvidenceDeps } from '../services/evidence/index.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { ProfileTable } from '../crypto/profiles.js'
import type { Logger } from '../log.js'
import type { Events } from '../services/events/index.js'
import type { UploadSpool } from '../services/uploads/spool.js'
import type { UploadLimits } from '../services/upload-limits.js'
import type { LetterOrigin } from '../services/ecms/origin.js'
import { readExactBody } from '../http/exact-body.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBodySha256?: string
    attachmentBytes?: ReadonlyMap<number, Buffer>
    attachmentSentinel?: string
  }
}

export interface ApiDeps {
  readonly log: Logger
  /** The config file's keys (services/api-keys.ts: replaced on SIGHUP). */
  readonly keys: { get(sha256: string): ApiKeyEntry | undefined }
  readonly maxBodyBytes: number
  /** Timeouts and connection limit (config api.connections). */
  readonly connections: ConnectionLimits
  /** Attachment limits of POST /api/v1/letters, JSON or multipart (config limits.*). */
  readonly uploadLimits: UploadLimits
  /** Where multipart attachment files are spooled while a letter is received and sealed (issue 16 item 2). */
  readonly uploads: UploadSpool
  /** Sent and received letters with their deliveries and notices, as the views read them. */
  readonly mailbox: Mailbox
  readonly registers: Registers
  /** What the notice acts need (PROTOCOL.md §18). */
  readonly notice: NoticeDeps
  readonly directory: () => Directory
  readonly hosted: HostedAgencies
  readonly send: SendDeps
  readonly evidence: EvidenceDeps
  /** Operator requeue and the peers' circuits (PROTOCOL.md §7.2). */
  readonly deliveryOps: { readonly requeue: RequeueDeps; readonly peers: PeerStatusDeps }
  readonly version: string
  readonly profiles: ProfileTable
  readonly federationUrl: string
  readonly health: () => { status: 'ok' | 'degraded' | 'failing'; agencies: string[]; [k: string]: unknown }
  /** The event stream and webhook deliveries (issue 5 §6); absent: no /api/v1/events routes. */
  readonly events?: Events
  /** Classified letters (PROTOCOL.md §19); absent: no /api/v1/classified routes. */
  readonly classified?: ClassifiedDeps
  /** The transparency log (PROTOCOL.md §20.5, §20.6); absent: no /api/v1/log routes. */
  readonly tlog?: LogApi
  /** Statistics for the oversight bodies (issue 17 item 6); absent: no /api/v1/statistics route. */
  readonly statistics?: StatisticsDeps
  /** How a sent letter entered the node when not through this API (the e-CMS gateway); absent: never. */
  readonly letterOrigin?: (letterId: string) => LetterOrigin | undefined
  /** Path prefixes served on this listener by others that authenticate their own callers (the e-CMS gateway). */
  readonly publicPaths?: readonly string[]
}

export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance<any, any, any, any>> {
  const app = Fastify({
    loggerInstance: deps.log.child({ area: 'api' }),
    // Per-request lines off: services log events with ids and codes, never contents.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodyBytes,
    http: nodeServerOptions(deps.connections),
    ...fastifyConnectionOptions(deps.connections),
    return503OnClosing: true,
  })
  limitConnections(app.server, deps.connections)
  collectRoutes(app)
  app.setErrorHandler(apiProblemHandler)
  app.setNotFoundHandler(methodNotAllowed(app))
  // Issue 13 §1: attachments are served on the origin of /docs. No answer is sniffed into HTML, and
  // none may run or frame anything; /docs (Swagger UI) keeps what it needs (its own scripts, styles).
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    if (!(request.url === '/docs' || request.url.startsWith('/docs/') || request.url.startsWith('/docs?'))) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    }
  })
  // Bodies are JSON (json-body.ts) or, on POST /api/v1/letters, multipart/form-data: anything else,
  // text/plain included (Fastify parses it by default), is 415 before a route sees it (issue 13 §2).
  app.removeContentTypeParser('text/plain')
  // Validation runs on the project's one Ajv instance (house style §6).
  app.setValidatorCompiler(({ schema, httpPart }) => compileForFastify(schema, httpPart))
  for (const s of allSchemas()) app.addSchema(s)

  // JSON bodies are parsed by json-body.ts, which keeps attachment base64 off the V8 heap; the
  // digest of the exact bytes is kept when an Idempotency-Key asks for comparison.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', (request, payload, done) => readExactBody(request, payload, (error, body) => {
    if (error) return done(error, undefined)
    const buf = body!
    if (request.headers['idempotency-key'] !== undefined) {
      request.rawBodySha256 = createHash('sha256').update(buf).digest('hex')
    }
    try {
      const parsed = parseJsonBody(buf)
      request.attachmentBytes = parsed.attachmentBytes
      request.attachmentSentinel = parsed.sentinel
      done(null, parsed.value)
    } catch {
      const err = Object.assign(new Error('invalid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
      done(err, undefined)
    }
  }))

  await app.register(swagger, {
    // What @fastify/swagger needs to collect the routes (healthz names the scheme); describeApi() writes the rest.
    openapi: { openapi: '3.1.0', components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String((json as { $id?: string }).$id ?? `def-${i}`).replace(/[^A-Za-z0-9_.-]/g, '_') },
    transformObject: (collected) => describeApi((collected as { openapiObject: Record<string, unknown> }).openapiObject, deps.version),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(bearerAuth, { lookup: apiKeyLookup(deps.keys, (sha) => deps.hosted.apiKey(sha)), publicPaths: ['/docs', OPENAPI_PATH, ...(deps.publicPaths ?? [])], optionalPaths: ['/healthz'] })
  await app.register(async (scoped) => {
    // Issue 20 §1: the description at a stable URL, no key needed (what a client generator fetches).
    scoped.get(OPENAPI_PATH, { schema: { summary: 'This description (OpenAPI 3.1)', tags: ['node'] } }, async () => app.swagger())
    await letterRoutes(scoped, deps)
    await inboxRoutes(scoped, deps)
    await noticeRoutes(scoped, deps)
    await infoRoutes(scoped, deps)
    await registerRoutes(scoped, deps)
    await deliveryRoutes(scoped, deps)
    if (deps.events) await eventRoutes(scoped, deps.events, (agency) => deps.hosted.has(agency))
    if (deps.classified) await classifiedRoutes(scoped, deps.classified)
    if (deps.tlog) await logRoutes(scoped, deps.tlog)
    if (deps.statistics) await statisticsRoutes(scoped, deps.statistics)
  })
  return app
}
