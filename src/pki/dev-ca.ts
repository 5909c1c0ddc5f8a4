// Throwaway and dev federations (tests, `saraban-node dev-certs`): a root CA, one issuing CA, per agency
// a TLS, a signing and an encryption certificate, a directory signer, the signed directory, and the
// CRLs of both CAs (PROTOCOL.md §15.1).
// Certificate profiles: dev-issue.ts. Never for production: the keys live in memory and on disk in clear.
import type { KeyObject, X509Certificate } from 'node:crypto'
import { toBase64Der } from './cert.js'
import { signDirectory } from './directory.js'
import type { DirectoryAgency, DirectoryDocument, DirectoryOfficer } from './directory.js'
import { createRootCa, issueCertificate } from './dev-issue.js'
import type { Issued, KeyAlg } from './dev-issue.js'
import { issueCrl } from './dev-crl.js'
import type { CrlReason } from './crl.js'

export { issueCertificate, createRootCa } from './dev-issue.js'
export type { Issued, IssueOptions, KeyAlg, SubjectSpec } from './dev-issue.js'

export interface AgencySpec {
  id: string; nameTh: string; nameEn: string; keyType: 'rsa' | 'ec'; federationUrl: string
  ecms?: { ministry: string; department: string }
  /** envelope profiles the agency accepts, most preferred first (directory `profiles`); default ['jose-v1'] */
  profiles?: string[]
  /** classified-information officers (PROTOCOL.md §19.1), each with a personal signing and encryption certificate */
  officers?: OfficerSpec[]
}

export interface OfficerSpec { id: string; role: 'registrar' | 'deputy'; nameTh: string; nameEn?: string; positionTh: string; positionEn?: string; keyType: 'rsa' | 'ec' }
export interface OfficerMaterial { spec: OfficerSpec; signing: Issued; encryption: Issued }

export interface AgencyMaterial { spec: AgencySpec; tls: Issued; signing: Issued; encryption: Issued; officers: Record<string, OfficerMaterial> }

export interface FederationMaterial {
  root: { key: KeyObject; cert: X509Certificate; certPem: string; keyPem: string; chain: X509Certificate[] }
  /** the issuing CA under the root; every other certificate is issued by it */
  intermediate: Issued
  agencies: Record<string, AgencyMaterial>
  directoryIssuer: Issued
  directory: DirectoryDocument
  directoryJws: string
  /** DER CRLs, none revoked yet: the root's (covers the issuing CA) and the issuing CA's (covers the rest) */
  crls: FederationCrls
}

export interface FederationCrls { root: Buffer; intermediate: Buffer }

export interface Revocation { cert: X509Certificate; revokedAt?: Date; reason?: CrlReason }

export interface FederationOptions {
  agencies: AgencySpec[]
  /** validity of every certificate; default 365 */
  validityDays?: number
  /** directory nextUpdate = now + this; default validityDays */
  directoryValidityDays?: number
  now?: Date
  rootCommonName?: string
  /** default 'ec-p384' (fast, for tests); dev certs use 'rsa-4096' like the Thai National Root CA */
  rootKeyType?: KeyAlg
  /** default 'rsa-2048', so paths mix ECDSA and RSA signatures */
  intermediateKeyType?: KeyAlg
  /** CRL nextUpdate = now + this; default validityDays */
  crlValidityDays?: number
}

const DAY = 86_400_000
const OPERATOR = 'Saraban Federation Operator (DEV)'

