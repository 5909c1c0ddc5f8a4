// An auditor's way into a cms-v1 envelope with plain OpenSSL (PROTOCOL.md §8.5): OpenSSL cannot
// decrypt AuthEnvelopedData with a bare content key, but it can through a KEKRecipientInfo
// (RFC 5652 §6.2.3). The bundle carries a short prefix: a ContentInfo(AuthEnvelopedData) header whose
// only RecipientInfo is a KEKRecipientInfo wrapping the content key under itself (AES-256 key wrap,
// RFC 3394/3565). Followed by the envelope's own bytes from its authEncryptedContentInfo on, it is a
// CMS object that `openssl cms -decrypt -secretkey <content key>` opens: the ciphertext and mac the
// recipient acknowledged are reused byte for byte, never re-encrypted.
import { createCipheriv } from 'node:crypto'
import { children, expectTag, readTlv } from '../crypto/cms/der-read.js'
import { algId, ctx, header, int, octets, oid, seq } from '../crypto/cms/der-write.js'
import { OID_AES256_WRAP, OID_AUTH_ENVELOPED_DATA } from '../crypto/cms/oids.js'

/** kekid.keyIdentifier of the KEKRecipientInfo: ASCII, for people reading `openssl cms -cmsout -print`. */
export const AUDITOR_KEK_ID = Buffer.from('saraban-evidence-content-key', 'ascii')
const RFC3394_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex')
const EOC = Buffer.from([0, 0])

export interface AuditorPrefix {
  /** the bytes to put before envelope[tailOffset..] */
  readonly prefix: Buffer
  /** offset in the envelope of its authEncryptedContentInfo; the tail runs to the end of the envelope */
  readonly tailOffset: number
}

/** undefined when the envelope is not an AuthEnvelopedData laid out as cms-v1 and OpenSSL write it. */
export function auditorPrefix(envelope: Buffer, contentKey: Buffer): AuditorPrefix | undefined {
  try {
    const ci = expectTag(readTlv(envelope, 0), 0x30, 'ContentInfo')
    const [, wrapped] = children(envelope, ci)
    const aed = expectTag(children(envelope, expectTag(wrapped, 0xa0, 'content'))[0], 0x30, 'AuthEnvelopedData')
    const f = children(envelope, aed)
    const eci = f.find((x) => x.tag === 0x30)
    if (eci === undefined || contentKey.length !== 32) return undefined
    const trailer = envelope.subarray(f.at(-1)!.next)
    const indefinite = trailer.length === 6 && trailer.equals(Buffer.concat([EOC, EOC, EOC]))
    if (trailer.length !== 0 && !indefinite) return undefined // outer lengths mixed: not a layout we rewrite
    const wrap = createCipheriv('id-aes256-wrap', contentKey, RFC3394_IV)
    const encryptedKey = Buffer.concat([wrap.update(contentKey), wrap.final()])
    // KEKRecipientInfo ::= [2] IMPLICIT SEQUENCE { version 4, kekid, keyEncryptionAlgorithm, encryptedKey }
    const kekri = ctx(2, int(4), seq(octets(AUDITOR_KEK_ID)), algId(OID_AES256_WRAP), octets(encryptedKey))
    const head = Buffer.concat([int(0), tlvSet(kekri)])
    const tail = envelope.length - eci.start // authEncryptedContentInfo … mac (… the outer EOCs)
    let prefix: Buffer
    if (indefinite) {
      prefix = Buffer.concat([Buffer.from([0x30, 0x80]), oid(OID_AUTH_ENVELOPED_DATA), Buffer.from([0xa0, 0x80, 0x30, 0x80]), head])
    } else {
      const aedLen = head.length + tail
      const aedHdr = header(0x30, aedLen)
      const ctxLen = aedHdr.length + aedLen
      const ctxHdr = header(0xa0, ctxLen)
      const ctOid = oid(OID_AUTH_ENVELOPED_DATA)
      const ciLen = ctOid.length + ctxHdr.length + ctxLen
      prefix = Buffer.concat([header(0x30, ciLen), ctOid, ctxHdr, aedHdr, head])
    }
    return { prefix, tailOffset: eci.start }
  } catch {
    return undefined
  }
}

function tlvSet(element: Buffer): Buffer {
  return Buffer.concat([header(0x31, element.length), element])
}
