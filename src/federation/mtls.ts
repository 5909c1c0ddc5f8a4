// Mutual TLS peer identification (PROTOCOL.md §3.2). Node's TLS does the handshake with
// `requestCert: true`; this plugin turns the result into either `request.peer` or a coded refusal.
// The handshake is not aborted for a missing or untrusted certificate (`rejectUnauthorized: false`)
// so that the peer gets a problem+json naming the reason instead of a bare TLS alert; no request
// body is read before the peer is identified, because this runs in `onRequest`.
import type { TLSSocket } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../errors.js'
import { fingerprint } from '../pki/cert.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import type { TlsIdentity } from '../pki/directory-index.js'

/** The identified TLS client: an agency's own certificate, or a hosting node's that speaks for the
 *  agencies the directory lists under it (PROTOCOL.md §3.2, §16.2). */
export interface Peer extends TlsIdentity {
  readonly fingerprint: string
}

declare module 'fastify' {
  interface FastifyRequest {
    peer: Peer
  }
}

export interface MtlsOptions {
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly now: () => number
}

/** The client's chain as X509Certificates, leaf first, as the peer sent it. */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = []
  let c = socket.getPeerCertificate(true)
  const seen = new Set<string>()
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256)
    chain.push(new X509Certificate(c.raw))
    c = c.issuerCertificate
  }
  return chain
}

// What the handshake said is read once per TLS connection; the certificate is judged again at every
// request (issue 13 §1): a CRL or directory that arrives while a keep-alive connection stays open
// applies to its next request. TrustAnchors caches the path per chain and the revocation check is a
// lookup in the CRLs held, so the repeat costs little.
const handshakes = new WeakMap<TLSSocket, X509Certificate[] | SarabanError>()

function handshake(socket: TLSSocket): X509Certificate[] | SarabanError {
  let h = handshakes.get(socket)
  if (h === undefined) {
    const chain = peerChain(socket)
    // OpenSSL's own verdict (socket.authorized) is not the decision: it knows only the roots, so it
    // refuses a chain the sender sent without its intermediates, which x5c and SignedData accept
    // (PROTOCOL.md §1.2 "Chains": one rule for all three), and its verify error names are OpenSSL's,
    // not ours to echo to a peer. The handshake proved the client holds the leaf's key; identify()
    // validates the path with the federation's anchors and the directory's intermediates.
    h = chain.length === 0
      ? new SarabanError('ERR_TLS_CLIENT_CERT_REQUIRED', 'Present a TLS client certificate issued under the federation root.')
      : chain
    handshakes.set(socket, h)
  }
  return h
}

async function identify(socket: TLSSocket, opts: MtlsOptions): Promise<{ fingerprint: string } | SarabanError> {
  const chain = handshake(socket)
  if (chain instanceof SarabanError) return chain
  const check = await opts.anchors.validate(chain, { at: new Date(opts.now()), role: 'tls' })
  return check.ok
    ? { fingerprint: fingerprint(chain[0]!) }
    : new SarabanError(check.code, `The TLS client certificate is not valid for TLS: ${check.reason}`)
}

export const mtlsPeer = fp(
  async function mtlsPeer(app: FastifyInstance, opts: MtlsOptions) {
    app.decorateRequest('peer', null as unknown as Peer)
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const id = await identify(request.raw.socket as TLSSocket, opts)
      if (id instanceof SarabanError) throw id
      const who = opts.directory().tlsIdentity(id.fingerprint)
      if (!who) {
        throw new SarabanError('ERR_PEER_NOT_IN_DIRECTORY', 'The TLS client certificate is not listed for any agency or hosting node in the federation directory.')
      }
      request.peer = { kind: who.kind, id: who.id, fingerprint: id.fingerprint, agencies: who.agencies }
    })
  },
  { name: 'saraban-mtls-peer', fastify: '5.x' },
)
