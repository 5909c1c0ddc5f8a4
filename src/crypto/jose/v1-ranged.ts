// jose-v1 and jose-v2 envelopes opened for reading by range (crypto/ranged.ts): the ciphertext is
// base64url text inside the compact JWE (PROTOCOL.md §5.1) or the flattened JSON (§17.7), so byte b of
// it is in the 4-character group b/3; a range is decoded from its first whole group. The bundle is the
// same in both profiles: the signed letter runs up to the first LF (§5.3).
// A stored envelope is read from a ByteSource (issue 16 item 2: its chunk rows): locate() reads its
// first and last 64 KiB, where every part but the ciphertext lies, and builds the envelope with an
// empty ciphertext that the profile's parser checks as it checks any envelope; the ciphertext text is
// then read by range, 4-character groups at a time, as the client reads.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { manifestHolder } from '../payload.js'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptRange, layout, RANGE_SLICE, whole, type GcmContent, type LocatedEnvelope, type RangedEnvelope, type RangedReader } from '../ranged.js'
import { bufferSource, subSource, type ByteSource } from '../../byte-source.js'
import { decodedLength } from './b64.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { decryptFailed } from './jwe.js'
import { verifyCompact } from './jws.js'
import { openJoseHashedFrom } from './v1-profile.js'
import { parseV1Envelope, V1 } from './v1-header.js'
import { parseV2Envelope } from './v2-envelope.js'
import type { ParsedJwe } from './jwe.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from './v1-payload.js'

const LF = 0x0a

/** The reader decodes into one scratch buffer per envelope: decryptRange consumes each range at once,
 *  so a download makes one new buffer per slice (the plaintext sent), not two. */
function base64urlRange(text: ByteSource): GcmContent['read'] {
  let scratch = Buffer.alloc(0)
  return (start, end) => {
    const from = Math.floor(start / 3) * 4
    const to = Math.min(Math.ceil(end / 3) * 4, text.length)
    if (scratch.length < ((to - from) / 4) * 3 + 3) scratch = Buffer.allocUnsafeSlow(((to - from) / 4) * 3 + 3)
    const n = scratch.write(text.read(from, to - from).toString('latin1'), 0, 'base64url')
    const skip = start % 3
    return scratch.subarray(skip, Math.min(n, skip + (end - start)))
  }
}

/** Where the header parts and the tag are looked for: far more than their bounds (MAX_JWE_HEADER_CHARS,
 *  MAX_V2_HEADER_BYTES, an encrypted key); an envelope whose small parts do not fit is read whole. */
const WINDOW = 64 * 1024
const DOT = 0x2e
const QUOTE = 0x22

/** First index in `bytes` from `from` of a byte that is not base64url, or -1. */
function endOfBase64url(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i]!
    const ok = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f
    if (!ok) return i
  }
  return -1
}

/** The ciphertext text [start, end) of `source`, given where it starts (found in the first WINDOW
 *  bytes) and the byte that ends it (the first non-base64url byte of the last WINDOW bytes). */
function located(source: ByteSource, head: Buffer, start: number, terminator: number): LocatedEnvelope | undefined {
  const tailAt = source.length - WINDOW
  if (start < 0 || tailAt <= start) return undefined
  const tail = source.read(tailAt, WINDOW)
  const end = endOfBase64url(tail, 0)
  if (end < 0 || tail[end] !== terminator) return undefined
  // A text no unpadded base64url has the length of is read whole, so that it is refused where and as
  // the parse of the whole envelope refuses it (the skeleton's empty text would pass that check).
  if (decodedLength(tailAt + end - start) < 0) return undefined
  return {
    skeleton: Buffer.concat([head.subarray(0, start), tail.subarray(end)]),
    ciphertext: subSource(source, start, tailAt + end),
    span: { start, end: tailAt + end },
  }
}

/** jose-v1: the compact JWE's fourth part (after the third dot, up to the fourth). */
function locateV1(source: ByteSource): LocatedEnvelope {
  if (source.length <= 2 * WINDOW) return whole(source)
  const head = source.read(0, WINDOW)
  const d1 = head.indexOf(DOT), d2 = d1 < 0 ? -1 : head.indexOf(DOT, d1 + 1), d3 = d2 < 0 ? -1 : head.indexOf(DOT, d2 + 1)
  return (d3 < 0 ? undefined : located(source, head, d3 + 1, DOT)) ?? whole(source)
}

