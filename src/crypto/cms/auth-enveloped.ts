// ContentInfo(AuthEnvelopedData) (RFC 5083) with AES-256-GCM (RFC 5084) for one recipient
// (PROTOCOL.md §12.4). pkijs has no AuthEnvelopedData, and the content may be 100 MB: the small
// parts are DER from der-write.ts, the encryptedContent OCTET STRING is framed by hand and the
// cipher writes straight into one preallocated envelope buffer. On input the encrypted content may be
// primitive or a constructed OCTET STRING in chunks, with definite or indefinite lengths (OpenSSL).
import { createCipheriv, createDecipheriv, createHash, randomBytes, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { checkBer, children, DerError, expectTag, octetChunks, octetString, readAlgId, readOid, readSmallInt, readTlv } from './der-read.js'
import { algId, header, int, octets, oid, seq, setOf } from './der-write.js'
import { OID_AES256_GCM, OID_AUTH_ENVELOPED_DATA, OID_DATA } from './oids.js'
import { parseRecipientInfo, recipientRowFor, type ParsedRecipient } from './recipient-info.js'
import type { ByteSpan } from '../types.js'
import { BufferOut, slicesOf, totalLength, type PlainPart, type RegionSink } from '../seal-sink.js'
import { readNow, type ByteSource } from '../../byte-source.js'

export const KEY_BYTES = 32
const NONCE_BYTES = 12 // RFC 5084 §3.2: 12 octets RECOMMENDED
const TAG_BYTES = 16 // aes-ICVlen, written explicitly (the DEFAULT is 12)
const SLICE = 64 * 1024

import { decryptFailed } from '../decrypt-failed.js'
export { decryptFailed }

/** Everything of the envelope before the encrypted content's bytes, for one RecipientInfo (`ri`), a
 *  nonce and `total` plaintext (= ciphertext) bytes; the mac TLV (18 bytes) follows the content. */
function envelopePrefix(ris: readonly Buffer[], nonce: Buffer, total: number): Buffer {
  // AuthEnvelopedData { version 0, recipientInfos, authEncryptedContentInfo, mac }
  const eciHead = Buffer.concat([oid(OID_DATA), algId(OID_AES256_GCM, seq(octets(nonce), int(TAG_BYTES))), header(0x80, total)])
  const eciHeader = header(0x30, eciHead.length + total)
  const before = Buffer.concat([int(0), setOf(...ris), eciHeader, eciHead])
  const macTlvBytes = 2 + TAG_BYTES
  const aedLength = before.length + total + macTlvBytes
  const aedHeader = header(0x30, aedLength)
  const inner = Buffer.concat([oid(OID_AUTH_ENVELOPED_DATA), header(0xa0, aedHeader.length + aedLength), aedHeader])
  const ciLength = inner.length + before.length + total + macTlvBytes
  return Buffer.concat([header(0x30, ciLength), inner, before])
}

function rowOf(recipient: X509Certificate): NonNullable<ReturnType<typeof recipientRowFor>> {
  const row = recipientRowFor(recipient)
  if (row === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The recipient encryption key is of a type or size cms-v1 does not support.')
  return row
}

/** Encrypts the concatenation of `plaintext` for `recipient`: the envelope, its SHA-256 (hashed while
 *  each region is still in cache) and the CEK (kept for evidence, PROTOCOL.md §8). */
export function sealAuthEnveloped(plaintext: readonly Buffer[], recipient: X509Certificate): { envelope: Buffer; envelopeSha256: string; contentKey: Buffer } {
  return sealAuthEnvelopedFor(plaintext, [recipient])
}

/** As sealAuthEnveloped, with one RecipientInfo per certificate (the classified inner envelope,
 *  PROTOCOL.md §19: every receiving officer and the sending agency's own). */
export function sealAuthEnvelopedFor(plaintext: readonly Buffer[], recipients: readonly X509Certificate[]): { envelope: Buffer; envelopeSha256: string; contentKey: Buffer } {
  let out: BufferOut | undefined
  const sealed = sealAuthEnvelopedTo(plaintext, recipients, (size) => (out = new BufferOut(size)).put)
  return { envelope: out!.done(), envelopeSha256: sealed.envelopeSha256, contentKey: sealed.contentKey }
}

/** As sealAuthEnvelopedFor, the envelope going region by region to the sink `open(size)` returns
 *  (issue 16 item 2: straight into chunk rows, attachments read by range; definite DER lengths, known
 *  from the plaintext's size before the first byte). The one implementation of both. `random`: a
 *  seam for tests (a fixed CEK and nonce). */
export function sealAuthEnvelopedTo(
  plaintext: readonly PlainPart[], recipients: readonly X509Certificate[], open: (size: number) => RegionSink, random: (n: number) => Buffer = randomBytes,
): { envelopeSha256: string; contentKey: Buffer; size: number } {
  if (recipients.length === 0) throw new Error('sealAuthEnvelopedFor: no recipient')
  const rows = recipients.map(rowOf)
  const cek = random(KEY_BYTES)
  const nonce = random(NONCE_BYTES)
  const total = totalLength(plaintext)
  const prefix = envelopePrefix(rows.map((row, i) => row.encode(cek, recipients[i]!)), nonce, total)
  const size = prefix.length + total + 2 + TAG_BYTES
  const sink = open(size)
  const hash = createHash('sha256')
  let at = 0
  const put = (bytes: Buffer): void => {
    at += bytes.length
    hash.update(bytes)
    sink(bytes)
  }
  put(prefix)
  const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES })
  for (const part of plaintext) {
    for (const slice of slicesOf(part, SLICE)) put(cipher.update(slice))
  }
  put(cipher.final())
  put(octets(cipher.getAuthTag()))
  if (at !== size) throw new Error(`sealAuthEnveloped: wrote ${at} of ${size} bytes`)
  return { envelopeSha256: hash.digest('hex'), contentKey: cek, size }
}

