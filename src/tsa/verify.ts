// Verifying an RFC 3161 time-stamp token (§2.4.2) as evidence (PROTOCOL.md §13.3): one SignerInfo over a
// TSTInfo, signed attributes content-type + message-digest + ESS signing-certificate(-v2), the TSA
// signature, the imprint we expect, the nonce we sent, and the TSA chain valid for the 'tsa' role at
// genTime (RFC 3161 §4 — the token speaks for the time its TSA certificate was valid). Never throws.
import { createHash, verify as verifySig, X509Certificate } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import type { Check } from '../errors.js'
import type { TrustAnchors } from '../pki/validate.js'
import {
  OID_ATTR_CONTENT_TYPE, OID_ATTR_MESSAGE_DIGEST, OID_ATTR_SIGNING_CERTIFICATE, OID_ATTR_SIGNING_CERTIFICATE_V2,
  OID_CT_TST_INFO, OID_SHA256, OID_SIGNED_DATA,
} from './oids.js'
import { DIGESTS, SIGNATURES } from './algorithms.js'
import { checkSigningCertificate } from './ess.js'
import { intValue, octets, parseOne, toBuffer } from './der.js'
import { certFacts, type CertFacts } from './cert-cache.js'

export interface TokenInfo {
  readonly genTime: Date
  /** SHA-256 digest the token stamps. */
  readonly imprint: Buffer
  /** TSTInfo.serialNumber, lowercase hex. */
  readonly serial: string
  readonly policy: string
  readonly nonce?: bigint
}

export interface VerifiedToken extends TokenInfo {
  /** The validated path, TSA certificate first, trust anchor last. */
  readonly tsaChain: X509Certificate[]
}

export interface VerifyTokenOptions {
  /** The SHA-256 digest the token must stamp (PROTOCOL.md §13.2: SHA-256 of the raw signature value). */
  readonly imprint: Buffer
  readonly anchors: TrustAnchors
  /** The nonce of our request, when checking a fresh response (RFC 3161 §2.4.2). */
  readonly nonce?: asn1js.Integer | bigint
  /** Certificates to find the TSA's among when the token carries none (certReq false). */
  readonly certs?: readonly X509Certificate[]
}

class Invalid extends Error {}

interface Parsed { info: TokenInfo; sd: pkijs.SignedData; tstDer: Buffer; certs: CertFacts[] }

/** Takes SignedData.certificates [0] out of the parsed SignedData, as the exact bytes received: pkijs
 *  would re-encode them, and parses certificates slowly (cert-cache.ts does it once per certificate). */
function takeCertificates(content: asn1js.AsnType): CertFacts[] {
  const block = (content as asn1js.Sequence).valueBlock
  const fields = block?.value ?? []
  const i = fields.findIndex((f) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === 0)
  if (i < 0) return []
  const set = fields[i] as asn1js.Constructed
  block.value = fields.filter((_, j) => j !== i)
  return set.valueBlock.value.map((c) => {
    // other CertificateChoices (attribute certificates, …) have no place in a token: refuse, not skip
    if (!(c instanceof asn1js.Sequence)) throw new Invalid('the token carries something other than an X.509 certificate')
    return certFacts(c.valueBeforeDecodeView)
  })
}

function parse(token: Buffer): Parsed {
  let sd: pkijs.SignedData
  let certs: CertFacts[]
  try {
    const ci = new pkijs.ContentInfo({ schema: parseOne(token, 'time-stamp token', true) })
    if (ci.contentType !== OID_SIGNED_DATA) throw new Invalid('the token is not a CMS SignedData')
    certs = takeCertificates(ci.content)
    sd = new pkijs.SignedData({ schema: ci.content })
    // RFC 5652 §5.1: version 3 for an eContentType other than id-data; digestAlgorithms lists the signer's.
    if (sd.version !== 3) throw new Invalid(`SignedData version ${sd.version} is not 3`)
  } catch (err) {
    throw err instanceof Invalid ? err : new Invalid(`the token is not a CMS SignedData: ${(err as Error).message}`)
  }
  if (sd.encapContentInfo.eContentType !== OID_CT_TST_INFO || !sd.encapContentInfo.eContent) throw new Invalid('the token does not carry a TSTInfo')
  const tstDer = octets(sd.encapContentInfo.eContent)
  let tst: pkijs.TSTInfo
  try {
    tst = new pkijs.TSTInfo({ schema: parseOne(tstDer, 'TSTInfo', true) })
  } catch (err) {
    throw new Invalid(`the TSTInfo is malformed: ${(err as Error).message}`)
  }
  if (tst.version !== 1) throw new Invalid(`TSTInfo version ${tst.version} is not 1`)
  if (tst.messageImprint.hashAlgorithm.algorithmId !== OID_SHA256) throw new Invalid('the token does not stamp a SHA-256 imprint')
  if (Number.isNaN(tst.genTime.getTime())) throw new Invalid('the token has no valid genTime')
  return {
    sd,
    tstDer,
    certs,
    info: {
      genTime: tst.genTime,
      imprint: octets(tst.messageImprint.hashedMessage),
      serial: toBuffer(tst.serialNumber.valueBlock.valueHexView).toString('hex'),
      policy: tst.policy,
      ...(tst.nonce ? { nonce: intValue(tst.nonce) } : {}),
    },
  }
}

/** Reads a token without checking anything but its structure (for listings; evidence must verify). */
export function readTimeStampToken(token: Buffer): TokenInfo {
  return parse(token).info
}

