// The certificates a node uses, by role, for saraban_certificate_expiry_seconds (issue 17 item 1):
// its TLS identity, each hosted agency's signing and encryption certificates, the directory signer's,
// and the CA certificates (the configured anchors and the intermediates of those chains).
import { X509Certificate } from 'node:crypto'
import { parsePemChain } from '../../pki/cert.js'

export type CertificateRole = 'tls' | 'signing' | 'encryption' | 'directory-signer' | 'ca'

export interface CertificateInUse {
  readonly role: CertificateRole
  /** The hosted agency for signing and encryption; '' for the node's own (tls, directory-signer, ca). */
  readonly agency: string
  /** ms since the epoch */
  readonly notAfter: number
}

export interface CertificateSources {
  /** The TLS chain as loaded (PEM, leaf first). */
  readonly tlsChainPem: string | Buffer
  readonly anchors: readonly X509Certificate[]
  readonly agencies: () => ReadonlyArray<{ readonly id: string; readonly signing: ReadonlyArray<{ readonly chain: readonly X509Certificate[] }>; readonly decryption: ReadonlyArray<{ readonly cert: X509Certificate }> }>
  /** The held directory as a compact JWS: its x5c names the signer (PROTOCOL.md §14). */
  readonly directoryJws: () => string
}

const notAfter = (c: X509Certificate) => Date.parse(c.validTo)

export function certificatesInUse(s: CertificateSources): CertificateInUse[] {
  const out: CertificateInUse[] = []
  const ca = new Map<string, X509Certificate>()
  const add = (role: CertificateRole, agency: string, c: X509Certificate) => out.push({ role, agency, notAfter: notAfter(c) })
  const chain = (role: CertificateRole, agency: string, certs: readonly X509Certificate[]) => {
    if (certs[0]) add(role, agency, certs[0])
    for (const c of certs.slice(1)) ca.set(c.fingerprint256, c)
  }
  chain('tls', '', parsePemChain(String(s.tlsChainPem)))
  for (const a of s.agencies()) {
    for (const k of a.signing) chain('signing', a.id, k.chain)
    for (const k of a.decryption) add('encryption', a.id, k.cert)
  }
  chain('directory-signer', '', directorySigner(s.directoryJws()))
  for (const c of s.anchors) ca.set(c.fingerprint256, c)
  for (const c of ca.values()) add('ca', '', c)
  return out
}

/** The x5c chain of a compact JWS's protected header (RFC 7515 §4.1.6). */
function directorySigner(jws: string): X509Certificate[] {
  const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { x5c?: unknown }
  return Array.isArray(header.x5c) ? header.x5c.filter((x): x is string => typeof x === 'string').map((b64) => new X509Certificate(Buffer.from(b64, 'base64'))) : []
}
