// The certificates the console's dashboard lists with their days to expiry (issue 17 item 2,
// "certificates expiring"): the node's TLS certificate and, per agency the caller acts for, its
// signing and encryption certificates. Soonest first.
import { X509Certificate } from 'node:crypto'
import type { HostedAgencies } from '../hosting/agencies.js'

export interface CertificateExpiry {
  readonly role: 'tls' | 'signing' | 'encryption'
  /** Absent for the node's TLS certificate. */
  readonly agency?: string
  readonly subject: string
  readonly notAfter: number
  readonly daysLeft: number
}

const DAY = 86_400_000

export function certificateExpiries(deps: { hosted: HostedAgencies; tlsCert?: Buffer | string | undefined }, agencies: readonly string[], now: number): CertificateExpiry[] {
  const out: CertificateExpiry[] = []
  const add = (role: CertificateExpiry['role'], cert: X509Certificate, agency?: string) => {
    const notAfter = Date.parse(cert.validTo)
    out.push({ role, ...(agency ? { agency } : {}), subject: cert.subject.replace(/\n/g, ', '), notAfter, daysLeft: Math.floor((notAfter - now) / DAY) })
  }
  if (deps.tlsCert) {
    try { add('tls', new X509Certificate(deps.tlsCert)) } catch { /* not PEM: the node would not have started */ }
  }
  for (const id of agencies) {
    const a = deps.hosted.get(id)
    if (!a) continue
    for (const s of a.signing) if (s.chain[0]) add('signing', s.chain[0], id)
    for (const d of a.decryption) add('encryption', d.cert, id)
  }
  return out.sort((x, y) => x.notAfter - y.notAfter)
}
