// An encrypted backup is one CMS ContentInfo(AuthEnvelopedData) with AES-256-GCM (RFC 5083, RFC 5084)
// around the whole archive, for the operator's recipient certificate (config backup.recipient), so that
// `openssl cms -decrypt -inform DER -recip cert.pem -inkey key.pem` opens it. It is written in one pass
// (src/crypto/cms/auth-enveloped.ts streamAuthEnveloped, definite lengths: the archive's size is known
// before it is written); here only that shape is read back, from its first bytes and its last 18
// (the mac), so the ciphertext can be decrypted as it streams from disk.
import { createDecipheriv, type Decipher, type KeyObject } from 'node:crypto'
import { children, DerError, expectTag, octetString, readAlgId, readOid, readSmallInt, readTlv } from '../../crypto/cms/der-read.js'
import { OID_AES256_GCM, OID_AUTH_ENVELOPED_DATA, OID_DATA } from '../../crypto/cms/oids.js'
import { parseRecipientInfo } from '../../crypto/cms/recipient-info.js'
import { BackupError } from './errors.js'

export const HEAD_BYTES = 64 * 1024
export const MAC_TLV_BYTES = 18

export interface EnvelopeLayout {
  readonly contentStart: number
  readonly contentLength: number
  /** Deciphers the content; final() throws when the content or the mac was changed. */
  readonly decipher: Decipher
}

/** A definite-length header (tag, length) at `at`. */
function head(buf: Buffer, at: number, tag: number): { body: number; length: number } {
  if (buf[at] !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`)
  let lb = buf[at + 1]
  if (lb === undefined || lb === 0x80) throw new DerError('indefinite or missing length')
  let body = at + 2
  if (lb < 0x80) return { body, length: lb }
  lb &= 0x7f
  if (lb > 6 || body + lb > buf.length) throw new DerError('length too long')
  let length = 0
  for (let i = 0; i < lb; i++) length = length * 256 + buf[body + i]!
  body += lb
  return { body, length }
}

/** The layout of an encrypted backup of `size` bytes whose first bytes are `prefix` and last 18 are `macTlv`. */
export function openEnvelope(prefix: Buffer, macTlv: Buffer, size: number, key: KeyObject): EnvelopeLayout {
  let layout: { contentStart: number; contentLength: number; nonce: Buffer; cek: Buffer | undefined }
  try {
    const ci = head(prefix, 0, 0x30)
    if (ci.body + ci.length !== size) throw new BackupError('damaged', 'the encrypted envelope does not end where the file ends')
    const ct = readTlv(prefix, ci.body)
    if (readOid(prefix, ct) !== OID_AUTH_ENVELOPED_DATA) throw new BackupError('unsupported', 'it is CMS, but not AuthEnvelopedData')
    const wrapped = head(prefix, ct.next, 0xa0)
    const aed = head(prefix, wrapped.body, 0x30)
    const version = readTlv(prefix, aed.body)
    if (readSmallInt(prefix, version) !== 0) throw new DerError('version')
    const ris = children(prefix, expectTag(readTlv(prefix, version.next), 0x31, 'recipientInfos'))
    if (ris.length !== 1) throw new BackupError('unsupported', 'a backup has exactly one recipient')
    const ri = parseRecipientInfo(prefix, ris[0]!)
    if (ri === 'unsupported') throw new BackupError('unsupported', 'its recipient is of a kind this node does not open')
    const eci = head(prefix, ris[0]!.next, 0x30)
    const ctype = readTlv(prefix, eci.body)
    if (readOid(prefix, ctype) !== OID_DATA) throw new DerError('content type')
    const algTlv = readTlv(prefix, ctype.next)
    const alg = readAlgId(prefix, algTlv)
    if (alg.oid !== OID_AES256_GCM || alg.params === undefined) throw new BackupError('unsupported', 'its content is not encrypted with AES-256-GCM')
    const [n, icv] = children(prefix, expectTag(alg.params, 0x30, 'GCMParameters'))
    const nonce = octetString(prefix, n)
    if (nonce.length !== 12 || readSmallInt(prefix, icv) !== 16) throw new BackupError('unsupported', 'AES-GCM must use a 12-byte nonce and a 16-byte tag')
    const content = head(prefix, algTlv.next, 0x80)
    if (content.body + content.length + MAC_TLV_BYTES !== size) throw new DerError('the content and the mac do not fill the envelope')
    layout = { contentStart: content.body, contentLength: content.length, nonce, cek: ri.unwrap(key) }
  } catch (e) {
    if (e instanceof DerError) throw new BackupError('damaged', `the encrypted envelope is not well-formed: ${e.message}`)
    throw e
  }
  if (macTlv[0] !== 0x04 || macTlv[1] !== 0x10 || macTlv.length !== MAC_TLV_BYTES) throw new BackupError('damaged', 'the encrypted envelope has no mac at its end')
  // RFC 3218 §2.3: an unwrap failure is only said to be a wrong key, never why.
  if (layout.cek?.length !== 32) throw new BackupError('wrong-key', 'the key does not open the content key')
  const decipher = createDecipheriv('aes-256-gcm', layout.cek, layout.nonce, { authTagLength: 16 })
  decipher.setAuthTag(macTlv.subarray(2))
  return { contentStart: layout.contentStart, contentLength: layout.contentLength, decipher }
}
