// SignedData (RFC 5652 §5) for one signer, carrying its content (not detached) and its certificate
// chain: the signed letter (PROTOCOL.md §12.3) and the receipt (§12.6). Signed attributes are
// content-type, message-digest and signing-time (§5.3, §11); the signature is over their DER
// SET OF encoding (§5.4). Verification uses the certificate the SignerIdentifier names, from the
// `certificates` field; whether that chain is trusted is for pki/ to decide.
import { isKeyHandle } from '../keys/private-key.js'
import { createHash, X509Certificate } from 'node:crypto'
import type { SignerIdentity } from '../types.js'
import { certId, iasKeyId, skiKeyId } from './cert-id.js'
import {
  absentOrNull, checkBer, children, content, DerError, expectTag, octetChunks, raw, readAlgId, readOid, readSmallInt, readTime, readTlv, type Tlv,
} from './der-read.js'
import { algId, ctx, int, octets, oid, seq, setOf, signingTime, tlv } from './der-write.js'
import { keyObjectHandle, type PrivateKeyHandle } from '../keys/handle.js'
import {
  OID_ATTR_CONTENT_TYPE, OID_ATTR_MESSAGE_DIGEST, OID_ATTR_SIGNING_TIME, OID_DATA, OID_SHA256, OID_SIGNED_DATA,
} from './oids.js'
import { handleAlgorithm, signerAlgorithm, signWithHandle, verifierAlgorithm, verifyWithRow, type SigName } from './sig-algorithms.js'

export const MAX_CERTIFICATES = 8

/** sigAlg 'rsa-pss' and sid 'ski' are for tests and vectors (accepted on verify, never produced by default). */
export interface SignOptions { sigAlg?: SigName; signingTime?: Date; sid?: 'issuerAndSerialNumber' | 'ski' }

/** A signer whose key is reached through a handle (a file or a token, issue 12 §1): leaf first. */
export interface HandleSigner { handle: PrivateKeyHandle; chain: X509Certificate[] }

/** DER ContentInfo(SignedData) over `payload` with eContentType `contentType`; and the signature value. */
export function signCms(contentType: string, payload: Buffer, signer: SignerIdentity, opts: SignOptions = {}): { der: Buffer; signature: Buffer } {
  if (signerAlgorithm(signer.key, opts.sigAlg) === undefined) throw new Error('cms: the signing key is of a type or size cms-v1 does not support')
  const { der, signatures } = signCmsWith(contentType, payload, [{ handle: isKeyHandle(signer.key) ? signer.key : keyObjectHandle(signer.key), chain: signer.chain }], opts)
  return { der, signature: signatures[0]! }
}

/** SignedData with one SignerInfo per signer (RFC 5652 §5.3), each over the same content; the
 *  certificates field holds every signer's chain once, in the order given. */
export function signCmsWith(contentType: string, payload: Buffer, signers: readonly HandleSigner[], opts: SignOptions = {}): { der: Buffer; signatures: Buffer[] } {
  const infos = signers.map((s) => signerInfo(contentType, payload, s, opts))
  const certs = uniqueCerts(signers.flatMap((s) => s.chain.map((c) => c.raw)))
  return { der: signedData(contentType, payload, certs, infos.map((i) => i.der)), signatures: infos.map((i) => i.signature) }
}

/** Adds a SignerInfo by `signer` to an existing ContentInfo(SignedData) (a second officer's release,
 *  as `openssl cms -resign` does): the content, the other SignerInfos and certificates are kept. */
export function addCmsSigner(existing: Buffer, signer: HandleSigner, opts: SignOptions = {}): Buffer {
  let p: ParsedSignedData
  try {
    p = parseSignedData(existing, existing.length, 64)
  } catch (e) {
    if (e instanceof DerError) throw new CmsSignedError('malformed', `SignedData: ${e.message}`)
    throw e
  }
  const info = signerInfo(p.contentType, p.payload, signer, opts)
  const certs = uniqueCerts([...p.certificates.map((c) => c.raw), ...signer.chain.map((c) => c.raw)])
  return signedData(p.contentType, p.payload, certs, [...p.signerInfos.map((si) => si.der), info.der])
}

function uniqueCerts(ders: Buffer[]): Buffer[] {
  const seen = new Set<string>()
  return ders.filter((d) => {
    const k = d.toString('base64')
    return seen.has(k) ? false : (seen.add(k), true)
  })
}

