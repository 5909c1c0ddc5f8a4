// What the federation listener tells an observer (issue 17 item 1, GET /metrics): each refusal by its
// error code (PROTOCOL.md §9), and TLS handshakes that failed or brought no trusted client certificate
// (PROTOCOL.md §3.2). Added to a built, not yet listening server; the server itself does not change.
import type { FastifyInstance } from 'fastify'
import type { TLSSocket } from 'node:tls'

export interface FederationObserver {
  refused(code: string): void
  tlsFailed(reason: string): void
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/** An error code as a label value: the code when it looks like one, else 'other' (a bounded set). */
function label(code: unknown): string {
  return typeof code === 'string' && CODE.test(code) ? code : 'other'
}

export function observeFederation(app: FastifyInstance<any, any, any, any>, o: FederationObserver): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode >= 400 && String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')) {
      let code: unknown
      try {
        code = (JSON.parse(typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '{}') as { code?: unknown }).code
      } catch {
        code = undefined
      }
      o.refused(label(code))
    }
    return payload
  })
  app.server.on('tlsClientError', (err: NodeJS.ErrnoException) => o.tlsFailed(label(err.code)))
  // rejectUnauthorized is off (the mtls plugin answers in HTTP), so an untrusted client certificate
  // completes the handshake: it is counted here, as the handshake's failure it is.
  app.server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized) o.tlsFailed(label((socket.authorizationError as NodeJS.ErrnoException | null)?.code ?? socket.authorizationError))
  })
}
