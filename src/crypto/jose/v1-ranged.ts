// jose-v1 and jose-v2 envelopes opened for reading by range (crypto/ranged.ts): the ciphertext is
// base64url text inside the compact JWE (PROTOCOL.md §5.1) or the flattened JSON (§17.7), so byte b of
// it is in the 4-character group b/3; a range is decoded from its first whole group. The bundle is the
// same in both profiles: the signed letter runs up to the first LF (§5.3).
import type { PrivateKeyRef } from '../keys/private-key.js'
import { manifestHolder } from '../payload.js'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptRange, layout, RANGE_SLICE, type GcmContent, type RangedEnvelope } from '../ranged.js'
import { decodedLength } from './b64.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { decryptFailed } from './jwe.js'
import { verifyCompact } from './jws.js'
import { parseV1Envelope, V1 } from './v1-header.js'
import { parseV2Envelope } from './v2-envelope.js'
import type { ParsedJwe } from './jwe.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from './v1-payload.js'

const LF = 0x0a

/** The reader decodes into one scratch buffer per envelope: decryptRange consumes each range at once,
 *  so a download makes one new buffer per slice (the plaintext sent), not two. */
function base64urlRange(text: Buffer): GcmContent['read'] {
  let scratch = Buffer.alloc(0)
  return (start, end) => {
    const from = Math.floor(start / 3) * 4
    const to = Math.min(Math.ceil(end / 3) * 4, text.length)
    if (scratch.length < ((to - from) / 4) * 3 + 3) scratch = Buffer.allocUnsafeSlow(((to - from) / 4) * 3 + 3)
    const n = scratch.write(text.toString('latin1', from, to), 0, 'base64url')
    const skip = start % 3
    return scratch.subarray(skip, Math.min(n, skip + (end - start)))
  }
}

export function openV1Ranged(envelope: Buffer, key: PrivateKeyRef): RangedEnvelope {
  return openJoseRanged(parseV1Envelope(envelope).jwe, key)
}

export function openV2Ranged(envelope: Buffer, key: PrivateKeyRef): RangedEnvelope {
  return openJoseRanged(parseV2Envelope(envelope).jwe, key)
}

function openJoseRanged(jwe: ParsedJwe, key: PrivateKeyRef): RangedEnvelope {
  const cek = jwe.km.fits(key) ? jwe.km.unwrap(jwe.encryptedKey, jwe.header, key) : undefined
  if (cek?.length !== jwe.ce.keyBytes) throw decryptFailed()
  const text = jwe.parts[3]
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
