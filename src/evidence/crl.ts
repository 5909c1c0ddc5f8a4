// Revocation status from the CRLs an evidence bundle carries (PROTOCOL.md §8.6 step 6, RFC 5280
// §6.3), with the node's own CRL parsing and issuer checks (src/pki/crl.ts): for each certificate of
// a validated path but the anchor, the CRL from its issuer that was in force at the proven time T
// (thisUpdate ≤ T ≤ nextUpdate; the latest such), whose issuer checks pass; the certificate must not
// be on it with a revocationDate (or invalidityDate) at or before T.
import type { X509Certificate } from 'node:crypto'
import { certIssuerKey, checkCrlIssuer, normaliseSerial, parseCrl as parsePkiCrl, type Crl } from '../pki/crl.js'

export type ParsedCrl = Crl

/** Parses a DER CRL as the node does (v2, nextUpdate, no unknown critical extension); throws otherwise. */
export function parseCrl(der: Buffer): ParsedCrl {
  if (der[0] !== 0x30) throw new Error('not a DER CRL')
  return parsePkiCrl(der)
}

export interface RevocationResult {
  /** false only when a certificate of the path was revoked at or before T */
  readonly ok: boolean
  readonly detail: string
  /** certificates for which no usable CRL was in the bundle */
  readonly unchecked: readonly string[]
}

const subjectOf = (c: X509Certificate) => c.subject.replaceAll('\n', ', ')

// A bundle asks the same (CRL, issuer) question for every signature: answered once per parsed CRL.
const issuedBy = new WeakMap<ParsedCrl, Map<string, Promise<boolean>>>()
function isIssuer(c: ParsedCrl, issuer: X509Certificate): Promise<boolean> {
  let m = issuedBy.get(c)
  if (m === undefined) issuedBy.set(c, m = new Map())
  let r = m.get(issuer.fingerprint256)
  if (r === undefined) m.set(issuer.fingerprint256, r = checkCrlIssuer(c, issuer).then((reason) => reason === undefined))
  return r
}

/** `path`: leaf..anchor, as TrustAnchors#validate returned it. */
export async function revocationAt(path: readonly X509Certificate[], crls: readonly ParsedCrl[], at: Date): Promise<RevocationResult> {
  const notes: string[] = []
  const unchecked: string[] = []
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i]!
    let inForce: ParsedCrl | undefined
    for (const c of crls) {
      if (c.issuerKey !== certIssuerKey(cert) || c.thisUpdate > at || c.nextUpdate < at) continue
      if (inForce !== undefined && c.thisUpdate <= inForce.thisUpdate) continue
      if (await isIssuer(c, path[i + 1]!)) inForce = c
    }
    if (inForce === undefined) {
      unchecked.push(subjectOf(cert))
      continue
    }
    const crlName = `CRL of ${inForce.thisUpdate.toISOString()}`
    const entry = inForce.revoked.get(normaliseSerial(cert.serialNumber))
    const since = entry && [entry.revokedAt, entry.invalidSince].filter((d): d is Date => d !== undefined && d <= at)[0]
    if (since !== undefined) {
      return { ok: false, detail: `${subjectOf(cert)} was revoked (${entry!.reason}) as of ${since.toISOString()}, at or before ${at.toISOString()} (${crlName})`, unchecked }
    }
    notes.push(entry === undefined ? `not revoked (${crlName})` : `revoked only later, on ${entry.revokedAt.toISOString()} (${crlName})`)
  }
  const detail = notes.length > 0 ? notes.join('; ') : 'no CRL in force at that time for any certificate of the path'
  return { ok: true, detail, unchecked }
}

/** Whether any of `cas` issued `c` (name, cRLSign, key identifier, signature): a CRL no checked CA
 *  signed is reported, not silently ignored. */
export async function crlSignedByAny(c: ParsedCrl, cas: readonly X509Certificate[]): Promise<boolean> {
  for (const ca of cas) if (await isIssuer(c, ca)) return true
  return false
}
