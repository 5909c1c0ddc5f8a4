// JWE Compact Serialization (RFC 7516 §7.1) with node:crypto, for one recipient:
//   BASE64URL(header) '.' BASE64URL(encrypted key) '.' BASE64URL(iv) '.' BASE64URL(ciphertext) '.' BASE64URL(tag)
// AAD = ASCII(BASE64URL(header)) (RFC 7516 §5.1 step 14). The plaintext arrives as a list of Buffers
// (signed letter, attachments) and is encrypted and base64url-written slice by slice into one
// preallocated envelope Buffer: no concatenated plaintext, ciphertext or envelope string is built.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { b64u, decodeStrict, decodeStrictInSlices, decodeStrictSourceInSlices, decodedLength, encodedLength } from './b64.js'
import type { ByteSource } from '../../byte-source.js'
import { Base64UrlStream } from './b64-writer.js'
import { BufferOut, slicesOf, totalLength, type PlainPart, type RegionSink } from '../seal-sink.js'
import { parseProtectedHeader, splitCompact } from './compact.js'
import {
  contentEncryption, DEFAULT_CONTENT, keyManagement, keyManagementFor, type ContentEncryption, type KeyManagement,
} from './jwe-algorithms.js'

/**
 * Plaintext is encrypted in slices of 48 KiB (a multiple of 3, so each slice's base64url stands
 * alone) and ciphertext decoded in slices of 64 Ki characters: every temporary string stays below
 * V8's large-object threshold (~128 KiB) and in cache. Larger slices measured 20-50x slower.
 */
const SLICE = 48 * 1024
const DECODE_SLICE_CHARS = 64 * 1024

import { decryptFailed } from '../decrypt-failed.js'
export { decryptFailed }

/**
 * Encrypts `plaintext` (the concatenation of the buffers) for `recipient`; returns the compact JWE
 * bytes and the content encryption key (kept by the sender for evidence, PROTOCOL.md §8).
 * `observe` sees every region of the output as it is written, in order (hashing while in cache).
 */
export function encryptCompact(
  fields: Record<string, unknown>, plaintext: readonly Buffer[], recipient: KeyObject, observe?: (region: Buffer) => void,
): { envelope: Buffer; contentKey: Buffer } {
  let out: BufferOut | undefined
  const { contentKey } = encryptCompactTo(fields, plaintext, recipient, (size) => {
    out = new BufferOut(size)
    return observe === undefined ? out.put : (region) => (out!.put(region), observe(region))
  })
  return { envelope: out!.done(), contentKey }
}

/**
 * As encryptCompact(), but the envelope goes to the sink `open(size)` returns, region by region (issue
 * 16 item 2: sealed straight into chunk rows; plaintext parts may be files read by range). The one
 * implementation of both. `random` is a seam for tests (a fixed CEK and IV); production passes none.
 */