function signerCertOf(si: pkijs.SignerInfo, certs: readonly CertFacts[]): CertFacts | undefined {
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    // byte for byte (pkijs's isEqual compares names loosely)
    const issuer = Buffer.from(si.sid.issuer.toSchema().toBER())
    const serial = toBuffer(si.sid.serialNumber.valueBlock.valueHexView).toString('hex')
    return certs.find((c) => c.issuerDer.equals(issuer) && c.serialHex === serial)
  }
  // [0] SubjectKeyIdentifier (RFC 5652 §5.3)
  const ski = toBuffer((si.sid as asn1js.Primitive).valueBlock.valueHexView).toString('hex')
  return certs.find((c) => c.skiHex === ski)
}

function checkSignerInfo(sd: pkijs.SignedData, tstDer: Buffer, certs: readonly CertFacts[]): X509Certificate {
  // RFC 3161 §2.4.2: no signature other than the TSA's.
  if (sd.signerInfos.length !== 1) throw new Invalid(`the token has ${sd.signerInfos.length} signatures, not exactly one`)
  const si = sd.signerInfos[0]!
  if (si.version !== (si.sid instanceof pkijs.IssuerAndSerialNumber ? 1 : 3)) throw new Invalid(`SignerInfo version ${si.version} does not fit its sid`)
  const algs = sd.digestAlgorithms.map((a) => a.algorithmId)
  if (algs.length !== 1 || algs[0] !== si.digestAlgorithm.algorithmId) throw new Invalid("digestAlgorithms is not exactly the signer's digest algorithm")
  const leaf = signerCertOf(si, certs)?.cert
  if (!leaf) throw new Invalid("the token does not carry its TSA's certificate")
  const attrs = si.signedAttrs?.attributes
  if (!attrs || !si.signedAttrs) throw new Invalid('the token has no signed attributes')
  const attr = (type: string) => {
    const found = attrs.filter((a) => a.type === type)
    if (found.length > 1 || (found[0] && found[0].values.length !== 1)) throw new Invalid(`the signed attribute ${type} is repeated`)
    return found[0]?.values[0]
  }
  const ct = attr(OID_ATTR_CONTENT_TYPE)
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== OID_CT_TST_INFO) throw new Invalid('the content-type attribute is not id-ct-TSTInfo')
  const digest = DIGESTS[si.digestAlgorithm.algorithmId]
  if (!digest) throw new Invalid(`the digest algorithm ${si.digestAlgorithm.algorithmId} is not supported`)
  const md = attr(OID_ATTR_MESSAGE_DIGEST)
  if (!(md instanceof asn1js.OctetString) || !octets(md).equals(createHash(digest.name).update(tstDer).digest())) {
    throw new Invalid('the message-digest attribute does not match the TSTInfo')
  }
  const v2 = attr(OID_ATTR_SIGNING_CERTIFICATE_V2)
  const v1 = attr(OID_ATTR_SIGNING_CERTIFICATE)
  if (!v2 && !v1) throw new Invalid('the token has no ESS signing-certificate attribute')
  const essProblem = checkSigningCertificate((v2 ?? v1)!, v2 !== undefined, leaf)
  if (essProblem) throw new Invalid(essProblem)

  const sig = SIGNATURES[si.signatureAlgorithm.algorithmId]
  if (!sig) throw new Invalid(`the signature algorithm ${si.signatureAlgorithm.algorithmId} is not supported`)
  if (leaf.publicKey.asymmetricKeyType !== sig.key) throw new Invalid("the TSA's key does not fit the signature algorithm")
  const signed = Buffer.from(si.signedAttrs.encodedValue) // the attributes as received, tagged SET (RFC 5652 §5.4)
  const ok = verifySig(sig.hash ?? digest.name, signed, { key: leaf.publicKey, dsaEncoding: 'der' }, octets(si.signature))
  if (!ok) throw new Invalid('the TSA signature does not verify')
  return leaf
}

export async function verifyTimeStampToken(token: Buffer, opts: VerifyTokenOptions): Promise<Check<VerifiedToken>> {
  const invalid = (reason: string) => ({ ok: false as const, code: 'ERR_TIMESTAMP_INVALID' as const, reason })
  let parsed: Parsed
  let leaf: X509Certificate
  let carried: X509Certificate[]
  try {
    parsed = parse(token)
    if (!parsed.info.imprint.equals(opts.imprint)) return invalid('the token stamps another datum than the one expected')
    if (opts.nonce !== undefined) {
      const want = typeof opts.nonce === 'bigint' ? opts.nonce : intValue(opts.nonce)
      if (parsed.info.nonce !== want) return invalid('the token does not answer our nonce')
    }
    carried = parsed.certs.map((f) => f.cert)
    leaf = checkSignerInfo(parsed.sd, parsed.tstDer, [...parsed.certs, ...(opts.certs ?? []).map((c) => certFacts(c))])
  } catch (err) {
    return invalid(err instanceof Invalid ? err.message : `the token cannot be processed: ${(err as Error).message}`)
  }
  const rest = [...carried, ...(opts.certs ?? [])].filter((c) => c !== leaf && !c.raw.equals(leaf.raw))
  const path = await opts.anchors.validate([leaf, ...rest], { at: parsed.info.genTime, role: 'tsa', code: 'ERR_TSA_UNTRUSTED' })
  if (!path.ok) return { ok: false, code: 'ERR_TSA_UNTRUSTED', reason: `the TSA certificate is not valid for the tsa role at genTime ${parsed.info.genTime.toISOString()}: ${path.reason}` }
  // A carried certificate off the path would be bytes nothing checks: refuse them.
  const onPath = new Set(path.value.path.map((c) => c.fingerprint256))
  if (carried.some((c) => !onPath.has(c.fingerprint256))) return invalid('the token carries a certificate that is not on its validated path')
  return { ok: true, value: { ...parsed.info, tsaChain: path.value.path } }
}
