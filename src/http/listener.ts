// What both listeners share about connections (issue 13 §2): header, request and idle timeouts, a
// connection limit, and problem+json for what Node and the framework answer themselves.
import type { Server } from 'node:net'
import type { ServerOptions } from 'node:http'
import type { ConnectionLimits } from '../config/types.js'
import { clientErrorHandler, frameworkErrors } from './problem.js'

/** Options for `Fastify({...})`: Fastify sets requestTimeout, keepAliveTimeout and the idle timeout itself. */
export function fastifyConnectionOptions(l: ConnectionLimits) {
  return {
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionTimeout: l.idleTimeoutMs, // socket idle timeout: the socket is destroyed, body or not
    frameworkErrors,
    clientErrorHandler,
  }
}

/** Options for Node's `createServer` (under Fastify's `http` or `https`). */
export function nodeServerOptions(l: ConnectionLimits): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    // Node checks header and request timeouts on this period (30 s by default): a quarter of the
    // shorter one keeps the cut close to the configured time.
    connectionsCheckingInterval: Math.max(25, Math.min(5_000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4))),
  }
}

/** Applies what only the built server takes: the connection limit (more are closed as they arrive). */
export function limitConnections(server: Server, l: ConnectionLimits): void {
  server.maxConnections = l.maxConnections
}

// After a refusal of a request whose body was not read, the connection ends: FIN after the answer,
// then destroyed, so that a client cannot keep sending (Node would otherwise read and discard the
// rest of the body to reuse the connection). The grace lets the answer reach the client before the
// reset its unread bytes would cause.
const CLOSE_GRACE_MS = 1_000

/** Ends `socket` once the answer is written, and destroys it after a short grace. */
export function closeAfterAnswer(socket: import('node:net').Socket): void {
  if (socket.destroyed) return
  socket.end()
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
}