export async function createFederation(opts: FederationOptions): Promise<FederationMaterial> {
  const now = opts.now ?? new Date()
  const notBefore = new Date(now.getTime() - 3600_000) // tolerate an hour of clock skew
  const notAfter = new Date(now.getTime() + (opts.validityDays ?? 365) * DAY)
  const validity = { notBefore, notAfter }

  const root = await createRootCa({
    subject: { commonName: opts.rootCommonName ?? 'Saraban Federation DEV Root CA', organization: OPERATOR },
    keyType: opts.rootKeyType ?? 'ec-p384', ...validity,
  })
  const intermediate = await issueCertificate(root, {
    role: 'ca', keyType: opts.intermediateKeyType ?? 'rsa-2048', pathLength: 0, ...validity,
    subject: { commonName: 'Saraban Federation DEV Issuing CA 1', organization: OPERATOR },
  })

  const [directoryIssuer, ...perAgency] = await Promise.all([
    issueCertificate(intermediate, {
      role: 'directory', keyType: 'ec', ...validity,
      subject: { commonName: 'Saraban Federation Directory (DEV)', organization: OPERATOR },
    }),
    ...opts.agencies.map(async (spec): Promise<AgencyMaterial> => {
      const subject = { commonName: spec.nameEn, organization: spec.nameTh, agencyId: spec.id }
      const issue = (role: 'tls' | 'signing' | 'encryption') =>
        issueCertificate(intermediate, { role, keyType: spec.keyType, subject, ...validity })
      const [tls, signing, encryption] = await Promise.all([issue('tls'), issue('signing'), issue('encryption')])
      const officers: Record<string, OfficerMaterial> = {}
      for (const o of spec.officers ?? []) officers[o.id] = await issueOfficer(intermediate, spec, o, validity)
      return { spec, tls, signing, encryption, officers }
    }),
  ])
  const agencies: Record<string, AgencyMaterial> = {}
  for (const a of perAgency) agencies[a.spec.id] = a

  const directory: DirectoryDocument = {
    version: 1,
    serial: 1,
    issuedAt: now.toISOString(),
    nextUpdate: new Date(now.getTime() + (opts.directoryValidityDays ?? opts.validityDays ?? 365) * DAY).toISOString(),
    agencies: perAgency.map(directoryEntry),
    intermediates: [toBase64Der(intermediate.cert)],
  }
  const directoryJws = await signDirectory(directory, directoryIssuer!)
  const crls = await federationCrls({ root, intermediate }, { now, validityDays: opts.crlValidityDays ?? opts.validityDays ?? 365 })
  return { root, intermediate, agencies, directoryIssuer: directoryIssuer!, directory, directoryJws, crls }
}

/** Both CAs' CRLs, listing `revoked` (each under the CA that issued it). `number` must grow with
 *  each call for the same federation (RFC 5280 §5.2.3); nodes refuse an older CRL (§15.1). */
export async function federationCrls(
  cas: { root: Pick<Issued, 'key' | 'cert'>; intermediate: Pick<Issued, 'key' | 'cert'> },
  opts: { revoked?: readonly Revocation[]; number?: number; now?: Date; validityDays?: number } = {},
): Promise<FederationCrls> {
  const now = opts.now ?? new Date()
  const thisUpdate = new Date(now.getTime() - 60_000)
  const nextUpdate = new Date(now.getTime() + (opts.validityDays ?? 7) * DAY)
  const under = (ca: Pick<Issued, 'cert'>) => (opts.revoked ?? [])
    .filter((r) => r.cert.checkIssued(ca.cert))
    .map((r) => ({ serial: r.cert.serialNumber, revokedAt: r.revokedAt ?? now, ...(r.reason ? { reason: r.reason } : {}) }))
  const common = { thisUpdate, nextUpdate, number: opts.number ?? 1 }
  const [root, intermediate] = await Promise.all([
    issueCrl(cas.root, { ...common, entries: under(cas.root) }),
    issueCrl(cas.intermediate, { ...common, entries: under(cas.intermediate) }),
  ])
  return { root, intermediate }
}

/** An officer's personal certificates (PROTOCOL.md §1.2 officer-signing, officer-encryption). */
export async function issueOfficer(ca: Issued, agency: Pick<AgencySpec, 'id' | 'nameTh'>, o: OfficerSpec, validity: { notBefore: Date; notAfter: Date }): Promise<OfficerMaterial> {
  const subject = { commonName: o.nameEn ?? o.nameTh, organization: agency.nameTh, agencyId: agency.id }
  const [signing, encryption] = await Promise.all([
    issueCertificate(ca, { role: 'officer-signing', keyType: o.keyType, subject, ...validity }),
    issueCertificate(ca, { role: 'officer-encryption', keyType: o.keyType, subject, ...validity }),
  ])
  return { spec: o, signing, encryption }
}

/** The directory's `officers` member of an agency (PROTOCOL.md §1.4). */
export function officerEntry(o: OfficerMaterial): DirectoryOfficer {
  const { keyType: _k, ...spec } = o.spec
  return { ...spec, certificates: { 'officer-signing': [toBase64Der(o.signing.cert)], 'officer-encryption': [toBase64Der(o.encryption.cert)] } }
}

export function directoryEntry(a: AgencyMaterial): DirectoryAgency {
  return {
    id: a.spec.id,
    nameTh: a.spec.nameTh,
    nameEn: a.spec.nameEn,
    ...(a.spec.ecms ? { ecms: a.spec.ecms } : {}),
    endpoints: [a.spec.federationUrl],
    certificates: {
      tls: [toBase64Der(a.tls.cert)],
      signing: [toBase64Der(a.signing.cert)],
      encryption: [toBase64Der(a.encryption.cert)],
    },
    profiles: a.spec.profiles ?? ['jose-v1'],
    status: 'active',
    ...(Object.keys(a.officers).length > 0 ? { officers: Object.values(a.officers).map(officerEntry) } : {}),
  }
}