/** The content encrypted once for many recipients (PROTOCOL.md §17.6): the ciphertext is the bytes
 *  every envelope shares; `tail` (the mac TLV) too. No AAD: AuthEnvelopedData has no authAttrs here,
 *  so the RecipientInfos before the ciphertext are outside the MAC and may differ per recipient. */
export interface EncryptedOnce {
  cek: Buffer
  nonce: Buffer
  ciphertext: Buffer
  tail: Buffer
}

export function encryptOnce(plaintext: readonly Buffer[]): EncryptedOnce {
  const cek = randomBytes(KEY_BYTES)
  const nonce = randomBytes(NONCE_BYTES)
  const total = plaintext.reduce((n, b) => n + b.length, 0)
  const ciphertext = Buffer.allocUnsafeSlow(total)
  const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES })
  let at = 0
  for (const part of plaintext) {
    for (let i = 0; i < part.length; i += SLICE) at += cipher.update(part.subarray(i, i + SLICE)).copy(ciphertext, at)
  }
  at += cipher.final().copy(ciphertext, at)
  if (at !== total) throw new Error(`encryptOnce: wrote ${at} of ${total} bytes`)
  return { cek, nonce, ciphertext, tail: octets(cipher.getAuthTag()) }
}

/** One recipient's head: envelope = head ‖ once.ciphertext ‖ once.tail, a single-recipient cms-v1 envelope. */
export function headFor(once: EncryptedOnce, recipient: X509Certificate): Buffer {
  return envelopePrefix([rowOf(recipient).encode(once.cek, recipient)], once.nonce, once.ciphertext.length)
}

export interface ParsedAuthEnveloped {
  /** The first (for cms-v1 envelopes, the only) RecipientInfo. */
  recipient: ParsedRecipient
  /** All RecipientInfos of a many-recipient envelope (parseAuthEnvelopedMany); [recipient] otherwise. */
  recipients: ParsedRecipient[]
  nonce: Buffer
  mac: Buffer
  /** Views of the encrypted content, in order (one unless the sender chunked it). */
  ciphertext: Buffer[]
  /** Where the encryptedContent's octets lie in the envelope: the ciphertext (SealedMany.shared,
   *  PROTOCOL.md §17.6), or when the sender chunked it, the chunks with their own headers. */
  content: ByteSpan
}

const malformed = (d: string): SarabanError => new SarabanError('ERR_ENVELOPE_MALFORMED', d)
const unsupported = (d: string): SarabanError => new SarabanError('ERR_PROFILE_UNSUPPORTED', d)

