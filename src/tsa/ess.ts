// ESS signing-certificate attributes (RFC 2634 §5.4 v1 with SHA-1; RFC 5035 §3 v2): they bind the TSA's
// certificate into the signed attributes, so that a token cannot be re-attributed to another certificate
// with the same key (RFC 3161 §2.4.1, RFC 5816). We write v2 with SHA-256; we read both.
import { createHash, type X509Certificate } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { DIGESTS, ESS_V1_DIGEST } from './algorithms.js'
import { OID_SHA256 } from './oids.js'
import { octets, toBuffer } from './der.js'
import { certFacts } from './cert-cache.js'

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }, with one
 *  ESSCertIDv2 { certHash SHA-256 (hashAlgorithm DEFAULT id-sha256, so omitted), issuerSerial }. */
export function signingCertificateV2(cert: X509Certificate): asn1js.Sequence {
  const pk = certFacts(cert).pkijs
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: pk.issuer })] }),
    serialNumber: pk.serialNumber,
  })
  const essCertId = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: createHash('sha256').update(cert.raw).digest() }), issuerSerial.toSchema()],
  })
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] })
}

/** Checks that the first ESSCertID(v2) of the attribute value names `cert` (RFC 5035 §4: the first one is
 *  the signer's). Returns a reason, or undefined when it matches. */
export function checkSigningCertificate(value: asn1js.AsnType, v2: boolean, cert: X509Certificate): string | undefined {
  const certs = (value as asn1js.Sequence).valueBlock?.value?.[0] as asn1js.Sequence | undefined
  const first = certs?.valueBlock?.value?.[0] as asn1js.Sequence | undefined
  const parts = first?.valueBlock?.value ?? []
  if (!(certs instanceof asn1js.Sequence) || !(first instanceof asn1js.Sequence)) return 'the signing-certificate attribute is malformed'
  let i = 0
  let hashName: string = ESS_V1_DIGEST.name
  if (v2) {
    hashName = DIGESTS[OID_SHA256]!.name
    if (parts[0] instanceof asn1js.Sequence) {
      const alg = new pkijs.AlgorithmIdentifier({ schema: parts[0] }).algorithmId
      const d = DIGESTS[alg]
      if (!d) return `the signing-certificate-v2 hash algorithm ${alg} is not supported`
      hashName = d.name
      i = 1
    }
  }
  const hash = parts[i]
  if (!(hash instanceof asn1js.OctetString)) return 'the signing-certificate attribute has no certificate hash'
  if (!octets(hash).equals(createHash(hashName).update(cert.raw).digest())) return "the signing-certificate attribute names another certificate than the token's signer"
  const issuerSerial = parts[i + 1]
  if (issuerSerial !== undefined) {
    let is: pkijs.IssuerSerial
    try {
      is = new pkijs.IssuerSerial({ schema: issuerSerial })
    } catch {
      return 'the signing-certificate issuerSerial is malformed'
    }
    const pk = certFacts(cert).pkijs
    const sameSerial = toBuffer(is.serialNumber.valueBlock.valueHexView).equals(toBuffer(pk.serialNumber.valueBlock.valueHexView))
    const name = is.issuer.names.find((n) => n.type === 4)?.value as pkijs.RelativeDistinguishedNames | undefined
    if (!sameSerial || !name || !name.isEqual(pk.issuer)) return "the signing-certificate issuerSerial does not match the token's signer"
  }
  return undefined
}