export function encryptCompactTo(
  fields: Record<string, unknown>, plaintext: readonly PlainPart[], recipient: KeyObject, open: (size: number) => RegionSink,
  random: (n: number) => Buffer = randomBytes,
): { contentKey: Buffer; size: number } {
  const km = keyManagementFor(recipient)
  if (km === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The recipient encryption key is of a type or size jose-v1 does not support.')
  const ce = DEFAULT_CONTENT
  const cek = random(ce.keyBytes)
  const { encryptedKey, header: kmHeader } = km.wrap(cek, recipient)
  const headerB64 = b64u(JSON.stringify({ alg: km.alg, enc: ce.enc, ...fields, ...kmHeader }))
  const iv = random(ce.ivBytes)
  const total = totalLength(plaintext)
  const head = Buffer.from(`${headerB64}.${encryptedKey.toString('base64url')}.${iv.toString('base64url')}.`, 'latin1')
  const tagChars = encodedLength(ce.tagBytes)
  const size = head.length + encodedLength(total) + 1 + tagChars
  const put = open(size)
  put(head)
  const cipher = createCipheriv(ce.cipher, cek, iv, { authTagLength: ce.tagBytes })
  cipher.setAAD(head.subarray(0, headerB64.length))
  const w = new Base64UrlStream(put)
  for (const part of plaintext) {
    for (const slice of slicesOf(part, SLICE)) w.write(cipher.update(slice))
  }
  w.write(cipher.final())
  const chars = w.end()
  if (chars !== encodedLength(total)) throw new Error(`encryptCompact: wrote ${chars} ciphertext characters, not ${encodedLength(total)}`)
  put(Buffer.from(`.${cipher.getAuthTag().toString('base64url')}`, 'latin1'))
  return { contentKey: cek, size }
}

export interface ParsedJwe {
  header: Record<string, unknown>
  km: KeyManagement
  ce: ContentEncryption
  /** The five compact parts (views into the envelope), still base64url. */
  parts: [header: Buffer, encryptedKey: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer]
  /** Decoded small parts (the ciphertext is decoded while decrypting). */
  encryptedKey: Buffer
  iv: Buffer
  tag: Buffer
}

function malformed(detail: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail)
}