/** Parse only, no key: PROTOCOL.md §12.7 step 1. */
export function parseAuthEnveloped(envelope: Buffer): ParsedAuthEnveloped {
  return parseWith(envelope, 1)
}

/** Parse only, up to `maxRecipients` RecipientInfos; the kinds and algorithms of §12.4 for each; an
 *  unsupported one is skipped (another officer's key may be of a kind this copy does not open). */
export function parseAuthEnvelopedMany(envelope: Buffer, maxRecipients: number): ParsedAuthEnveloped {
  return parseWith(envelope, maxRecipients)
}

function parseWith(envelope: Buffer, maxRecipients: number): ParsedAuthEnveloped {
  try {
    return parse(envelope, maxRecipients)
  } catch (e) {
    if (e instanceof DerError) throw malformed(`The envelope is not a well-formed CMS AuthEnvelopedData: ${e.message}.`)
    throw e
  }
}

function parse(buf: Buffer, maxRecipients: number): ParsedAuthEnveloped {
  checkBer(buf, 0) // PROTOCOL.md §12.7: element count and depth before parsing
  const ci = expectTag(readTlv(buf, 0), 0x30, 'ContentInfo')
  if (ci.next !== buf.length) throw malformed('The envelope has bytes after its ContentInfo.')
  const [ct, wrapped, ...extra] = children(buf, ci)
  if (readOid(buf, ct) !== OID_AUTH_ENVELOPED_DATA) throw unsupported('The envelope is not a CMS AuthEnvelopedData.')
  if (extra.length > 0) throw malformed('The ContentInfo has extra members.')
  const aedTlv = children(buf, expectTag(wrapped, 0xa0, 'content'))
  if (aedTlv.length !== 1) throw malformed('The ContentInfo content is not one AuthEnvelopedData.')
  const f = children(buf, expectTag(aedTlv[0], 0x30, 'AuthEnvelopedData'))
  if (readSmallInt(buf, f[0]) !== 0) throw unsupported('AuthEnvelopedData version must be 0.')
  if (f[1]?.tag === 0xa0) throw unsupported('originatorInfo is not used by cms-v1.')
  const ris = children(buf, expectTag(f[1], 0x31, 'recipientInfos'))
  if (maxRecipients === 1 && ris.length !== 1) throw unsupported('cms-v1 envelopes have exactly one RecipientInfo.')
  if (ris.length === 0 || ris.length > maxRecipients) throw unsupported(`The envelope must have 1 to ${maxRecipients} RecipientInfos.`)
  const recipients = ris.map((r) => parseRecipientInfo(buf, r)).filter((r): r is ParsedRecipient => r !== 'unsupported')
  const recipient = recipients[0]
  if (recipient === undefined || (maxRecipients === 1 && recipients.length !== 1)) throw unsupported('The RecipientInfo uses a kind or algorithm cms-v1 does not allow.')
  const eci = children(buf, expectTag(f[2], 0x30, 'authEncryptedContentInfo'))
  if (eci.length !== 3) throw malformed('The encrypted content is missing.')
  if (readOid(buf, eci[0]) !== OID_DATA) throw unsupported('The encrypted content type must be id-data.')
  const cea = readAlgId(buf, eci[1])
  if (cea.oid !== OID_AES256_GCM || cea.params === undefined) throw unsupported('The content encryption algorithm must be AES-256-GCM.')
  const [n, icv, ...more] = children(buf, expectTag(cea.params, 0x30, 'GCMParameters'))
  const nonce = octetString(buf, n)
  if (nonce.length !== NONCE_BYTES || icv === undefined || readSmallInt(buf, icv) !== TAG_BYTES || more.length > 0) {
    throw unsupported('AES-GCM must use a 12-byte nonce and a 16-byte tag.')
  }
  const ciphertext = octetChunks(buf, eci[2]!, 0x80)
  // authAttrs [1] are not used (the content type is id-data, RFC 5083 §2.1); unauthAttrs [2] neither.
  if (f.length !== 4) throw unsupported('cms-v1 envelopes carry no authAttrs or unauthAttrs.')
  const mac = octetString(buf, f[3])
  if (mac.length !== TAG_BYTES) throw malformed('The mac is not 16 bytes.')
  return { recipient, recipients, nonce, mac, ciphertext, content: { start: eci[2]!.body, end: eci[2]!.end } }
}

