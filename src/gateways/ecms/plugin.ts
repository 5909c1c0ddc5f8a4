// The e-CMS gateway endpoint (issue 18 §1): a Fastify plugin that src/wire mounts on the API listener
// (src/api does not import it). POST <prefix>/<agency>/ecms-ws01/service2, SOAP 1.1 in text/xml.
// Who is calling comes from configuration only (ecms.clients: the agency of the URL, and the client
// addresses allowed to use it; loopback by default), never from the XML. Then: size limit, charset,
// the XML parser that refuses DOCTYPEs (xml.ts), the envelope (soap.ts), the table (dispatch.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isIPv4, type BlockList } from 'node:net'
import { decodeBody, parseXml, XmlRefused } from './xml.js'
import { answerXml, errorBody, readEnvelope } from './soap.js'
import { ECMS_ERRORS, EcmsError, type EcmsErrorCode } from './errors.js'
import { responseRootFor, route, type EcmsDeps } from './dispatch.js'
import { el } from './xml.js'

export interface EcmsClient {
  /** The hosted agency a client of this URL acts for. */
  readonly agency: string
  /** Client addresses allowed (config ecms.clients[].allowFrom; default loopback). */
  readonly allowFrom: BlockList
}

export interface EcmsGatewayOptions {
  readonly deps: EcmsDeps
  /** Path prefix (config ecms.pathPrefix), e.g. '/ecms' (not `prefix`: Fastify would prefix the routes with it too). */
  readonly pathPrefix: string
  readonly maxBodyBytes: number
  readonly clients: readonly EcmsClient[]
}

/** The path an agency's e-CMS client posts to (e-cms.md §2: …/ecms-ws01/service2). */
export function ecmsPath(prefix: string, agency: string): string {
  return `${prefix}/${agency}/ecms-ws01/service2`
}

const MEDIA_TYPES = ['text/xml', 'application/xml', 'application/soap+xml']

declare module 'fastify' {
  interface FastifyRequest {
    ecmsAgency?: string
  }
}

function charsetOf(contentType: string | undefined): string | undefined {
  const m = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null
  return m?.[1]
}

/** The peer's address as the socket reports it; an IPv4-mapped IPv6 address is its IPv4 address. */
function peerAddress(request: FastifyRequest): { address: string; family: 'ipv4' | 'ipv6' } {
  const raw = request.socket.remoteAddress ?? ''
  const v4 = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw
  return { address: v4, family: isIPv4(v4) ? 'ipv4' : 'ipv6' }
}

function send(reply: FastifyReply, status: number, xml: string) {
  return reply.code(status).type('text/xml; charset=utf-8').send(xml)
}

export async function ecmsGateway(app: FastifyInstance, opts: EcmsGatewayOptions): Promise<void> {
  const { deps } = opts
  const log = deps.log.child({ area: 'ecms' })
  app.decorateRequest('ecmsAgency', undefined)
  for (const t of MEDIA_TYPES) {
    app.addContentTypeParser(t, { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body))
  }

  const refuse = (reply: FastifyReply, root: string, code: EcmsErrorCode, detail?: string) =>
    send(reply, ECMS_ERRORS[code].http, answerXml(errorBody(root, code, detail), deps.clock.now()))

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (err instanceof EcmsError) return refuse(reply, 'ErrorResponse', err.code, err.detail)
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(reply, 'ErrorResponse', 'ECMS-E002')
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || err.statusCode === 415) return refuse(reply, 'ErrorResponse', 'ECMS-E001')
    if (err.statusCode !== undefined && err.statusCode < 500) return refuse(reply, 'ErrorResponse', 'ECMS-E003')
    log.error({ err, agency: request.ecmsAgency }, 'e-CMS gateway failure')
    return refuse(reply, 'ErrorResponse', 'ECMS-E099')
  })

  app.post<{ Params: { agency: string } }>(ecmsPath(opts.pathPrefix, ':agency'), {
    // SOAP, not part of the REST API's OpenAPI description (README "e-CMS gateway" describes it).
    schema: { hide: true },
    // Who is calling, before the body is read (issue 18 §1, §6).
    onRequest: async (request) => {
      const client = opts.clients.find((c) => c.agency === request.params.agency)
      const peer = peerAddress(request)
      if (!client || !client.allowFrom.check(peer.address, peer.family) || !deps.hosted.has(client.agency)) {
        log.warn({ event: 'ecms.caller.refused', agency: request.params.agency, peer: peer.address }, 'e-CMS request refused: URL or client address not configured')
        throw new EcmsError('ECMS-E010')
      }
      request.ecmsAgency = client.agency
    },
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new EcmsError('ECMS-E001')
    const receivedAt = new Date(deps.clock.now())
    let raw: string
    let envelope
    try {
      raw = decodeBody(request.body, charsetOf(request.headers['content-type']))
      envelope = parseXml(raw)
    } catch (err) {
      if (!(err instanceof XmlRefused)) throw err
      const code: EcmsErrorCode = err.reason === 'doctype' ? 'ECMS-E004' : err.reason === 'charset' ? 'ECMS-E001' : 'ECMS-E003'
      log.warn({ event: 'ecms.request.refused', agency: request.ecmsAgency, reason: err.reason }, 'e-CMS request is not acceptable XML')
      return refuse(reply, 'ErrorResponse', code, err.message)
    }
    const soap = readEnvelope(envelope)
    const row = route(soap.body)
    const root = row?.response ?? responseRootFor(soap.body.name)
    if (!row) return refuse(reply, root, 'ECMS-E020', soap.body.children[0] ? `${soap.body.name}/${soap.body.children[0].name}` : soap.body.name)
    let answer
    try {
      answer = await row.handler({ agency: request.ecmsAgency!, body: soap.body, header: soap.header, receivedAt, raw, envelope }, deps)
    } catch (err) {
      if (err instanceof EcmsError) return refuse(reply, root, err.code, err.detail)
      throw err
    }
    if ('error' in answer) return refuse(reply, root, answer.error, answer.detail)
    return send(reply, 200, answerXml(el(answer.root, undefined, answer.children), deps.clock.now(), soap.header.messageId))
  })
}
