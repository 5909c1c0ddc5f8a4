// Reading part of a stored envelope without decrypting all of it (issue 5 §7: streamed downloads).
// AES-GCM is CTR mode plus a tag (NIST SP 800-38D §7.1): with a 96-bit IV, plaintext block b is
// ciphertext block b XOR AES_K(IV ‖ [b + 2]₃₂). So any byte range of the content decrypts on its own
// with AES-CTR from that counter. What this does NOT do is check the GCM tag: that needs every byte.
// The tag was checked when the envelope was received (PROTOCOL.md §4.2); a read re-verifies the
// signature of the signed letter (decrypted from the start of the content) and the caller checks
// each attachment's SHA-256 from the signed manifest as it streams (services/inbox-read.ts).
import type { PrivateKeyRef } from './keys/private-key.js'
import { createDecipheriv, type KeyObject, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { decryptFailed } from './decrypt-failed.js'
import type { AttachmentManifestItem, ByteSpan, Opened, Routing } from './types.js'
import type { ByteSource } from '../byte-source.js'

/** 48 KiB: a multiple of the AES block (16) and of a base64 quantum (3), below V8's large-object size. */
export const RANGE_SLICE = 48 * 1024
const BLOCK = 16
const IV_BYTES = 12
/** GCM's counter is 32 bits (inc32); Node's CTR carries into the IV. Equal below 2^32 blocks. */
const MAX_CONTENT_BYTES = (2 ** 32 - 2) * BLOCK

/** Ciphertext bytes [start, end) of the encrypted content, however the envelope frames them. */
export type CiphertextReader = (start: number, end: number) => Buffer

export interface GcmContent {
  readonly key: Buffer // the content encryption key (AES-256)
  readonly iv: Buffer // 12 bytes
  readonly length: number // of the content (= of the plaintext)
  readonly read: CiphertextReader
}

/** Plaintext [start, end) of GCM-encrypted content, slice by slice, without the tag check. */
export function* decryptRange(c: GcmContent, start: number, end: number): Generator<Buffer> {
  if (c.iv.length !== IV_BYTES || c.key.length !== 32 || c.length > MAX_CONTENT_BYTES) throw decryptFailed()
  if (start < 0 || end > c.length || start > end) throw new RangeError(`decryptRange: [${start}, ${end}) outside 0..${c.length}`)
  const aligned = start - (start % BLOCK)
  const counter = Buffer.alloc(BLOCK)
  c.iv.copy(counter, 0)
  counter.writeUInt32BE(aligned / BLOCK + 2, IV_BYTES) // J0 = IV ‖ 1; the first content block uses inc32(J0)
  const decipher = createDecipheriv('aes-256-ctr', c.key, counter)
  let skip = start - aligned
  for (let at = aligned; at < end; at += RANGE_SLICE) {
    const to = Math.min(at + RANGE_SLICE, end)
    let out = decipher.update(c.read(at, to))
    if (skip > 0) (out = out.subarray(skip)), (skip = 0)
    if (out.length > 0) yield out
  }
}

/** Plaintext [0, n) as one buffer (the signed letter at the start of the bundle). */
export function decryptPrefix(c: GcmContent, n: number): Buffer {
  return Buffer.concat([...decryptRange(c, 0, Math.min(n, c.length))])
}

/** A stored envelope opened for reading: the signed letter verified, the content readable by range. */
export interface RangedEnvelope {
  /** The signed payload as JSON (its signature verified with the leaf of signerChain; trust is not decided here). */
  readonly payload: Record<string, unknown>
  readonly signerChain: X509Certificate[]
  /** Where each attachment of the signed manifest lies in the plaintext, in manifest order. */
  readonly attachments: ReadonlyArray<Pick<AttachmentManifestItem, 'size' | 'sha256'> & { offset: number }>
  /** Decrypted bytes [start, end) of the plaintext bundle, in slices (no tag check, see above). */
  slices(start: number, end: number): Generator<Buffer>
}

export type RangedOpener = (envelope: Buffer, key: PrivateKeyRef) => RangedEnvelope

/**
 * A stored envelope as its profile's ranged reader needs it: `skeleton` is an envelope of the
 * profile with everything of the stored one but its ciphertext (which is left empty), small enough
 * to parse with the profile's own parser (every check of the header and framing applies to it);
 * `ciphertext` is where the real ciphertext lies in the stored bytes (jose: the base64url text;
 * cms: the octets). Without `ciphertext`, `skeleton` is the whole envelope (small, or framed in a
 * way the locator does not follow, then read whole as before).
 */
export interface LocatedEnvelope {
  readonly skeleton: Buffer
  readonly ciphertext?: ByteSource | undefined
  /** With `ciphertext`: where the profile's contentSpan() lies in the located bytes (the content a
   *  letter sealed for many shares, PROTOCOL.md §17.1), which the skeleton's own span cannot say. */
  readonly span?: ByteSpan | undefined
}

/** A profile's ranged reader: locate() reads only the small parts of the stored envelope. */
export interface RangedReader {
  locate(source: ByteSource): LocatedEnvelope
  open(located: LocatedEnvelope, key: PrivateKeyRef): RangedEnvelope
  /**
   * A received envelope opened as the profile's openHashed() opens it (issue 16 item 2: a body staged
   * on disk, never held whole): the whole ciphertext decrypted in slices as read, the GCM tag verified
   * before anything is judged, then the signature, routing (PROTOCOL.md §4.2 check 11) and the
   * attachments' digests, with the codes of openHashed(). `whole` reads the envelope whole, for what
   * that framing does not follow (then opened by the profile's open(), as openHashed() does).
   */
  openReceived(located: LocatedEnvelope, key: PrivateKeyRef, routing: Routing, whole: () => Buffer): Opened
}

/** A GcmContent reader over a ByteSource. */
export function sourceReader(source: ByteSource): GcmContent['read'] {
  return (start, end) => source.read(start, end - start)
}

/** The located envelope when it is read whole. */
export function whole(source: ByteSource): LocatedEnvelope {
  return { skeleton: source.read(0, source.length) }
}

/** Attachment offsets: the manifest's sizes laid end to end after the signed letter (PROTOCOL.md §5.3, §12.3). */
export function layout(head: number, manifest: ReadonlyArray<Pick<AttachmentManifestItem, 'size' | 'sha256'>>, length: number): RangedEnvelope['attachments'] {
  let at = head
  const out = manifest.map((m) => ({ size: m.size, sha256: m.sha256, offset: (at += m.size) - m.size }))
  if (at !== length) throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The bundle carries ${length - head} attachment bytes; the signed manifest says ${at - head}.`, { field: '/letter/attachments' })
  return out
}
