// Outbound federation client (PROTOCOL.md §3.1). One TLS secure context for this node's identity,
// built once; one keep-alive connection pool per peer origin, so a busy peer costs one handshake
// per connection rather than per letter. The server certificate must chain to the federation root
// (Node's TLS), match the URL's host, and be a TLS certificate the directory lists for an agency or
// a hosting node served at that origin (pinning through the signed directory, PROTOCOL.md §16.2).
import { LOG_PROOF_HEADER } from './log-proof-header.js'
import { createSecureContext, checkServerIdentity, type PeerCertificate, type SecureContext } from 'node:tls'
import { Pool } from 'undici'
import type { Directory } from '../pki/directory.js'
import type { Routing } from '../crypto/profiles.js'
import { sharedRefHeaders, SHARED_CONTENT_SUPPORT, type SharedRef } from './shared-ref.js'

export interface PeerClientOptions {
  readonly tls: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer | Array<string | Buffer>; passphrase?: string }
  readonly directory: () => Directory
  readonly connectionsPerPeer: number
  readonly requestTimeoutMs: number
  readonly maxReceiptBytes?: number
}

export interface PeerResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Buffer
  /** The peer resolves shared-content references (its answer carried Saraban-Shared-Content, PROTOCOL.md §17.8). */
  readonly sharesContent: boolean
  /** The Retry-After header of a 429 or 503 answer (RFC 9110 §10.2.3), as sent. */
  readonly retryAfter?: string
  /** The Saraban-Log-Proof header of a receipt (PROTOCOL.md §20.5), as sent. */
  readonly logProof?: string
}

/** A piece of a request body read chunk by chunk as it is written (a stored envelope over 1 MiB,
 *  issue 16 item 2), so that a delivery does not hold the whole envelope. */
export interface ChunkedPiece {
  readonly length: number
  chunks(): Iterable<Buffer>
}

function* bodyOf(pieces: ReadonlyArray<Buffer | ChunkedPiece>): Iterable<Buffer> {
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) yield p
    else yield* p.chunks()
  }
}

/** The RFC 9457 problem a peer answered with, if its answer is one (PROTOCOL.md §9). */
export function problemOf(res: PeerResponse): { code?: string; detail?: string; title?: string } | undefined {
  if (!res.contentType.startsWith('application/problem+json')) return undefined
  try {
    const p: unknown = JSON.parse(res.body.toString('utf8'))
    return typeof p === 'object' && p !== null ? (p as { code?: string; detail?: string; title?: string }) : undefined
  } catch {
    return undefined
  }
}

export class PeerClient {
  readonly #ctx: SecureContext
  readonly #pools = new Map<string, Pool>()
  readonly #opts: PeerClientOptions

  constructor(opts: PeerClientOptions) {
    this.#opts = opts
    this.#ctx = createSecureContext({ ...opts.tls, minVersion: 'TLSv1.3' })
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin)
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.#opts.connectionsPerPeer,
        keepAliveTimeout: 60_000,
        headersTimeout: this.#opts.requestTimeoutMs,
        bodyTimeout: this.#opts.requestTimeoutMs,
        connect: {
          secureContext: this.#ctx,
          rejectUnauthorized: true,
          checkServerIdentity: (host: string, cert: PeerCertificate) => {
            const hostErr = checkServerIdentity(host, cert)
            if (hostErr) return hostErr
            const fp = cert.fingerprint256.replaceAll(':', '').toLowerCase()
            if (!this.#opts.directory().tlsFingerprintsAt(origin).has(fp)) {
              return new Error(`the TLS certificate of ${origin} is not listed in the federation directory for that endpoint`)
            }
            return undefined
          },
        } as never,
      })
      this.#pools.set(origin, pool)
    }
    return pool
  }

  /** POST the envelope bytes; resolves with the peer's answer, rejects on transport failure.
   *  `routing` becomes the Saraban-Message-Id, -From and -To request headers (PROTOCOL.md §4.1).
   *  An envelope given as pieces (a circular's head ‖ shared ‖ tail, PROTOCOL.md §17) is written
   *  piece by piece with its Content-Length: the shared bytes are never copied per recipient.
   *  With `ref`, the pieces are the envelope without the shared bytes, which the peer already holds
   *  (PROTOCOL.md §17.8). */
  async post(endpoint: string, path: string, mediaType: string, envelope: Buffer | ReadonlyArray<Buffer | ChunkedPiece>, routing?: Routing, ref?: SharedRef): Promise<PeerResponse> {
    const url = new URL(path, endpoint.endsWith('/') ? endpoint : endpoint + '/')
    const pieces = Buffer.isBuffer(envelope) ? [envelope] : envelope.filter((b) => b.length > 0)
    const length = pieces.reduce((n, b) => n + b.length, 0)
    const res = await this.#pool(url.origin).request({
      method: 'POST',
      path: url.pathname,
      headers: {
        'content-type': mediaType,
        'content-length': String(length),
        accept: `${mediaType}, application/problem+json`,
        ...(routing ? { 'saraban-message-id': routing.messageId, 'saraban-from': routing.from, 'saraban-to': routing.to } : {}),
        ...(ref ? sharedRefHeaders(ref) : {}),
      },
      // one piece: undici writes the Buffer as is; several: an iterable (undici accepts one at run
      // time, its types do not say so), written in order under the Content-Length above
      // (a chunked piece is read as it is written: issue 16 item 2)
      body: pieces.length === 1 && Buffer.isBuffer(pieces[0]) ? pieces[0] : (bodyOf(pieces) as unknown as Uint8Array),
    })
    const body = await readBounded(res.body, this.#opts.maxReceiptBytes ?? 1024 * 1024)
    const retryAfter = res.headers['retry-after']
    const logProof = res.headers[LOG_PROOF_HEADER]
    return {
      status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body,
      sharesContent: res.headers[SHARED_CONTENT_SUPPORT] === '1',
      ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      ...(typeof logProof === 'string' ? { logProof } : {}),
    }
  }

  /** GET a JSON resource of a peer (its log checkpoint and proofs, PROTOCOL.md §20.5) over the same
   *  mutual TLS and pinning as a delivery; the answer is bounded like a receipt. */
  async get(endpoint: string, path: string, accept = 'application/json'): Promise<PeerResponse> {
    const url = new URL(path, endpoint.endsWith('/') ? endpoint : endpoint + '/')
    const res = await this.#pool(url.origin).request({ method: 'GET', path: url.pathname + url.search, headers: { accept: `${accept}, application/problem+json` } })
    const body = await readBounded(res.body, this.#opts.maxReceiptBytes ?? 1024 * 1024)
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body, sharesContent: false }
  }

  /** The probe of a peer whose circuit is open (PROTOCOL.md §7.2, §4.3): GET /federation/v1/health
   *  over the same mutual TLS and pinning as a delivery. Resolves with the HTTP status and any
   *  Retry-After; rejects on transport failure. */
  async probe(endpoint: string, path: string): Promise<{ status: number; retryAfter?: string }> {
    const url = new URL(path, endpoint.endsWith('/') ? endpoint : endpoint + '/')
    const res = await this.#pool(url.origin).request({ method: 'GET', path: url.pathname, headers: { accept: 'application/json' } })
    await res.body.dump({ limit: 64 * 1024 })
    const retryAfter = res.headers['retry-after']
    return { status: res.statusCode, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()))
    this.#pools.clear()
  }
}

async function readBounded(body: AsyncIterable<unknown> & { destroy(): unknown }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) {
      body.destroy()
      throw new Error(`the peer's answer exceeds ${limit} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
