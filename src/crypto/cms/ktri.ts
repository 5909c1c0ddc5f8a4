// KeyTransRecipientInfo (RFC 5652 §6.2.1) with RSAES-OAEP, SHA-256, MGF1-SHA-256 and an empty label
// (RFC 8017 §7.1, parameters per RFC 4055 §4.1) for RSA recipients (PROTOCOL.md §12.4).
import { constants, publicEncrypt, type KeyObject, type X509Certificate } from 'node:crypto'
import { keyKindOf } from '../jose/key-kinds.js'
import { certId, iasKeyId, skiKeyId } from './cert-id.js'
import { absentOrNull, children, content, DerError, expectTag, octetString, raw, readAlgId, readSmallInt, type Tlv } from './der-read.js'
import { algId, ctx, int, octets, seq } from './der-write.js'
import { OID_MGF1, OID_P_SPECIFIED, OID_RSAES_OAEP, OID_SHA256 } from './oids.js'
import { recipientHandle, type ParsedRecipient } from './recipient-info.js'

const OAEP_256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const
const SHA256_ALG = algId(OID_SHA256)
// RSAES-OAEP-params { hashFunc [0], maskGenFunc [1] } (pSourceFunc: the default, an empty label).
const OAEP_ALG = algId(OID_RSAES_OAEP, seq(ctx(0, SHA256_ALG), ctx(1, algId(OID_MGF1, SHA256_ALG))))
export const MAX_RSA_ENCRYPTED_KEY = 1024 // 8192-bit modulus

export const fitsKtri = (key: KeyObject): boolean => keyKindOf(key) === 'rsa'

export function encodeKtri(cek: Buffer, recipient: X509Certificate): Buffer {
  return seq(int(0), certId(recipient).issuerAndSerial, OAEP_ALG, octets(publicEncrypt({ key: recipient.publicKey, ...OAEP_256 }, cek)))
}

/** Parse only: the rid and the key-encryption algorithm (an allow-list of one), or a DerError / undefined. */
export function parseKtri(buf: Buffer, t: Tlv): ParsedRecipient | 'unsupported' {
  const [v, rid, alg, ek, ...rest] = children(buf, t)
  if (ek === undefined || rest.length > 0) throw new DerError('bad KeyTransRecipientInfo')
  const version = readSmallInt(buf, v)
  let keyId: string
  if (version === 0 && rid!.tag === 0x30) keyId = iasKeyId(raw(buf, rid!))
  else if (version === 2 && rid!.tag === 0x80) keyId = skiKeyId(content(buf, rid!))
  else throw new DerError('bad KeyTransRecipientInfo version or rid')
  if (!oaepSha256(buf, alg)) return 'unsupported'
  const encryptedKey = octetString(buf, ek)
  if (encryptedKey.length === 0 || encryptedKey.length > MAX_RSA_ENCRYPTED_KEY) throw new DerError('bad encryptedKey length')
  return {
    kind: 'ktri',
    keyId,
    unwrap: (key) => {
      const handle = recipientHandle(key)
      if (handle?.kind !== 'rsa') return undefined
      try {
        return handle.decryptOaepSha256(encryptedKey)
      } catch {
        return undefined
      }
    },
  }
}

/** id-RSAES-OAEP with hashFunc SHA-256, maskGenFunc MGF1(SHA-256) and, if present, an empty pSpecified label. */
function oaepSha256(buf: Buffer, alg: Tlv | undefined): boolean {
  const { oid, params } = readAlgId(buf, alg)
  if (oid !== OID_RSAES_OAEP || params === undefined) return false
  let hash = false, mgf = false
  for (const f of children(buf, expectTag(params, 0x30, 'RSAES-OAEP-params'))) {
    const inner = children(buf, f)[0]
    if (f.tag === 0xa0) {
      const h = readAlgId(buf, inner)
      hash = h.oid === OID_SHA256 && absentOrNull(buf, h.params)
    } else if (f.tag === 0xa1) {
      const m = readAlgId(buf, inner)
      const h = m.params === undefined ? undefined : readAlgId(buf, m.params)
      mgf = m.oid === OID_MGF1 && h?.oid === OID_SHA256 && absentOrNull(buf, h.params)
    } else if (f.tag === 0xa2) {
      const p = readAlgId(buf, inner)
      if (p.oid !== OID_P_SPECIFIED || p.params === undefined || octetString(buf, p.params).length !== 0) return false
    } else return false
  }
  return hash && mgf
}
