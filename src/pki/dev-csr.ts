// Certificate signing requests (RFC 2986) for onboarding: `saraban-node init` makes them, the dev CA
// (`saraban-node ca issue`) certifies them. The CA decides the subject's agency id and the role
// profile; from the request it takes only the key, the common and organization names and, for TLS,
// the subjectAltName it asks for. Building only: validate.ts decides trust.
import { createPublicKey, webcrypto } from 'node:crypto'
import type { KeyObject, X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import type { CertRole } from './cert.js'
import { keyKind } from './keys.js'
import { ROLE_RULES } from './roles.js'
import { certifyKey } from './dev-issue.js'
import type { Issued, KeyAlg, SubjectSpec } from './dev-issue.js'
import { AGENCY_ID_PREFIX, OID_EXT_SUBJECT_ALT_NAME, OID_AT_COMMON_NAME, OID_AT_COUNTRY, OID_AT_ORGANIZATION, OID_AT_ORGANIZATION_IDENTIFIER } from './oids.js'

const crypto = webcrypto

export type AgencyRole = Extract<CertRole, 'tls' | 'signing' | 'encryption'>
export const AGENCY_ROLES: readonly AgencyRole[] = ['tls', 'signing', 'encryption']
/** A classified-information officer's personal certificates (PROTOCOL.md §1.2, §19.1). */
export type OfficerRole = Extract<CertRole, 'officer-signing' | 'officer-encryption'>
export const OFFICER_ROLES: readonly OfficerRole[] = ['officer-signing', 'officer-encryption']

/** A PEM CSR for `key`, signed with it (proof of possession; an EC key-agreement key signs with ECDSA). */
export async function createCsr(key: KeyObject, subject: SubjectSpec, opts: { san?: { dns?: string[]; ip?: string[] } } = {}): Promise<string> {
  const kind = keyKind(key)
  const alg = kind === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: kind === 'ec-p256' ? 'P-256' : 'P-384', hash: kind === 'ec-p256' ? 'SHA-256' : 'SHA-384' }
  const privateKey = await crypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign'])
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  const publicKey = await crypto.subtle.importKey('spki', spki, alg, true, ['verify'])
  const names: x509.JsonNameParams = [{ [OID_AT_COUNTRY]: [{ printableString: subject.country ?? 'TH' }] }]
  if (subject.organization !== undefined) names.push({ [OID_AT_ORGANIZATION]: [{ utf8String: subject.organization }] })
  if (subject.agencyId !== undefined) names.push({ [OID_AT_ORGANIZATION_IDENTIFIER]: [{ utf8String: AGENCY_ID_PREFIX + subject.agencyId }] })
  names.push({ [OID_AT_COMMON_NAME]: [{ utf8String: subject.commonName }] })
  const san = opts.san ? [new x509.SubjectAlternativeNameExtension([
    ...(opts.san.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.san.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ])] : []
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(names), keys: { privateKey, publicKey }, signingAlgorithm: alg, extensions: san,
  }, crypto)
  return csr.toString('pem') + '\n'
}

export interface CsrIssueOptions {
  role: AgencyRole | OfficerRole
  agency: string
  notBefore: Date
  notAfter: Date
}

/** Certifies a PEM or DER CSR under `issuer` for `opts.role` of agency `opts.agency`. Throws an Error
 *  naming the problem when the request is not acceptable. */
export async function certifyCsr(issuer: Pick<Issued, 'key' | 'cert'>, csrInput: Buffer | string, opts: CsrIssueOptions): Promise<X509Certificate> {
  let csr: x509.Pkcs10CertificateRequest
  try {
    csr = new x509.Pkcs10CertificateRequest(typeof csrInput === 'string' ? csrInput : csrInput.toString('latin1').includes('-----BEGIN') ? csrInput.toString('latin1') : new Uint8Array(csrInput))
  } catch (e) {
    throw new Error(`not a PKCS#10 certificate request: ${(e as Error).message}`)
  }
  if (!(await csr.verify(crypto))) throw new Error('the request is not signed by its own key (no proof of possession)')
  const nodeKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' })
  const kind = keyKind(nodeKey) // refuses short RSA keys and other curves
  if (!ROLE_RULES[opts.role].keys.includes(kind)) throw new Error(`a ${kind} key cannot be certified for the ${opts.role} role`)
  const alg: KeyAlg = kind === 'rsa' ? 'rsa-2048' : kind
  const cn = csr.subjectName.getField(OID_AT_COMMON_NAME)[0]
  if (cn === undefined) throw new Error('the request has no commonName')
  const org = csr.subjectName.getField(OID_AT_ORGANIZATION)[0]
  const sanExt = csr.getExtension(OID_EXT_SUBJECT_ALT_NAME)
  const asked = sanExt ? new x509.SubjectAlternativeNameExtension(sanExt.rawData) : undefined
  const san = opts.role === 'tls' && asked ? {
    dns: asked.names.items.filter((n) => n.type === 'dns').map((n) => n.value),
    ip: asked.names.items.filter((n) => n.type === 'ip').map((n) => n.value),
  } : undefined
  return certifyKey(issuer, csr.publicKey, alg, {
    role: opts.role, keyType: alg, notBefore: opts.notBefore, notAfter: opts.notAfter,
    subject: { commonName: cn, ...(org !== undefined ? { organization: org } : {}), agencyId: opts.agency },
    ...(san ? { san } : {}),
  })
}
