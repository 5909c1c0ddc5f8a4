// One X.509 CRL (RFC 5280 §5), parsed with pkijs and kept in the shape the revocation check needs:
// issuer name, number, validity window and a Map of revoked serials. PROTOCOL.md §15.1 says which
// CRLs a node accepts: complete, direct CRLs only (no delta CRLs, no partitioned or indirect ones).
import { createHash } from 'node:crypto'
import type { X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
import * as asn1js from 'asn1js'
import * as x509 from '@peculiar/x509'
import { pkijsCrypto } from './pkijs-engine.js'
import { checkBer } from '../crypto/cms/der-read.js'
import { certFacts } from './cert-facts.js'
import {
  OID_EXT_AUTHORITY_KEY_ID, OID_EXT_CRL_NUMBER, OID_EXT_CRL_REASON, OID_EXT_FRESHEST_CRL, OID_EXT_INVALIDITY_DATE,
  OID_EXT_ISSUER_ALT_NAME,
} from './oids.js'

const CRL_BYTES_PER_ELEMENT = 8

// RFC 5280 §5.3.1 CRLReason (value 7 is not used).
export const CRL_REASONS = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, privilegeWithdrawn: 9, aACompromise: 10,
} as const
export type CrlReason = keyof typeof CRL_REASONS
const REASON_NAME = new Map<number, CrlReason>(Object.entries(CRL_REASONS).map(([k, v]) => [v, k as CrlReason]))

// CRL extensions we understand; any other critical one (deltaCRLIndicator, issuingDistributionPoint…)
// makes the CRL unusable (RFC 5280 §5.2: "MUST NOT use the CRL").
const KNOWN_CRL_EXTENSIONS = new Set([OID_EXT_AUTHORITY_KEY_ID, OID_EXT_CRL_NUMBER, OID_EXT_ISSUER_ALT_NAME, OID_EXT_FRESHEST_CRL])
// Entry extensions we understand; a critical certificateIssuer (indirect CRL) is refused.
const KNOWN_ENTRY_EXTENSIONS = new Set([OID_EXT_CRL_REASON, OID_EXT_INVALIDITY_DATE])

export interface RevokedEntry {
  /** lowercase hex, no leading zero octets */
  serial: string
  revokedAt: Date
  /** RFC 5280 §5.3.2 invalidityDate: when the key is known or suspected to have become unusable */
  invalidSince?: Date
  reason: CrlReason
}

export interface Crl {
  readonly der: Buffer
  /** SHA-256 of the DER, lowercase hex */
  readonly fingerprint: string
  /** issuer Name DER, hex: matched byte for byte with the issuer field of certificates */
  readonly issuerKey: string
  readonly issuer: string
  /** authorityKeyIdentifier keyIdentifier, hex, when present */
  readonly authorityKeyId: string | undefined
  /** cRLNumber (RFC 5280 §5.2.3), when present */
  readonly number: bigint | undefined
  readonly thisUpdate: Date
  readonly nextUpdate: Date
  readonly revoked: ReadonlyMap<string, RevokedEntry>
  readonly pkijs: pkijs.CertificateRevocationList
}

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex')

/** Serial numbers compared as lowercase hex without leading zero octets. */
export function normaliseSerial(serialHex: string): string {
  return serialHex.toLowerCase().replace(/^(00)+(?=..)/, '')
}