function signerInfo(contentType: string, payload: Buffer, signer: HandleSigner, opts: SignOptions): { der: Buffer; signature: Buffer } {
  const row = handleAlgorithm(signer.handle, opts.sigAlg)
  if (row === undefined) throw new Error('cms: the signing key is of a type or size cms-v1 does not support')
  const leaf = signer.chain[0]
  if (leaf === undefined || !leaf.publicKey.equals(signer.handle.publicKey)) throw new Error('signer: the key does not match the first certificate of the chain')
  const attrs = [
    seq(oid(OID_ATTR_CONTENT_TYPE), setOf(oid(contentType))),
    seq(oid(OID_ATTR_SIGNING_TIME), setOf(signingTime(opts.signingTime ?? new Date()))),
    seq(oid(OID_ATTR_MESSAGE_DIGEST), setOf(octets(createHash('sha256').update(payload).digest()))),
  ]
  const signedAttrs = setOf(...attrs) // RFC 5652 §5.4: the signature covers the SET OF (tag 0x31) encoding
  const signature = signWithHandle(row, signedAttrs, signer.handle)
  const id = certId(leaf)
  const bySki = opts.sid === 'ski'
  if (bySki && id.ski === undefined) throw new Error('cms: the signer certificate has no subjectKeyIdentifier')
  const der = seq(
    int(bySki ? 3 : 1), // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier [0]
    bySki ? tlv(0x80, id.ski!) : id.issuerAndSerial,
    algId(OID_SHA256),
    tlv(0xa0, signedAttrs.subarray(signedAttrs.length - attrsContentLength(signedAttrs))), // [0] IMPLICIT
    row.algId,
    octets(signature),
  )
  return { der, signature }
}

function signedData(contentType: string, payload: Buffer, certs: Buffer[], infos: Buffer[]): Buffer {
  // RFC 5652 §5.1: version 3 unless eContentType is id-data and every SignerInfo is version 1.
  const v1 = contentType === OID_DATA && infos.every((i) => readSmallInt(i, children(i, readTlv(i, 0))[0]) === 1)
  const sd = seq(
    int(v1 ? 1 : 3),
    setOf(algId(OID_SHA256)),
    seq(oid(contentType), ctx(0, octets(payload))),
    tlv(0xa0, ...certs), // [0] IMPLICIT CertificateSet, leaf first
    setOf(...infos),
  )
  return seq(oid(OID_SIGNED_DATA), ctx(0, sd))
}

function attrsContentLength(set: Buffer): number {
  const t = readTlv(set, 0)
  return t.end - t.body
}

/** Why a SignedData was refused: its structure, an algorithm or content type, or the signature. */
export class CmsSignedError extends Error {
  constructor(readonly kind: 'malformed' | 'unsupported' | 'signature', message: string) {
    super(message)
  }
}

export interface VerifiedCms {
  contentType: string
  payload: Buffer
  chain: X509Certificate[] // the signer's certificate first, then the others as carried
  signature: Buffer
  signingTime: Date
}

/** One verified SignerInfo of a SignedData with several (the classified inner envelope). */
export interface VerifiedSigner {
  certificate: X509Certificate
  signature: Buffer
  signingTime: Date
  /** The SignerInfo's DER, as carried (kept when another signer is added). */
  der: Buffer
}

export interface ParsedSignedData {
  contentType: string
  payload: Buffer
  certificates: X509Certificate[]
  signerInfos: VerifiedSigner[]
  end: number
}

const X509_CACHE_MAX = 512
const certCache = new Map<string, X509Certificate>() // a node sees the same few signer chains

function certOf(der: Buffer): X509Certificate {
  const k = der.toString('base64')
  let c = certCache.get(k)
  if (c === undefined) {
    c = new X509Certificate(der)
    void c.publicKey // throws for a key OpenSSL cannot decode: refuse it here, not at verification
    if (certCache.size >= X509_CACHE_MAX) certCache.delete(certCache.keys().next().value!)
    certCache.set(k, c)
  }
  return c
}

/**
 * Parses and verifies a ContentInfo(SignedData) at the start of `buf` (its TLV must end by
 * `limit`); `end` is where it stops (the bundle's attachments follow it, PROTOCOL.md §12.3).
 */
