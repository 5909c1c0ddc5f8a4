// How CMS names a certificate (RFC 5652 §10.2.4 IssuerAndSerialNumber, §5.3 / §6.2.1
// SubjectKeyIdentifier), read from the certificate's own DER so that names compare byte for byte.
import { createHash, X509Certificate } from 'node:crypto'
import { children, content, DerError, expectTag, octetString, raw, readOid, readTlv } from './der-read.js'
import { seq } from './der-write.js'
import { OID_EXT_SUBJECT_KEY_ID } from './oids.js'

export interface CertId {
  /** DER of IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }. */
  readonly issuerAndSerial: Buffer
  /** The subjectKeyIdentifier extension's key identifier, if the certificate has one. */
  readonly ski: Buffer | undefined
}

const ids = new WeakMap<X509Certificate, CertId>()

/** RFC 5280 §4.1: Certificate → tbsCertificate → [version], serialNumber, signature, issuer, …, [3] extensions. */
export function certId(cert: X509Certificate): CertId {
  const hit = ids.get(cert)
  if (hit !== undefined) return hit
  const der = cert.raw
  const tbs = children(der, readTlv(der, 0))[0]!
  const f = children(der, tbs)
  const i = f[0]?.tag === 0xa0 ? 1 : 0 // [0] EXPLICIT version, absent for v1
  const serial = expectTag(f[i], 0x02, 'serialNumber')
  const issuer = expectTag(f[i + 2], 0x30, 'issuer')
  const id = { issuerAndSerial: seq(raw(der, issuer), raw(der, serial)), ski: skiOf(der, f.find((e) => e.tag === 0xa3)) }
  ids.set(cert, id)
  return id
}

function skiOf(der: Buffer, ext: ReturnType<typeof readTlv> | undefined): Buffer | undefined {
  if (ext === undefined) return undefined
  for (const e of children(der, children(der, ext)[0]!)) {
    const parts = children(der, e)
    if (readOid(der, parts[0]) !== OID_EXT_SUBJECT_KEY_ID) continue
    const value = content(der, parts[parts.length - 1]!) // extnValue OCTET STRING holds KeyIdentifier
    return Buffer.from(octetString(value, readTlv(value, 0)))
  }
  return undefined
}

/** The opaque EnvelopeHeader.recipientKeyId / signer id: "ias:" + SHA-256 hex of the
 *  IssuerAndSerialNumber DER, or "ski:" + hex of the key identifier. */
export function iasKeyId(issuerAndSerial: Buffer): string {
  return 'ias:' + createHash('sha256').update(issuerAndSerial).digest('hex')
}

export function skiKeyId(ski: Buffer): string {
  return 'ski:' + ski.toString('hex')
}

/** Whether a CMS identifier (IAS DER, or SKI) names `cert`. Parse failures: not a match. */
export function certMatches(cert: X509Certificate, keyId: string): boolean {
  try {
    const id = certId(cert)
    return keyId === iasKeyId(id.issuerAndSerial) || (id.ski !== undefined && keyId === skiKeyId(id.ski))
  } catch (e) {
    if (e instanceof DerError) return false
    throw e
  }
}
