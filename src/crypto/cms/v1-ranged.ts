// cms-v1 envelopes opened for reading by range (crypto/ranged.ts): the encrypted content is one
// OCTET STRING or, from OpenSSL, a constructed one in chunks (PROTOCOL.md §12.4); a range may span
// chunks. The signed letter is the SignedData TLV at the start of the content (§12.3).
// A stored envelope is read from a ByteSource (issue 16 item 2: its chunk rows): locate() walks the
// DER headers down to the encryptedContent and reads only what lies around it (version, the
// RecipientInfo, the algorithm, the mac), which it frames again with an empty encryptedContent so that
// the profile's parser checks it as any envelope; the ciphertext octets are read by range. A framing
// other than definite lengths with one primitive encryptedContent (as this node writes) is read whole.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { manifestHolder } from '../payload.js'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptPrefix, decryptRange, layout, subSource, whole, type ByteSource, type GcmContent, type LocatedEnvelope, type RangedEnvelope, type RangedReader } from '../ranged.js'
import { header } from './der-write.js'
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

/** Bytes read around the ciphertext at most (the RecipientInfo with its certificate id, the algorithm, the mac). */
const AROUND = 64 * 1024

/** A definite-length element's header at `at`: tag, where its content starts and its length. */
interface Head { readonly tag: number; readonly start: number; readonly body: number; readonly end: number }

function headAt(source: ByteSource, at: number, limit: number): Head | undefined {
  if (at + 2 > limit) return undefined
  const b = source.read(at, Math.min(6, limit - at))
  const lb = b[1]!
  if ((b[0]! & 0x1f) === 0x1f || lb === 0x80 || lb === 0xff) return undefined // high tag numbers, indefinite: read whole
  const n = lb < 0x80 ? 0 : lb & 0x7f
  if (n > 4 || b.length < 2 + n) return undefined
  let length = lb < 0x80 ? lb : 0
  for (let i = 0; i < n; i++) length = length * 256 + b[2 + i]!
  const end = at + 2 + n + length
  return end > limit ? undefined : { tag: b[0]!, start: at, body: at + 2 + n, end }
}

/** The children of a definite-length element, at most `max`. */
function childrenOf(source: ByteSource, parent: Head, max: number): Head[] | undefined {
  const out: Head[] = []
  for (let at = parent.body; at < parent.end; ) {
    const h = headAt(source, at, parent.end)
    if (h === undefined || out.length === max) return undefined
    out.push(h)
    at = h.end
  }
  return out
}

/** ContentInfo { oid, [0] AuthEnvelopedData { version, recipientInfos, authEncryptedContentInfo
 *  { oid, algorithm, [0] IMPLICIT encryptedContent }, mac } } (RFC 5083 §2.1, PROTOCOL.md §12.4). */
function locateCms(source: ByteSource): LocatedEnvelope {
  if (source.length <= 2 * AROUND) return whole(source)
  const ci = headAt(source, 0, source.length)
  const ciKids = ci?.tag === 0x30 && ci.end === source.length ? childrenOf(source, ci, 2) : undefined
  const wrapped = ciKids?.length === 2 && ciKids[1]!.tag === 0xa0 ? childrenOf(source, ciKids[1]!, 1) : undefined
  const aed = wrapped?.length === 1 && wrapped[0]!.tag === 0x30 ? wrapped[0]! : undefined
  const aedKids = aed && childrenOf(source, aed, 8)
  const eci = aedKids?.[2]?.tag === 0x30 ? aedKids[2]! : undefined
  const eciKids = eci && childrenOf(source, eci, 3)
  const ct = eciKids?.length === 3 && eciKids[2]!.tag === 0x80 ? eciKids[2]! : undefined
  if (ci === undefined || ciKids === undefined || aed === undefined || eci === undefined || ct === undefined) return whole(source)
  if (ct.body - aed.body > AROUND || aed.end - ct.end > AROUND) return whole(source)
  const read = (from: number, to: number): Buffer => source.read(from, to - from)
  const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts)
    return Buffer.concat([header(tag, body.length), body])
  }
  const eciSkeleton = tlv(0x30, read(eci.body, ct.start), header(0x80, 0))
  const aedSkeleton = tlv(0x30, read(aed.body, eci.start), eciSkeleton, read(eci.end, aed.end))
  const skeleton = tlv(0x30, read(ci.body, ciKids[1]!.start), tlv(0xa0, aedSkeleton))
  return { skeleton, ciphertext: subSource(source, ct.body, ct.end) }
}

export const cmsV1Ranged: RangedReader = { locate: locateCms, open: openLocated }

function openLocated(located: LocatedEnvelope, key: PrivateKeyRef): RangedEnvelope {
  const parsed = parseAuthEnveloped(located.skeleton)
  const cek = parsed.recipient.unwrap(key)
  if (cek?.length !== 32) throw decryptFailed()
  const ct = located.ciphertext
  const length = ct ? ct.length : parsed.ciphertext.reduce((n, c) => n + c.length, 0)
  const read: GcmContent['read'] = ct ? (start, end) => ct.read(start, end - start) : chunkedReader(parsed.ciphertext)
  const content: GcmContent = { key: cek, iv: parsed.nonce, length, read }
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