export function verifyCms(buf: Buffer, limit = buf.length): VerifiedCms & { end: number } {
  const p = verifyCmsSigners(buf, limit, 1)
  const si = p.signerInfos[0]!
  return {
    contentType: p.contentType, payload: p.payload, signature: si.signature, signingTime: si.signingTime, end: p.end,
    chain: [si.certificate, ...p.certificates.filter((c) => c !== si.certificate)],
  }
}

/** As verifyCms, for 1 to `maxSigners` SignerInfos, every one of which must verify. */
export function verifyCmsSigners(buf: Buffer, limit: number, maxSigners: number): ParsedSignedData {
  try {
    return parseSignedData(buf, limit, maxSigners)
  } catch (e) {
    if (e instanceof DerError) throw new CmsSignedError('malformed', `SignedData: ${e.message}`)
    throw e
  }
}

const malformed = (m: string): CmsSignedError => new CmsSignedError('malformed', m)
const unsupported = (m: string): CmsSignedError => new CmsSignedError('unsupported', m)

/** The encapsulated content type and bytes of a ContentInfo(SignedData), parsed only: nothing is
 *  verified (for content already verified when it was stored, e.g. a receipt's claims, PROTOCOL.md §20.3). */
export function readSignedContent(buf: Buffer): { contentType: string; payload: Buffer } {
  try {
    const { contentType, payload } = encapsulated(buf, buf.length)
    return { contentType, payload }
  } catch (e) {
    if (e instanceof DerError) throw new CmsSignedError('malformed', `SignedData: ${e.message}`)
    throw e
  }
}

function encapsulated(buf: Buffer, limit: number): { ci: Tlv; sd: Tlv[]; contentType: string; payload: Buffer } {
  checkBer(buf, 0, limit) // PROTOCOL.md §12.7: element count and depth before parsing
  const ci = expectTag(readTlv(buf, 0, limit), 0x30, 'ContentInfo')
  const [ct, wrapped, ...extra] = children(buf, ci)
  if (readOid(buf, ct) !== OID_SIGNED_DATA) throw unsupported('the content is not SignedData')
  const inner = children(buf, expectTag(wrapped, 0xa0, 'content'))
  if (extra.length > 0 || inner.length !== 1) throw malformed('the ContentInfo must hold exactly one SignedData')
  const sd = children(buf, expectTag(inner[0], 0x30, 'SignedData'))
  const version = readSmallInt(buf, sd[0])
  if (version !== 1 && version !== 3) throw unsupported(`SignedData version ${version}`)
  const digestAlgs = children(buf, expectTag(sd[1], 0x31, 'digestAlgorithms')).map((a) => readAlgId(buf, a).oid)
  if (!digestAlgs.includes(OID_SHA256)) throw unsupported('SHA-256 is not among the digest algorithms')
  const [eType, eContent, ...eRest] = children(buf, expectTag(sd[2], 0x30, 'encapContentInfo'))
  const contentType = readOid(buf, eType)
  if (eContent === undefined || eRest.length > 0) throw malformed('the content is detached or the encapContentInfo has extra members')
  const payloadTlv = children(buf, expectTag(eContent, 0xa0, 'eContent'))
  if (payloadTlv.length !== 1) throw malformed('bad eContent')
  const chunks = octetChunks(buf, payloadTlv[0]!)
  const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  return { ci, sd, contentType, payload }
}

function parseSignedData(buf: Buffer, limit: number, maxSigners: number): ParsedSignedData {
  const { ci, sd, contentType, payload } = encapsulated(buf, limit)
  let i = 3
  let certs: Tlv[] = []
  if (sd[i]?.tag === 0xa0) certs = children(buf, sd[i++]!)
  if (sd[i]?.tag === 0xa1) i++ // crls: not used by this profile (revocation data travels apart)
  const signerInfos = children(buf, expectTag(sd[i], 0x31, 'signerInfos'))
  if (sd.length !== i + 1) throw malformed('SignedData has extra members')
  if (maxSigners === 1 && signerInfos.length !== 1) throw unsupported('exactly one SignerInfo is required')
  if (signerInfos.length === 0 || signerInfos.length > maxSigners) throw unsupported(`1 to ${maxSigners} SignerInfos are required`)
  if (certs.length === 0 || certs.length > MAX_CERTIFICATES * maxSigners) throw malformed(`certificates must hold 1 to ${MAX_CERTIFICATES * maxSigners} certificates`)
  const parsedCerts = certs.map((c) => {
    if (c.tag !== 0x30) throw malformed('certificates holds something other than an X.509 certificate')
    try {
      return certOf(raw(buf, c))
    } catch {
      throw malformed('certificates holds a value that is not an X.509 certificate')
    }
  })
  const verified = signerInfos.map((t) => verifySignerInfo(buf, t, parsedCerts, contentType, payload))
  return { contentType, payload, certificates: parsedCerts, signerInfos: verified, end: ci.next }
}

