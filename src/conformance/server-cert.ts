// The target's TLS server certificate, checked as a sending node must check it (PROTOCOL.md §3.1,
// §16.2 client side): the kit connects without trusting anything, takes the chain the target
// presents, and runs the checks below in order. The other cases talk to the target over a client that
// only checks the chain and the host name, so that one wrong certificate fails this case and not all.
import { connect, checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { fingerprint } from '../pki/cert.js'
import type { Session } from './session.js'

export interface ServerHello {
  readonly protocol: string | null
  readonly chain: X509Certificate[]
  /** the leaf as node:tls reports it, for the host-name check */
  readonly peer: PeerCertificate
}

/** One TLS handshake with the target (the kit's client certificate, TLS 1.2 or 1.3 offered): what it presented. */
export function serverHello(k: Session, timeoutMs = 15_000): Promise<ServerHello> {
  const url = new URL(k.origin)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return new Promise((resolve, reject) => {
    const socket = connect({
      host, port: Number(url.port || 443), ...(isIP(host) ? {} : { servername: host }),
      key: k.me.tls.keyPem, cert: k.me.tls.chainPem, rejectUnauthorized: false, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'],
    })
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake with ${k.origin} within ${timeoutMs} ms`)))
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      const chain: X509Certificate[] = []
      const seen = new Set<string>()
      let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
      const peer = c
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256)
        chain.push(new X509Certificate(c.raw))
        c = c.issuerCertificate
      }
      const protocol = socket.getProtocol()
      socket.end()
      resolve({ protocol, chain, peer })
    })
  })
}

export interface ServerCertCheck {
  readonly rule: string
  /** undefined when it holds, else what is wrong */
  check(k: Session, h: ServerHello): Promise<string | undefined> | string | undefined
}

/** The target's endpoint origins in the directory: its own, or its hosting node's (§1.4, §16.1). */
function listedOrigins(k: Session): string[] {
  const a = k.creds.directory.agency(k.target)
  const node = k.creds.directory.nodeOf(k.target)
  return [...(a?.endpoints ?? []), ...(node?.endpoints ?? [])].map((e) => new URL(e).origin)
}

// PROTOCOL.md §3.1, in its order.
export const SERVER_CERT_CHECKS: readonly ServerCertCheck[] = [
  { rule: 'TLS 1.3 (§3.1)', check: (_k, h) => (h.protocol === 'TLSv1.3' ? undefined : `the target negotiated ${h.protocol ?? 'no protocol'} although the kit offered TLS 1.3`) },
  { rule: 'the chain validates to a federation root for the tls role (§1.2, §3.1)',
    check: async (k, h) => {
      if (h.chain.length === 0) return 'the target presented no certificate'
      const r = await k.creds.anchors.validate(h.chain, { at: new Date(), role: 'tls' })
      return r.ok ? undefined : `the server certificate does not validate: ${r.reason}`
    } },
  { rule: 'the certificate names the endpoint\'s host (RFC 9110 §4.3.4)',
    check: (k, h) => checkServerIdentity(new URL(k.origin).hostname.replace(/^\[|\]$/g, ''), h.peer)?.message },
  { rule: 'the directory lists the target (or its hosting node) with an endpoint at this origin (§1.4, §16.1)',
    check: (k) => (listedOrigins(k).includes(k.origin) ? undefined : `the directory lists "${k.target}" at ${listedOrigins(k).join(', ') || 'no endpoint'}, not at ${k.origin}`) },
  { rule: 'the certificate is a tls certificate the directory lists for an agency or node at this origin (directory pinning, §3.1, §16.2)',
    check: (k, h) => {
      const fp = fingerprint(h.chain[0]!)
      if (k.creds.directory.tlsFingerprintsAt(k.origin).has(fp)) return undefined
      const owner = k.creds.directory.tlsIdentity(fp)
      return owner ? `the server certificate is listed for ${owner.kind} "${owner.id}", which has no endpoint at ${k.origin}` : `the server certificate (${fp}) is not in the directory`
    } },
]
