// Issuing CRLs for throwaway and dev federations (RFC 5280 §5): a complete, direct CRL (no delta, no
// distribution-point scope) with the extensions §5.2 asks of a conforming CA: authorityKeyIdentifier
// and cRLNumber. Building only; what a CRL means is decided by crl.ts.
import type { KeyObject, X509Certificate } from 'node:crypto'
import { webcrypto } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as x509 from '@peculiar/x509'
import { issuerSigner } from './dev-issue.js'
import { OID_EXT_CRL_NUMBER, OID_EXT_CRL_REASON } from './oids.js'
import { CRL_REASONS } from './crl.js'
import type { CrlReason } from './crl.js'

export interface RevokedSerial {
  /** certificate serial number, hex (any case, leading zeros ignored) */
  serial: string
  revokedAt: Date
  reason?: CrlReason
}

export interface CrlOptions {
  entries: readonly RevokedSerial[]
  thisUpdate: Date
  nextUpdate: Date
  /** RFC 5280 §5.2.3: monotonically increasing for each CRL of this issuer */
  number: number
}

/** A DER CRL signed by `issuer` listing `entries`. */
export async function issueCrl(issuer: { key: KeyObject; cert: X509Certificate }, opts: CrlOptions): Promise<Buffer> {
  const signer = await issuerSigner(issuer.key)
  const issuerCert = new x509.X509Certificate(issuer.cert.raw)
  const ski = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension)
  const number = new asn1js.Integer({ value: opts.number }).toBER()
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuerCert.subjectName,
    thisUpdate: opts.thisUpdate,
    nextUpdate: opts.nextUpdate,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.algorithm,
    extensions: [
      ...(ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId, false)] : []),
      new x509.Extension(OID_EXT_CRL_NUMBER, false, number),
    ],
    entries: opts.entries.map((e) => ({
      serialNumber: e.serial.toLowerCase(),
      revocationDate: e.revokedAt,
      // RFC 5280 §5.3.1 prefers no reason code to 'unspecified', but @peculiar/x509 then writes an
      // empty crlEntryExtensions SEQUENCE (SIZE(1..MAX) violated; pkijs refuses it), and it drops
      // reason 0 itself: so the reason code extension is always written here.
      extensions: [new x509.Extension(OID_EXT_CRL_REASON, false, new asn1js.Enumerated({ value: CRL_REASONS[e.reason ?? 'unspecified'] }).toBER())],
    })),
  }, webcrypto)
  return Buffer.from(crl.rawData)
}