/** Parses a DER (or PEM "X509 CRL") CRL. Throws an Error naming what is wrong or unsupported. */
export function parseCrl(input: Buffer): Crl {
  const der = fromPem(input)
  let crl: pkijs.CertificateRevocationList
  try {
    // PROTOCOL.md §12.7 (§15.1): depth and element count before asn1js builds an object per element;
    // a revoked entry takes a dozen bytes at least, so one element per 8 bytes is never reached.
    checkBer(der, 0, der.length, CRL_BYTES_PER_ELEMENT)
    crl = pkijs.CertificateRevocationList.fromBER(der)
  } catch (e) {
    throw new Error(`not a DER CRL: ${(e as Error).message}`)
  }
  if (crl.version !== 1) throw new Error('not a v2 CRL (RFC 5280 §5.1.2.1)')
  if (crl.nextUpdate === undefined) throw new Error('the CRL has no nextUpdate (RFC 5280 §5.1.2.5)')
  let number: bigint | undefined
  let authorityKeyId: string | undefined
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.extnID)) throw new Error(`unsupported critical CRL extension ${ext.extnID}`)
    if (ext.extnID === OID_EXT_CRL_NUMBER) {
      const inner = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result
      if (!(inner instanceof asn1js.Integer)) throw new Error('the cRLNumber is not an INTEGER')
      number = BigInt('0x' + (hex(inner.valueBlock.valueHexView) || '0'))
    }
    if (ext.extnID === OID_EXT_AUTHORITY_KEY_ID) {
      const aki = new x509.AuthorityKeyIdentifierExtension(new Uint8Array(ext.toSchema().toBER()))
      authorityKeyId = aki.keyId
    }
  }
  const revoked = new Map<string, RevokedEntry>()
  for (const rc of crl.revokedCertificates ?? []) {
    const entry: RevokedEntry = {
      serial: normaliseSerial(hex(rc.userCertificate.valueBlock.valueHexView)),
      revokedAt: rc.revocationDate.value,
      reason: 'unspecified',
    }
    for (const ext of rc.crlEntryExtensions?.extensions ?? []) {
      if (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(ext.extnID)) throw new Error(`unsupported critical CRL entry extension ${ext.extnID}`)
      const inner = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result
      if (ext.extnID === OID_EXT_CRL_REASON && inner instanceof asn1js.Enumerated) {
        entry.reason = REASON_NAME.get(inner.valueBlock.valueDec) ?? 'unspecified'
      }
      if (ext.extnID === OID_EXT_INVALIDITY_DATE && inner instanceof asn1js.GeneralizedTime) entry.invalidSince = inner.toDate()
    }
    revoked.set(entry.serial, entry)
  }
  return {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    issuerKey: hex(crl.issuer.valueBeforeDecode),
    issuer: crl.issuer.typesAndValues.map((tv) => String(tv.value.valueBlock.value)).join(', '),
    authorityKeyId,
    number,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate.value,
    revoked,
    pkijs: crl,
  }
}

/** The issuer Name of a certificate, hex DER, to look its CRL up by (RFC 5280 §6.3.3 (b)). */
export function certIssuerKey(cert: X509Certificate): string {
  return certFacts(cert).issuerKey // parsed once per DER (hot path: every validation)
}

/** The subject Name of a (CA) certificate, hex DER, in the same form as Crl#issuerKey. */
export function certSubjectKey(cert: X509Certificate): string {
  return certFacts(cert).subjectKey
}

/** Whether `issuer` may have signed `crl`: names chain, keyUsage allows cRLSign (RFC 5280 §6.3.3 (f)),
 *  the key identifiers agree when both are present, and the signature verifies. Returns a reason when not. */
export async function checkCrlIssuer(crl: Crl, issuer: X509Certificate): Promise<string | undefined> {
  const p = pkijs.Certificate.fromBER(issuer.raw)
  if (hex(p.subject.valueBeforeDecode) !== crl.issuerKey) return 'the CRL issuer name is not the certificate issuer'
  const c = new x509.X509Certificate(issuer.raw)
  const ku = c.getExtension(x509.KeyUsagesExtension)
  if (ku && (ku.usages & x509.KeyUsageFlags.cRLSign) === 0) return 'the CRL issuer lacks the cRLSign key usage'
  const ski = c.getExtension(x509.SubjectKeyIdentifierExtension)
  if (ski && crl.authorityKeyId !== undefined && ski.keyId !== crl.authorityKeyId) return 'the CRL authority key identifier names another key'
  try {
    if (!(await crl.pkijs.verify({ issuerCertificate: p }, pkijsCrypto()))) return 'the CRL signature does not verify'
  } catch (e) {
    return `the CRL signature cannot be checked: ${(e as Error).message}`
  }
  return undefined
}

const PEM_CRL = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/

function fromPem(input: Buffer): Buffer {
  if (input[0] === 0x30) return input
  const m = PEM_CRL.exec(input.toString('latin1'))
  if (!m) throw new Error('neither DER nor a PEM "X509 CRL" block')
  return Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')
}
