// KeyAgreeRecipientInfo (RFC 5652 §6.2.2) for EC P-256 recipients, as RFC 5753 §3.1 (ephemeral-
// static ECDH): originatorKey = the ephemeral public key, keyEncryptionAlgorithm =
// dhSinglePass-stdDH-sha256kdf-scheme with id-aes256-wrap, KEK = ANSI X9.63 KDF (SHA-256) over Z and
// ECC-CMS-SharedInfo (RFC 5753 §7.2), the CEK wrapped with AES Key Wrap (RFC 3394). PROTOCOL.md §12.4.
import { createCipheriv, createDecipheriv, createHash, type X509Certificate } from 'node:crypto'
import { agreeEphemeral } from '../ephemeral-ec.js'
import { keyKindOf } from '../jose/key-kinds.js'
import { ecdhSecretWithPoint, type PrivateKeyRef } from '../keys/private-key.js'
import { certId, iasKeyId, skiKeyId } from './cert-id.js'
import { absentOrNull, children, content, DerError, expectTag, octetString, raw, readAlgId, readOid, readSmallInt, type Tlv } from './der-read.js'
import { algId, bitString, ctx, int, octets, seq, tlv } from './der-write.js'
import { OID_AES256_WRAP, OID_DH_SINGLE_PASS_STD_DH_SHA256_KDF, OID_EC_PUBLIC_KEY, OID_P256 } from './oids.js'
import type { ParsedRecipient } from './recipient-info.js'

const AESKW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex') // RFC 3394 §2.2.3.1
const WRAP_ALG = algId(OID_AES256_WRAP) // RFC 3565 §2.3.2: parameters absent
const KEA_ALG = algId(OID_DH_SINGLE_PASS_STD_DH_SHA256_KDF, WRAP_ALG)
const KEK_BITS = Buffer.from([0, 0, 1, 0]) // suppPubInfo: 256, 32-bit big-endian
const WRAPPED_CEK_BYTES = 40

export const fitsKari = (key: PrivateKeyRef): boolean => keyKindOf(key) === 'ec-p256'

/** RFC 5753 §7.2: ECC-CMS-SharedInfo { keyInfo, entityUInfo [0] OPTIONAL, suppPubInfo [2] }; ANSI X9.63 KDF, one round. */
function kek(z: Buffer, ukm: Buffer | undefined): Buffer {
  const sharedInfo = seq(WRAP_ALG, ...(ukm === undefined ? [] : [ctx(0, octets(ukm))]), ctx(2, octets(KEK_BITS)))
  return createHash('sha256').update(z).update(Buffer.from([0, 0, 0, 1])).update(sharedInfo).digest()
}

export function encodeKari(cek: Buffer, recipient: X509Certificate): Buffer {
  // Not generateKeyPairSync + export: that pair deadlocks Node 20 now and then (crypto/ephemeral-ec.ts).
  const eph = agreeEphemeral('P-256', recipient.publicKey)
  const c = createCipheriv('id-aes256-wrap', kek(eph.z, undefined), AESKW_IV)
  const wrapped = Buffer.concat([c.update(cek), c.final()])
  return tlv(0xa1, // RecipientInfo kari [1] IMPLICIT
    int(3),
    ctx(0, ctx(1, algId(OID_EC_PUBLIC_KEY), bitString(Buffer.concat([Buffer.from([4]), eph.x, eph.y])))), // originator [0] { originatorKey [1] }
    KEA_ALG,
    seq(seq(certId(recipient).issuerAndSerial, octets(wrapped))),
  )
}

export function parseKari(buf: Buffer, t: Tlv): ParsedRecipient | 'unsupported' {
  const f = children(buf, t)
  if (readSmallInt(buf, f[0]) !== 3) throw new DerError('KeyAgreeRecipientInfo version must be 3')
  const orig = children(buf, expectTag(f[1], 0xa0, 'originator'))[0]
  if (orig?.tag !== 0xa1) return 'unsupported' // RFC 5753 §3.1.1: ephemeral-static needs originatorKey
  const [oAlg, oKey] = children(buf, orig)
  const oa = readAlgId(buf, oAlg)
  if (oa.oid !== OID_EC_PUBLIC_KEY) return 'unsupported'
  if (!absentOrNull(buf, oa.params) && !(oa.params?.tag === 0x06 && readOid(buf, oa.params) === OID_P256)) return 'unsupported'
  const bits = content(buf, expectTag(oKey, 0x03, 'originatorKey publicKey'))
  if (bits.length !== 66 || bits[0] !== 0 || bits[1] !== 4) return 'unsupported' // an uncompressed P-256 point
  let i = 2
  let ukm: Buffer | undefined
  if (f[i]?.tag === 0xa1) ukm = octetString(buf, children(buf, f[i++]!)[0])
  const kea = readAlgId(buf, f[i++])
  if (kea.oid !== OID_DH_SINGLE_PASS_STD_DH_SHA256_KDF || kea.params === undefined) return 'unsupported'
  const wrap = readAlgId(buf, kea.params)
  if (wrap.oid !== OID_AES256_WRAP || !absentOrNull(buf, wrap.params)) return 'unsupported'
  const reks = children(buf, expectTag(f[i++], 0x30, 'recipientEncryptedKeys'))
  if (f.length !== i) throw new DerError('KeyAgreeRecipientInfo has extra members')
  if (reks.length !== 1) return 'unsupported' // cms-v1: one recipient per envelope
  const [rid, ek, ...rest] = children(buf, expectTag(reks[0], 0x30, 'RecipientEncryptedKey'))
  if (ek === undefined || rest.length > 0) throw new DerError('bad RecipientEncryptedKey')
  let keyId: string
  if (rid!.tag === 0x30) keyId = iasKeyId(raw(buf, rid!))
  else if (rid!.tag === 0xa0) keyId = skiKeyId(octetString(buf, children(buf, rid!)[0])) // rKeyId: RecipientKeyIdentifier
  else throw new DerError('bad KeyAgreeRecipientIdentifier')
  const encryptedKey = octetString(buf, ek)
  if (encryptedKey.length !== WRAPPED_CEK_BYTES) throw new DerError('the wrapped key is not 40 bytes')
  const point = Buffer.from(bits.subarray(1))
  return {
    kind: 'kari',
    keyId,
    unwrap: (key: PrivateKeyRef) => {
      if (!fitsKari(key)) return undefined
      try {
        // Decoding the point checks that it is on the curve (invalid-curve attacks, RFC 8725 §3.4).
        const d = createDecipheriv('id-aes256-wrap', kek(ecdhSecretWithPoint(key, { crv: 'P-256', point }), ukm), AESKW_IV)
        return Buffer.concat([d.update(encryptedKey), d.final()])
      } catch {
        return undefined
      }
    },
  }
}