function verifySignerInfo(buf: Buffer, t: Tlv, parsedCerts: X509Certificate[], contentType: string, payload: Buffer): VerifiedSigner {
  const si = children(buf, expectTag(t, 0x30, 'SignerInfo'))
  const siVersion = readSmallInt(buf, si[0])
  const sid = si[1]!
  let keyId: string
  if (siVersion === 1 && sid.tag === 0x30) keyId = iasKeyId(raw(buf, sid))
  else if (siVersion === 3 && sid.tag === 0x80) keyId = skiKeyId(content(buf, sid))
  else throw malformed('bad SignerInfo version or sid')
  const leaf = parsedCerts.find((c) => {
    const id = certId(c)
    return keyId === iasKeyId(id.issuerAndSerial) || (id.ski !== undefined && keyId === skiKeyId(id.ski))
  })
  if (leaf === undefined) throw malformed('the signer certificate is not among the certificates')
  const digestAlg = readAlgId(buf, si[2])
  if (digestAlg.oid !== OID_SHA256 || !absentOrNull(buf, digestAlg.params)) throw unsupported('the digest algorithm is not SHA-256')
  const attrsTlv = expectTag(si[3], 0xa0, 'signedAttrs')
  if (buf[attrsTlv.start + 1] === 0x80) throw malformed('signedAttrs are not DER')
  const row = verifierAlgorithm(buf, si[4])
  if (row === undefined) throw unsupported('the signature algorithm is not allowed')
  const sigTlv = expectTag(si[5], 0x04, 'signature')
  if (si.length > 7 || (si.length === 7 && si[6]!.tag !== 0xa1)) throw malformed('SignerInfo has extra members')

  const attrs = signedAttributes(buf, attrsTlv)
  const at = attrs.get(OID_ATTR_CONTENT_TYPE), md = attrs.get(OID_ATTR_MESSAGE_DIGEST), st = attrs.get(OID_ATTR_SIGNING_TIME)
  if (at === undefined || md === undefined || st === undefined) throw malformed('signed attributes must include content-type, message-digest and signing-time')
  if (readOid(buf, at) !== contentType) throw malformed('the content-type attribute differs from the eContentType')
  const signingTime = readTime(buf, st)
  if (signingTime === undefined) throw malformed('the signing-time attribute is not a valid time')
  const signature = Buffer.from(content(buf, sigTlv))
  const toVerify = Buffer.from(raw(buf, attrsTlv))
  toVerify[0] = 0x31 // RFC 5652 §5.4: verify over the EXPLICIT SET OF tag
  const digestOk = md.tag === 0x04 && content(buf, md).equals(createHash('sha256').update(payload).digest())
  if (!digestOk || !verifyWithRow(row, toVerify, leaf.publicKey, signature)) throw new CmsSignedError('signature', 'The signature is not valid.')
  return { certificate: leaf, signature, signingTime, der: Buffer.from(raw(buf, t)) }
}

/** Each attribute once, with exactly one value (RFC 5652 §11: these three are single-valued). */
function signedAttributes(buf: Buffer, set: Tlv): Map<string, Tlv> {
  const out = new Map<string, Tlv>()
  for (const a of children(buf, set)) {
    const [type, values] = children(buf, expectTag(a, 0x30, 'Attribute'))
    const t = readOid(buf, type)
    const v = children(buf, expectTag(values, 0x31, 'AttributeValues'))
    if (out.has(t)) throw malformed('a signed attribute appears twice')
    if ([OID_ATTR_CONTENT_TYPE, OID_ATTR_MESSAGE_DIGEST, OID_ATTR_SIGNING_TIME].includes(t) && v.length !== 1) throw malformed('a signed attribute must have one value')
    out.set(t, v[0]!)
  }
  return out
}
