// Officers as the signed directory lists them (classified-design.md §1; PROTOCOL.md §1.4), and how a
// certificate is matched to one: only through the directory, by the certificate's exact DER (equal
// SHA-256), as for agencies. Pure: the caller has already verified the directory. The officer's
// shape is the directory's own (src/pki/directory.ts, PROTOCOL.md §1.4).
import { X509Certificate } from 'node:crypto'

import type { DirectoryOfficer } from '../pki/directory.js'

export type { DirectoryOfficer }

/** An officer named on the wire: `{ agency, officer }`. */
export interface OfficerRef { agency: string; officer: string }

export interface AgencyOfficers { agency: string; officers: readonly DirectoryOfficer[] }

const der = (b64: string): Buffer => Buffer.from(b64, 'base64')

/** The officer of the given agencies whose officer-signing certificate is exactly `cert`. */
export function officerBySigningCert(cert: X509Certificate, agencies: readonly AgencyOfficers[]): OfficerRef | undefined {
  for (const a of agencies) {
    for (const o of a.officers) {
      if ((o.certificates['officer-signing'] ?? []).some((c) => der(c).equals(cert.raw))) return { agency: a.agency, officer: o.id }
    }
  }
  return undefined
}

/** Every officer-encryption certificate of the agencies (the recipients of an inner envelope). */
export function encryptionCerts(agencies: readonly AgencyOfficers[], only?: (a: string, o: DirectoryOfficer) => boolean): X509Certificate[] {
  return agencies.flatMap((a) => a.officers
    .filter((o) => only === undefined || only(a.agency, o))
    .flatMap((o) => (o.certificates['officer-encryption'] ?? []).map((c) => new X509Certificate(der(c)))))
}

/**
 * Who an inner envelope is sealed to (PROTOCOL.md §19.2; Regulation on Maintaining Official Secrets
 * 2544: only the registrar or the named addressee opens the inner envelope). For each receiving
 * agency: the officers its addressees name, and its registrars beside them; when no addressee names
 * an officer, every classified-information officer of that agency (the registrar's office opens it).
 * TOP_SECRET goes to the named officers only. The sending agency's officers always, so that the
 * sender can read its own copy.
 */
export function sealRecipients(
  letter: { from: string; to: readonly string[]; level: string; addressees: readonly { agency: string; officer?: string | undefined }[] },
): (agency: string, o: DirectoryOfficer) => boolean {
  return (agency, o) => {
    if (agency === letter.from) return true
    if (!letter.to.includes(agency)) return false
    const named = letter.addressees.filter((a) => a.agency === agency && a.officer !== undefined).map((a) => a.officer)
    if (named.length === 0) return true
    return named.includes(o.id) || (letter.level !== 'TOP_SECRET' && o.role === 'registrar')
  }
}
