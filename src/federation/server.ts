// The federation listener (PROTOCOL.md §3, §4): HTTPS with TLS 1.3 only, a client certificate
// requested from every peer and checked by the mtls plugin before any body is read.
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { SecureContextOptions } from 'node:tls'
import { mtlsPeer } from './mtls.js'
import { SarabanError } from '../errors.js'
import { notFoundHandler, problemHandler } from '../http/problem.js'
import { closeAfterAnswer, fastifyConnectionOptions, limitConnections, nodeServerOptions } from '../http/listener.js'
import type { ConnectionLimits, LargeBodyLimits } from '../config/types.js'
import { registerLargeBodyGate } from './large-bodies.js'
import { readExactBody } from '../http/exact-body.js'
import { isStaged, stageBody } from './staged-body.js'
import type { BodyStaging } from '../storage/staged-bodies.js'
import { receiveEnvelope, type ReceiveDeps } from '../services/receive/index.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import type { Logger } from '../log.js'
import type { Routing } from '../crypto/profiles.js'
import { parseSharedRef, SHARED_HEADERS, SharedDigests, SharedEnvelopes, SHARED_CONTENT_SUPPORT, type LentEnvelope } from './shared-ref.js'
import { registerLogRoutes } from './log-routes.js'
import { LOG_PROOF_HEADER } from './log-proof-header.js'
import type { LogProofs } from '../services/log/proofs.js'

export interface FederationServerOptions {
  readonly tls: Pick<SecureContextOptions, 'key' | 'cert' | 'ca' | 'passphrase'>
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly receive: ReceiveDeps
  readonly log: Logger
  /** Timeouts and connection limit (config federation.connections). */
  readonly connections: ConnectionLimits
  /** Large envelopes in flight per peer and overall (config federation.largeBodies; PROTOCOL.md §4.4). */
  readonly largeBodies: LargeBodyLimits
  /** The hosted agencies' transparency logs (PROTOCOL.md §20.5); absent, no /federation/v1/log routes. */
  readonly logProofs?: LogProofs
  /** Where large bodies are staged as they arrive (issue 16 item 2, federation/staged-body.ts); absent,
   *  every body is read into one buffer. */
  readonly staging?: BodyStaging
}

export const ENVELOPE_MEDIA_TYPES = ['application/jose', 'application/pkcs7-mime', 'application/cms', 'application/jose+json'] as const // §4.2 check 1, §17.7

