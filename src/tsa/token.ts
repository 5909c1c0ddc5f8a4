// Issuing an RFC 3161 time-stamp token (§2.4.2): ContentInfo(SignedData) over a DER TSTInfo, signed with
// signed attributes content-type, message-digest and signing-certificate-v2 (RFC 5816 §2.2.1), by the
// TSA key with node:crypto. Only the TSA (server.ts) calls this.
import { createHash, sign, type KeyObject, type X509Certificate } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import {
  OID_ATTR_CONTENT_TYPE, OID_ATTR_MESSAGE_DIGEST, OID_ATTR_SIGNING_CERTIFICATE_V2, OID_CT_TST_INFO, OID_SHA256,
  OID_SHA256_WITH_RSA, OID_SIGNED_DATA,
} from './oids.js'
import { signatureOidFor } from './algorithms.js'
import { signingCertificateV2 } from './ess.js'
import { toBuffer } from './der.js'
import { certFacts } from './cert-cache.js'

export interface TsaSigner {
  readonly key: KeyObject
  /** The TSA certificate first, then its intermediates (no root). */
  readonly chain: readonly X509Certificate[]
}

export interface TokenInput {
  readonly imprint: Buffer
  readonly policy: string
  readonly serial: asn1js.Integer
  readonly genTime: Date
  readonly nonce?: asn1js.Integer | undefined
  /** RFC 3161 §2.4.1 certReq: put the TSA's chain in SignedData.certificates. */
  readonly includeCerts: boolean
  /** TSTInfo.accuracy in seconds (default 1). */
  readonly accuracySeconds?: number
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest()

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] })
}

/** Returns the DER of the token (the TimeStampToken ContentInfo). */
export function issueToken(input: TokenInput, signer: TsaSigner): Buffer {
  const leaf = signer.chain[0]
  if (!leaf) throw new Error('the TSA signer has no certificate')
  const tst = new pkijs.TSTInfo({
    version: 1,
    policy: input.policy,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: input.imprint }),
    }),
    serialNumber: input.serial,
    genTime: input.genTime,
    accuracy: new pkijs.Accuracy({ seconds: input.accuracySeconds ?? 1 }),
    ...(input.nonce ? { nonce: input.nonce } : {}),
  })
  const tstDer = toBuffer(tst.toSchema().toBER())

  // RFC 5652 §5.4: the signature covers the DER of the signed attributes as a SET OF, sorted (X.690 §11.6).
  const attrs = [
    attribute(OID_ATTR_CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: OID_CT_TST_INFO })),
    attribute(OID_ATTR_MESSAGE_DIGEST, new asn1js.OctetString({ valueHex: sha256(tstDer) })),
    attribute(OID_ATTR_SIGNING_CERTIFICATE_V2, signingCertificateV2(leaf)),
  ]
    .map((a) => ({ a, der: toBuffer(a.toSchema().toBER()) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((x) => x.a)
  const signedAttrsDer = toBuffer(new asn1js.Set({ value: attrs.map((a) => a.toSchema()) }).toBER())
  const sigOid = signatureOidFor(signer.key.asymmetricKeyType)
  const signature = sign('sha256', signedAttrsDer, signer.key) // ECDSA: DER Ecdsa-Sig-Value (RFC 5753 §7.2)

  const pkLeaf = certFacts(leaf).pkijs
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: pkLeaf.issuer, serialNumber: pkLeaf.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
    // RFC 4055 §5: sha256WithRSAEncryption has NULL parameters; RFC 5758 §3.2: ECDSA has none.
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: sigOid,
      ...(sigOid === OID_SHA256_WITH_RSA ? { algorithmParams: new asn1js.Null() } : {}),
    }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  })
  const eci = new pkijs.EncapsulatedContentInfo({ eContentType: OID_CT_TST_INFO })
  // Set after construction: pkijs's constructor would re-chunk it as a constructed (BER) OCTET STRING.
  eci.eContent = new asn1js.OctetString({ valueHex: tstDer })
  const sd = new pkijs.SignedData({
    version: 3,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 })],
    encapContentInfo: eci,
    signerInfos: [signerInfo],
    ...(input.includeCerts ? { certificates: signer.chain.map((c) => certFacts(c).pkijs) } : {}),
  })
  const ci = new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: sd.toSchema(true) })
  return toBuffer(ci.toSchema().toBER())
}
