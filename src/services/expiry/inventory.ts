// The certificates this node uses (issue 17 item 4): its TLS certificate, every hosted agency's
// signing and encryption certificates, the directory signer, and (from the paths these validate to)
// the CA chain. Each is judged where it is used: the signing certificate chosen now (PROTOCOL.md §16.4),
// the encryption certificates the directory lists, the TLS certificate of both listener and client.
import type { X509Certificate } from 'node:crypto'
import { certFromBase64Der, fingerprint, notAfter } from '../../pki/cert.js'
import type { Directory } from '../../pki/directory.js'
import type { HostedAgencies } from '../hosting/agencies.js'

export type OwnRole = 'tls' | 'signing' | 'encryption' | 'directory' | 'ca'

export interface OwnCertificate {
  readonly role: OwnRole
  /** The hosted agency whose certificate it is; absent: the node's own (TLS, directory signer, CA). */
  readonly agency?: string | undefined
  /** Leaf first (for path validation). */
  readonly chain: readonly X509Certificate[]
  /** Used now (signs, is listed, serves TLS); a key held beside its successor is not. */
  readonly inUse: boolean
}

export interface InventoryDeps {
  readonly tlsChain: () => readonly X509Certificate[]
  readonly hosted: HostedAgencies
  readonly directory: () => Directory
  /** The directory as signed (compact JWS): its x5c names the signer (PROTOCOL.md §14). */
  readonly directoryJws: () => string
}

/** The leaf certificates the node holds, each once, with what it is used for. */
export function ownCertificates(d: InventoryDeps): OwnCertificate[] {
  const out: OwnCertificate[] = []
  const tls = d.tlsChain()
  if (tls.length > 0) out.push({ role: 'tls', chain: tls, inUse: true })
  const dir = d.directory()
  for (const id of d.hosted.ids()) {
    const a = d.hosted.get(id)
    if (!a) continue
    const current = fingerprint(a.signer.chain[0]!)
    for (const k of a.signing) out.push({ role: 'signing', agency: id, chain: k.chain, inUse: fingerprint(k.chain[0]!) === current })
    // Senders seal to the newest listed encryption certificate (PROTOCOL.md §1.4): that one is in use.
    const listed = a.decryption.filter((k) => dir.isEncryptionCertOf(id, fingerprint(k.cert)))
    const newest = listed.reduce<X509Certificate | undefined>((best, k) => (best === undefined || notAfter(k.cert) > notAfter(best) ? k.cert : best), undefined)
    for (const k of a.decryption) out.push({ role: 'encryption', agency: id, chain: [k.cert], inUse: newest === undefined ? true : k.cert === newest })
  }
  const signer = directorySigner(d.directoryJws())
  if (signer.length > 0) out.push({ role: 'directory', chain: signer, inUse: true })
  return out
}

/** The x5c chain of a compact JWS's protected header (RFC 7515 §4.1.6); [] when it has none. */
export function directorySigner(jws: string): X509Certificate[] {
  try {
    const header = JSON.parse(Buffer.from(jws.slice(0, jws.indexOf('.')), 'base64url').toString('utf8')) as { x5c?: unknown }
    return Array.isArray(header.x5c) ? header.x5c.map((c) => certFromBase64Der(String(c))) : []
  } catch {
    return []
  }
}
