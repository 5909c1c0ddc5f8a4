// Revocation status from the CRLs an evidence bundle carries (PROTOCOL.md §8.6 step 6, RFC 5280
// §6.3): for each certificate of a validated path but the anchor, a CRL from its issuer whose
// signature verifies with the issuer's key and that was in force at the proven time T
// (thisUpdate ≤ T ≤ nextUpdate); the certificate must not be on it with a revocationDate ≤ T.
import type { X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
import { pkijsCrypto } from '../pki/pkijs-engine.js'

export interface ParsedCrl {
  readonly crl: pkijs.CertificateRevocationList
  readonly thisUpdate: Date
  readonly nextUpdate?: Date
}

/** Parses DER; throws on anything else. */
export function parseCrl(der: Buffer): ParsedCrl {
  const crl = pkijs.CertificateRevocationList.fromBER(der)
  return { crl, thisUpdate: crl.thisUpdate.value, ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.value } : {}) }
}

export interface RevocationResult {
  /** false only when a certificate of the path was revoked at or before T */
  readonly ok: boolean
  readonly detail: string
  /** certificates for which no usable CRL was in the bundle */
  readonly unchecked: readonly string[]
}

const subjectOf = (c: X509Certificate) => c.subject.replaceAll('\n', ', ')

/** `path`: leaf..anchor, as TrustAnchors#validate returned it. */
export async function revocationAt(path: readonly X509Certificate[], crls: readonly ParsedCrl[], at: Date): Promise<RevocationResult> {
  const notes: string[] = []
  const unchecked: string[] = []
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = pkijs.Certificate.fromBER(path[i]!.raw)
    const issuer = pkijs.Certificate.fromBER(path[i + 1]!.raw)
    let inForce: ParsedCrl | undefined
    for (const c of crls) {
      if (!c.crl.issuer.isEqual(cert.issuer)) continue
      if (c.thisUpdate > at || (c.nextUpdate !== undefined && c.nextUpdate < at)) continue
      let signed = false
      try {
        signed = await c.crl.verify({ issuerCertificate: issuer }, pkijsCrypto())
      } catch {
        signed = false
      }
      if (!signed) continue
      if (inForce === undefined || c.thisUpdate > inForce.thisUpdate) inForce = c
    }
    if (inForce === undefined) {
      unchecked.push(subjectOf(path[i]!))
      continue
    }
    const entry = inForce.crl.revokedCertificates?.find((r) => r.userCertificate.isEqual(cert.serialNumber))
    const crlName = `CRL of ${thisUpdateOf(inForce)}`
    if (entry !== undefined && entry.revocationDate.value <= at) {
      return { ok: false, detail: `${subjectOf(path[i]!)} was revoked on ${entry.revocationDate.value.toISOString()}, at or before ${at.toISOString()} (${crlName})`, unchecked }
    }
    notes.push(entry === undefined ? `not revoked (${crlName})` : `revoked only later, on ${entry.revocationDate.value.toISOString()} (${crlName})`)
  }
  const detail = notes.length > 0 ? notes.join('; ') : 'no CRL in force at that time for any certificate of the path'
  return { ok: true, detail, unchecked }
}

function thisUpdateOf(c: ParsedCrl): string {
  return c.thisUpdate.toISOString()
}

/** Verifies a CRL's signature against any CA certificate of the given paths (to report a forged CRL). */
export async function crlSignedByAny(c: ParsedCrl, cas: readonly X509Certificate[]): Promise<boolean> {
  for (const ca of cas) {
    const issuer = pkijs.Certificate.fromBER(ca.raw)
    if (!c.crl.issuer.isEqual(issuer.subject)) continue
    try {
      if (await c.crl.verify({ issuerCertificate: issuer }, pkijsCrypto())) return true
    } catch {
      // try the next one
    }
  }
  return false
}