/** Parse only (no key): the part count, the header, the algorithms and the part lengths. */
export function parseCompactJwe(envelope: Buffer, maxHeaderChars: number): ParsedJwe {
  const parts = splitCompact(envelope, 5, maxHeaderChars)
  if (parts === undefined) throw malformed(`The envelope is not a JWE in compact serialization (5 parts, header at most ${maxHeaderChars} characters).`)
  const header = parseProtectedHeader(parts[0]!, maxHeaderChars, 'ERR_ENVELOPE_MALFORMED', 'JWE')
  for (const m of ['alg', 'enc']) if (typeof header[m] !== 'string') throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The JWE header lacks "${m}".`, { field: m })
  const km = keyManagement(header['alg'])
  if (km === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `JWE "alg" ${JSON.stringify(header['alg'])} is not allowed.`, { field: 'alg' })
  const ce = contentEncryption(header['enc'])
  if (ce === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `JWE "enc" ${JSON.stringify(header['enc'])} is not allowed.`, { field: 'enc' })
  const [, ek, iv, ct, tag] = parts as ParsedJwe['parts']
  if (ek.length === 0 || ek.length > km.maxEncryptedKeyChars) throw malformed('The JWE encrypted key has the wrong length.')
  if (iv.length !== encodedLength(ce.ivBytes)) throw malformed('The JWE initialization vector has the wrong length.')
  if (tag.length !== encodedLength(ce.tagBytes)) throw malformed('The JWE authentication tag has the wrong length.')
  if (decodedLength(ct.length) < 0) throw malformed('The JWE ciphertext is not base64url.')
  const encryptedKey = decodeStrict(ek)
  const ivBytes = decodeStrict(iv)
  const tagBytes = decodeStrict(tag)
  if (encryptedKey === undefined || ivBytes === undefined || tagBytes === undefined) throw malformed('A JWE part is not base64url.')
  return { header, km, ce, parts: parts as ParsedJwe['parts'], encryptedKey, iv: ivBytes, tag: tagBytes }
}

/** Decrypts a parsed JWE with the recipient's private key. Every failure is the same ERR_DECRYPT_FAILED. */
export function decryptParsed(p: ParsedJwe, key: PrivateKeyRef): Buffer {
  const unwrapped = p.km.fits(key) ? p.km.unwrap(p.encryptedKey, p.header, key) : undefined
  // RFC 7516 §11.5: on a key-unwrap failure carry on with a random CEK, so that the outcome and the
  // time taken do not tell an RSA padding failure from a tag failure.
  if (unwrapped?.length === p.ce.keyBytes) return decryptWithContentKey(p, unwrapped)
  decryptWithContentKey(p, randomBytes(p.ce.keyBytes))
  throw decryptFailed() // not reached: a random key fails the tag
}

/** As decryptParsed(), but the plaintext goes to `sink` slice by slice and is not kept (issue 16 item 2:
 *  a receiver hashes the attachments without holding them). The slices are not authenticated until
 *  this returns: the sink must not throw, and the caller releases nothing it learned from them unless
 *  this returns (it throws the one ERR_DECRYPT_FAILED when the tag does not verify). */
export function decryptParsedToSink(p: ParsedJwe, key: PrivateKeyRef, sink: (slice: Buffer) => void): void {
  const unwrapped = p.km.fits(key) ? p.km.unwrap(p.encryptedKey, p.header, key) : undefined
  // RFC 7516 §11.5, as decryptParsed(): a failed unwrap goes on with a random CEK.
  if (unwrapped?.length === p.ce.keyBytes) return decryptToSink(p, unwrapped, sink)
  decryptToSink(p, randomBytes(p.ce.keyBytes), () => {})
  throw decryptFailed() // not reached: a random key fails the tag
}

/** As decryptParsedToSink(), with the ciphertext's base64url text read by range from `text` (issue 16
 *  item 2: a received envelope staged on disk, parsed from its skeleton, crypto/ranged.ts): the
 *  ciphertext part of `p` is empty. The same checks and the same one error. */
export function decryptParsedSourceToSink(p: ParsedJwe, key: PrivateKeyRef, text: ByteSource, sink: (slice: Buffer) => void): void {
  const unwrapped = p.km.fits(key) ? p.km.unwrap(p.encryptedKey, p.header, key) : undefined
  if (unwrapped?.length === p.ce.keyBytes) return decryptToSink(p, unwrapped, sink, text)
  decryptToSink(p, randomBytes(p.ce.keyBytes), () => {}, text)
  throw decryptFailed() // not reached: a random key fails the tag
}

function decryptToSink(p: ParsedJwe, cek: Buffer, sink: (slice: Buffer) => void, text?: ByteSource): void {
  const [h, , , ctPart] = p.parts
  const decipher = createDecipheriv(p.ce.cipher, cek, p.iv, { authTagLength: p.ce.tagBytes })
  decipher.setAAD(h)
  decipher.setAuthTag(p.tag)
  let n = 0
  const feed = (c: Buffer) => {
    const out = decipher.update(c)
    n += out.length
    sink(out)
  }
  const canonical = text === undefined ? decodeStrictInSlices(ctPart, feed, DECODE_SLICE_CHARS) : decodeStrictSourceInSlices(text, feed, DECODE_SLICE_CHARS)
  if (!canonical) throw malformed('The JWE ciphertext is not base64url.')
  let last: Buffer
  try {
    last = decipher.final()
  } catch {
    throw decryptFailed()
  }
  n += last.length
  sink(last)
  if (n !== decodedLength(text?.length ?? ctPart.length)) throw decryptFailed()
}

/** Decrypts a parsed JWE with its content encryption key (an auditor holding evidence, PROTOCOL.md §8). */
export function decryptWithContentKey(p: ParsedJwe, cek: Buffer): Buffer {
  if (cek.length !== p.ce.keyBytes) throw decryptFailed()
  const [h, , , ctPart] = p.parts
  const decipher = createDecipheriv(p.ce.cipher, cek, p.iv, { authTagLength: p.ce.tagBytes })
  decipher.setAAD(h)
  decipher.setAuthTag(p.tag)
  const plaintext = Buffer.allocUnsafeSlow(decodedLength(ctPart.length)) // not the shared pool: it holds plaintext
  let at = 0
  const canonical = decodeStrictInSlices(ctPart, (c) => {
    at += decipher.update(c).copy(plaintext, at)
  }, DECODE_SLICE_CHARS)
  if (!canonical) throw malformed('The JWE ciphertext is not base64url.')
  try {
    at += decipher.final().copy(plaintext, at)
  } catch {
    throw decryptFailed()
  }
  if (at !== plaintext.length) throw decryptFailed()
  return plaintext
}