/** jose-v2: the value of the flattened JSON's "ciphertext" member (members in any order). The
 *  skeleton's parse must find its (empty) ciphertext where it was cut, else the envelope is read whole. */
function locateV2(source: ByteSource): LocatedEnvelope {
  if (source.length <= 2 * WINDOW) return whole(source)
  const head = source.read(0, WINDOW)
  const name = head.indexOf('"ciphertext"')
  let at = name < 0 ? head.length : name + '"ciphertext"'.length
  const space = (): void => {
    while (at < head.length && (head[at] === 0x20 || head[at] === 0x09 || head[at] === 0x0a || head[at] === 0x0d)) at++
  }
  space()
  const colon = head[at] === 0x3a
  at++
  space()
  const l = colon && head[at] === QUOTE ? located(source, head, at + 1, QUOTE) : undefined
  if (l === undefined) return whole(source)
  try {
    const { content } = parseV2Envelope(l.skeleton)
    if (content.start === at + 1 && content.end === at + 1) return l
  } catch {
    // not the framing expected: read whole, and parsed (and refused) as before
  }
  return whole(source)
}

export const joseV1Ranged: RangedReader = {
  locate: locateV1,
  open: (l, key) => openJoseRanged(parseV1Envelope(l.skeleton).jwe, l.ciphertext, key),
  openReceived: (l, key) => {
    const { jwe } = parseV1Envelope(l.skeleton)
    return openJoseHashedFrom(jwe, key, l.ciphertext ?? bufferSource(jwe.parts[3]))
  },
}

export const joseV2Ranged: RangedReader = {
  locate: locateV2,
  open: (l, key) => openJoseRanged(parseV2Envelope(l.skeleton).jwe, l.ciphertext, key),
  openReceived: (l, key) => {
    const { jwe } = parseV2Envelope(l.skeleton)
    return openJoseHashedFrom(jwe, key, l.ciphertext ?? bufferSource(jwe.parts[3]))
  },
}

function openJoseRanged(jwe: ParsedJwe, ciphertext: ByteSource | undefined, key: PrivateKeyRef): RangedEnvelope {
  const cek = jwe.km.fits(key) ? jwe.km.unwrap(jwe.encryptedKey, jwe.header, key) : undefined
  if (cek?.length !== jwe.ce.keyBytes) throw decryptFailed()
  const text = ciphertext ?? bufferSource(jwe.parts[3])
  if (decodedLength(text.length) < 0) throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'The JWE ciphertext is not base64url.')
  const content: GcmContent = { key: cek, iv: jwe.iv, length: decodedLength(text.length), read: base64urlRange(text) }

  // The signed letter: decrypt slice by slice up to its LF.
  const head: Buffer[] = []
  let nl = -1
  for (let at = 0; nl < 0 && at < Math.min(content.length, MAX_SIGNED_LETTER_BYTES + 1); at += RANGE_SLICE) {
    const slice = Buffer.concat([...decryptRange(content, at, Math.min(at + RANGE_SLICE, content.length))])
    const i = slice.indexOf(LF)
    head.push(i < 0 ? slice : slice.subarray(0, i))
    if (i >= 0) nl = at + i
  }
  if (nl <= 0) throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'The bundle does not start with a signed letter followed by a line feed.')
  const verified = verifyCompact(Buffer.concat(head), V1.letterTyp)
  const parsed = parseStrictJsonObject(verified.payload) // PROTOCOL.md §5.6: I-JSON
  if (!parsed.ok) throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The signed payload ${parsed.detail}.`, parsed.pointer === undefined ? {} : { field: parsed.pointer })
  const payload = parsed.value
  return {
    payload,
    signerChain: verified.chain,
    attachments: layout(nl + 1, manifestOf(manifestHolder(payload)), content.length),
    slices: (start, end) => decryptRange(content, start, end),
  }
}
