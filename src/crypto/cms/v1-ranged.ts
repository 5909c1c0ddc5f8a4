// cms-v1 envelopes opened for reading by range (crypto/ranged.ts): the encrypted content is one
// OCTET STRING or, from OpenSSL, a constructed one in chunks (PROTOCOL.md §12.4); a range may span
// chunks. The signed letter is the SignedData TLV at the start of the content (§12.3).
import type { PrivateKeyRef } from '../keys/private-key.js'
import { manifestHolder } from '../payload.js'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptPrefix, decryptRange, layout, type GcmContent, type RangedEnvelope } from '../ranged.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from '../jose/v1-payload.js'
import { decryptFailed, parseAuthEnveloped } from './auth-enveloped.js'
import { CmsSignedError, verifyCms } from './signed-data.js'

const SIGNED_ERRORS = { malformed: 'ERR_ENVELOPE_MALFORMED', unsupported: 'ERR_PROFILE_UNSUPPORTED', signature: 'ERR_SIGNATURE_INVALID' } as const

export function chunkedReader(chunks: readonly Buffer[]): GcmContent['read'] {
  const starts: number[] = []
  let total = 0
  for (const c of chunks) (starts.push(total), (total += c.length))
  return (start, end) => {
    let i = 0
    while (i + 1 < chunks.length && starts[i + 1]! <= start) i++
    const first = chunks[i]!.subarray(start - starts[i]!, end - starts[i]!)
    if (first.length === end - start) return first // the usual case: no copy
    const parts = [first]
    let got = first.length
    for (let k = i + 1; got < end - start; k++) {
      const piece = chunks[k]!.subarray(0, end - start - got)
      parts.push(piece)
      got += piece.length
    }
    return Buffer.concat(parts, got)
  }
}

/** Length of the DER/BER element at the start of `prefix` (its header only), or undefined if indefinite. */
function tlvLength(prefix: Buffer): number | undefined {
  if (prefix.length < 2 || prefix[0] !== 0x30) throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'The bundle does not start with a SignedData.')
  const lb = prefix[1]!
  if (lb === 0x80) return undefined
  if (lb < 0x80) return 2 + lb
  const n = lb & 0x7f
  if (n > 4 || prefix.length < 2 + n) throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'The signed letter has a bad length.')
  let len = 0
  for (let i = 0; i < n; i++) len = len * 256 + prefix[2 + i]!
  return 2 + n + len
}

export function openCmsV1Ranged(envelope: Buffer, key: PrivateKeyRef): RangedEnvelope {
  const parsed = parseAuthEnveloped(envelope)
  const cek = parsed.recipient.unwrap(key)
  if (cek?.length !== 32) throw decryptFailed()
  const length = parsed.ciphertext.reduce((n, c) => n + c.length, 0)
  const content: GcmContent = { key: cek, iv: parsed.nonce, length, read: chunkedReader(parsed.ciphertext) }
  const declared = tlvLength(decryptPrefix(content, 6))
  const head = decryptPrefix(content, Math.min(declared ?? MAX_SIGNED_LETTER_BYTES, MAX_SIGNED_LETTER_BYTES))
  let verified
  try {
    verified = verifyCms(head)
  } catch (e) {
    if (e instanceof CmsSignedError) throw new SarabanError(SIGNED_ERRORS[e.kind], e.kind === 'signature' ? e.message : `The signed letter is refused: ${e.message}.`)
    throw e
  }
  const strict = parseStrictJsonObject(verified.payload) // PROTOCOL.md §5.6: I-JSON
  if (!strict.ok) throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The signed payload ${strict.detail}.`, strict.pointer === undefined ? {} : { field: strict.pointer })
  const payload = strict.value
  return {
    payload,
    signerChain: verified.chain,
    attachments: layout(verified.end, manifestOf(manifestHolder(payload)), length),
    slices: (start, end) => decryptRange(content, start, end),
  }
}