/** Returns a server that is not listening yet, so tests can inject() or listen() as they need. */
export async function buildFederationServer(opts: FederationServerOptions): Promise<FastifyInstance<any, any, any, any>> {
  const app = Fastify({
    loggerInstance: opts.log.child({ area: 'federation' }),
    // Per-request lines off: services log events with ids and codes, never contents.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.receive.limits.maxEnvelopeBytes,
    https: {
      ...opts.tls,
      ...nodeServerOptions(opts.connections),
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: false, // refusals are answered in HTTP by the mtls plugin (§3.2)
    },
    ...fastifyConnectionOptions(opts.connections),
    return503OnClosing: true,
  })
  limitConnections(app.server, opts.connections)
  app.setErrorHandler(problemHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.removeAllContentTypeParsers()
  await app.register(mtlsPeer, { anchors: opts.anchors, directory: opts.directory, now: () => opts.receive.clock.now() })
  const gate = registerLargeBodyGate(app, opts.largeBodies)
  // Issue 16 item 2: a large body is written to a staging file as it arrives and read from it by range
  // (never held whole); a body by reference to shared content (§17.8) is small (head and tail) and is
  // put together with the held content in memory. Others are read into one buffer of the declared
  // length, not a chunk list plus its concatenation.
  const staging = opts.staging
  app.addContentTypeParser([...ENVELOPE_MEDIA_TYPES], (request, payload, done) => {
    const cl = request.headers['content-length']
    const length = cl === undefined ? undefined : Number(cl)
    const byReference = Object.values(SHARED_HEADERS).some((n) => request.headers[n] !== undefined)
    if (staging && gate.isLarge(length) && !byReference) return stageBody(staging, request, payload, done)
    // Read into one buffer, and a body by reference is put together with its content in memory: at
    // most limits.maxWholeEnvelopeBytes, refused (413) before it is read (issue 16 item 2).
    readExactBody(request, payload, done, opts.receive.limits.maxWholeEnvelopeBytes)
  })
  // Answered, refused or failed: a staged body goes (copied into chunk rows if it was accepted). The
  // route removes it when it is done; this is for an answer given before the route ran.
  app.addHook('onResponse', async (request) => { if (isStaged(request.body)) request.body.remove() })
  // PROTOCOL.md §3.2: a client that is not identified gets its refusal and nothing more: the
  // connection closes, so it cannot go on sending a body (issue 13 §2). So does any answer that
  // refused a request before reading its body (ERR_BUSY sets Connection: close itself).
  app.addHook('onSend', async (request, reply) => {
    if (!request.peer) reply.header('connection', 'close')
  })
  app.addHook('onResponse', async (request, reply) => {
    if (String(reply.getHeader('connection') ?? '').toLowerCase() === 'close') closeAfterAnswer(request.raw.socket)
  })

  const sharedContent = opts.receive.sharedContent
  // PROTOCOL.md §17.8: every answer of a node that resolves shared-content references says so.
  if (sharedContent) app.addHook('onSend', async (_request, reply) => { reply.header(SHARED_CONTENT_SUPPORT, '1') })

  const digests = new SharedDigests()
  const rebuilt = new SharedEnvelopes()
  app.post('/federation/v1/messages', async (request, reply) => {
    if (isStaged(request.body)) {
      // Issue 16 item 2: checked from its staging file and, once accepted, copied into chunk rows in
      // the transaction that commits the receipt; the file goes once that is over, whatever the outcome.
      const staged = request.body
      let answer
      try {
        answer = await receiveEnvelope(opts.receive, {
          envelope: { source: staged.source, sha256: staged.sha256 },
          contentType: String(request.headers['content-type'] ?? ''),
          peer: request.peer,
          routing: routingHeaders(request.headers),
        })
      } finally {
        staged.remove()
      }
      if (answer.logProof !== undefined) reply.header(LOG_PROOF_HEADER, answer.logProof)
      return reply.code(answer.status).type(answer.mediaType).send(answer.receipt)
    }
    if (!Buffer.isBuffer(request.body)) {
      throw new SarabanError('ERR_UNSUPPORTED_MEDIA_TYPE', `Send the envelope bytes with Content-Type ${ENVELOPE_MEDIA_TYPES[0]}.`, { field: 'Content-Type' })
    }
    let envelope: Buffer = request.body
    let envelopeSha256: string | undefined
    let lent: LentEnvelope | undefined
    const ref = parseSharedRef(request.headers, envelope.length)
    if (ref) {
      const limit = opts.receive.limits.maxEnvelopeBytes
      if (envelope.length + ref.length > limit) {
        throw new SarabanError('ERR_PAYLOAD_TOO_LARGE', `The envelope would be ${envelope.length + ref.length} bytes; this node accepts at most ${limit}.`)
      }
      // Only content held from a message of a sender this peer speaks for (§17.8): no peer learns
      // what another peer delivered here. An envelope by reference is put together in memory: past
      // limits.maxWholeEnvelopeBytes the node does not lend its content (412, the sender sends the
      // whole envelope, which is staged in a file; issue 16 item 2).
      const whole = opts.receive.limits.maxWholeEnvelopeBytes
      const shared = whole !== undefined && envelope.length + ref.length > whole ? undefined : sharedContent?.(ref.sha256, ref.length, request.peer.agencies)
      if (!shared) {
        throw new SarabanError('ERR_SHARED_CONTENT_UNKNOWN', 'This node holds no shared content with that SHA-256 and length from a sender you speak for; send the whole envelope.', { field: 'Saraban-Shared-Sha256' })
      }
      envelopeSha256 = digests.envelopeSha256(envelope, ref, shared)
      // The same bytes as withShared(), in a frame that holds the shared bytes once (shared-ref.ts);
      // lent until the receive is over: nothing of the envelope is kept past it but the stored rows
      // and views of its shared bytes, which no later part overwrites.
      lent = rebuilt.lend(envelope, ref, shared)
      envelope = lent.envelope
    }
    let answer
    try {
      answer = await receiveEnvelope(opts.receive, {
        envelope,
        ...(envelopeSha256 !== undefined ? { envelopeSha256 } : {}),
        ...(ref ? { shared: { start: ref.offset, end: ref.offset + ref.length, sha256: ref.sha256 } } : {}),
        contentType: String(request.headers['content-type'] ?? ''),
        peer: request.peer,
        routing: routingHeaders(request.headers),
      })
    } finally {
      lent?.release()
    }
    // PROTOCOL.md §20.5: the receipt's inclusion proof, when it was made with the receipt.
    if (answer.logProof !== undefined) reply.header(LOG_PROOF_HEADER, answer.logProof)
    return reply.code(answer.status).type(answer.mediaType).send(answer.receipt)
  })
  app.get('/federation/v1/health', async () => ({ status: 'ok' }))
  if (opts.logProofs) registerLogRoutes(app, opts.logProofs, (agency) => opts.receive.hosted.has(agency))
  return app
}

/** PROTOCOL.md §4.1: the three routing headers come together or not at all. */
function routingHeaders(h: Record<string, string | string[] | undefined>): Routing | undefined {
  const [messageId, from, to] = ['saraban-message-id', 'saraban-from', 'saraban-to'].map((n) => h[n])
  if (messageId === undefined && from === undefined && to === undefined) return undefined
  if (typeof messageId !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
    throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'Send all three routing headers (Saraban-Message-Id, Saraban-From, Saraban-To) once each, or none.', { field: 'Saraban-Message-Id' })
  }
  return { messageId, from, to }
}