/** Decrypts with the CEK (the recipient's unwrapped key, or an auditor's copy). Any failure: ERR_DECRYPT_FAILED. */
export function decryptAuthEnveloped(p: ParsedAuthEnveloped, cek: Buffer): Buffer {
  if (cek.length !== KEY_BYTES) throw decryptFailed()
  const decipher = createDecipheriv('aes-256-gcm', cek, p.nonce, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(p.mac)
  const plaintext = Buffer.allocUnsafeSlow(p.ciphertext.reduce((n, c) => n + c.length, 0)) // it holds plaintext
  let at = 0
  for (const c of p.ciphertext) {
    for (let i = 0; i < c.length; i += SLICE) at += decipher.update(c.subarray(i, i + SLICE)).copy(plaintext, at)
  }
  try {
    at += decipher.final().copy(plaintext, at)
  } catch {
    throw decryptFailed()
  }
  if (at !== plaintext.length) throw decryptFailed()
  return plaintext
}

/** As decryptWithRecipientKey(), but the plaintext goes to `sink` slice by slice and is not kept (issue
 *  16 item 2). The slices are not authenticated until this returns: the sink must not throw, and the
 *  caller releases nothing it learned from them unless this returns (it throws ERR_DECRYPT_FAILED). */
export function decryptWithRecipientKeyToSink(
  p: ParsedAuthEnveloped, key: Parameters<ParsedRecipient['unwrap']>[0], sink: (slice: Buffer) => void,
  /** The ciphertext read by range instead of p.ciphertext (a body staged on disk, parsed from its skeleton, crypto/ranged.ts). */
  ciphertext?: ByteSource,
): void {
  const unwrapped = p.recipient.unwrap(key)
  const cek = unwrapped?.length === KEY_BYTES ? unwrapped : randomBytes(KEY_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', cek, p.nonce, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(p.mac)
  const out = unwrapped?.length === KEY_BYTES ? sink : () => {}
  if (ciphertext === undefined) {
    for (const c of p.ciphertext) {
      for (let i = 0; i < c.length; i += SLICE) out(decipher.update(c.subarray(i, i + SLICE)))
    }
  } else {
    for (let i = 0; i < ciphertext.length; i += SLICE) out(decipher.update(readNow(ciphertext, i, Math.min(SLICE, ciphertext.length - i))))
  }
  try {
    out(decipher.final())
  } catch {
    throw decryptFailed()
  }
  if (out !== sink) throw decryptFailed() // not reached: a random key fails the tag
}

/** Unwraps with the recipient's key; on any unwrap failure goes on with a random CEK (RFC 3218 §2.3-style: no oracle). */
export function decryptWithRecipientKey(p: ParsedAuthEnveloped, key: Parameters<ParsedRecipient['unwrap']>[0], recipient = p.recipient): Buffer {
  const cek = recipient.unwrap(key)
  if (cek?.length === KEY_BYTES) return decryptAuthEnveloped(p, cek)
  decryptAuthEnveloped(p, randomBytes(KEY_BYTES))
  throw decryptFailed() // not reached: a random key fails the tag
}

/** A streamed envelope of `total` plaintext bytes for one recipient (issue 17 item 3: backups larger
 *  than memory): write `prefix`, then `cipher.update()` of every plaintext chunk in order, then
 *  `tail()` (the final block and the mac TLV). The bytes are those sealAuthEnveloped would make. */
export function streamAuthEnveloped(recipient: X509Certificate, total: number): { prefix: Buffer; update(chunk: Buffer): Buffer; tail(): Buffer } {
  const cek = randomBytes(KEY_BYTES)
  const nonce = randomBytes(NONCE_BYTES)
  const prefix = envelopePrefix([rowOf(recipient).encode(cek, recipient)], nonce, total)
  const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES })
  return {
    prefix,
    update: (chunk) => cipher.update(chunk),
    tail: () => Buffer.concat([cipher.final(), octets(cipher.getAuthTag())]),
  }
}
