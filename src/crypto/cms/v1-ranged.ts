// cms-v1 envelopes opened for reading by range (crypto/ranged.ts): the encrypted content is one
// OCTET STRING or, from OpenSSL, a constructed one in chunks (PROTOCOL.md §12.4); a range may span
// chunks. The signed letter is the SignedData TLV at the start of the content (§12.3).
// A stored envelope is read from a ByteSource (issue 16 item 2: its chunk rows): locate() walks the
// DER headers down to the encryptedContent and reads only what lies around it (version, the
// RecipientInfo, the algorithm, the mac), which it frames again with an empty encryptedContent so that
// the profile's parser checks it as any envelope; the ciphertext octets are read by range. A framing
// the walker does not follow (src/crypto/cms/ranged-ber.ts) is read whole.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { manifestHolder } from '../payload.js'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptPrefix, decryptRange, layout, sourceReader, whole, type GcmContent, type LocatedEnvelope, type RangedEnvelope, type RangedReader } from '../ranged.js'
import { bufferSource, joinedSource, subSource, type ByteSource } from '../../byte-source.js'
import { header } from './der-write.js'
import { BerWalk } from './ranged-ber.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from '../jose/v1-payload.js'
import { decryptFailed, parseAuthEnveloped } from './auth-enveloped.js'
import { CmsSignedError, verifyCms } from './signed-data.js'
import { openCmsV1StagedWithKey } from './v1-profile.js'

const SIGNED_ERRORS = { malformed: 'ERR_ENVELOPE_MALFORMED', unsupported: 'ERR_PROFILE_UNSUPPORTED', signature: 'ERR_SIGNATURE_INVALID' } as const

/** The encryptedContent as parsed (one OCTET STRING or its chunks) read as one. */
export function chunkedReader(chunks: readonly Buffer[]): GcmContent['read'] {
  return sourceReader(joinedSource(chunks.map(bufferSource)))
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

/** ContentInfo { oid, [0] AuthEnvelopedData { version, recipientInfos, authEncryptedContentInfo
 *  { oid, algorithm, [0] IMPLICIT encryptedContent }, mac } } (RFC 5083 §2.1, PROTOCOL.md §12.4),
 *  with definite or indefinite lengths; the encryptedContent primitive or in one level of chunks. */
function locateCms(source: ByteSource): LocatedEnvelope {
  if (source.length <= 2 * AROUND) return whole(source)
  const w = new BerWalk(source)
  const ci = w.at(0, source.length)
  const ciKids = ci?.tag === 0x30 && ci.next === source.length ? w.children(ci, 2) : undefined
  const wrapped = ciKids?.length === 2 && ciKids[1]!.tag === 0xa0 ? ciKids[1]! : undefined
  const aed = wrapped && w.children(wrapped, 1)?.[0]
  const aedKids = aed?.tag === 0x30 ? w.children(aed, 8) : undefined
  const eci = aedKids?.[2]?.tag === 0x30 ? aedKids[2]! : undefined
  const eciKids = eci && w.children(eci, 3)
  const ct = eciKids?.length === 3 ? eciKids[2]! : undefined
  const pieces = ct?.tag === 0x80 ? [ct] : ct?.tag === 0xa0 ? w.children(ct, Number.MAX_SAFE_INTEGER) : undefined
  if (ci === undefined || wrapped === undefined || aed === undefined || eci === undefined || ct === undefined || pieces === undefined) return whole(source)
  if (pieces.some((p) => p !== ct && p.tag !== 0x04)) return whole(source) // chunks of chunks: read whole
  if (ct.start - aed.body > AROUND || aed.end - ct.next > AROUND) return whole(source)
  const read = (from: number, to: number): Buffer => source.read(from, to - from)
  const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts)
    return Buffer.concat([header(tag, body.length), body])
  }
  // The same envelope in definite lengths with an empty encryptedContent; the parts around it verbatim.
  const eciSkeleton = tlv(0x30, read(eci.body, ct.start), header(0x80, 0))
  const aedSkeleton = tlv(0x30, read(aed.body, eci.start), eciSkeleton, read(eci.next, aed.end))
  const skeleton = tlv(0x30, read(ci.body, wrapped.start), tlv(0xa0, aedSkeleton))
  // span: the encryptedContent's octets, as parseAuthEnveloped() names them (chunks with their headers).
  return { skeleton, ciphertext: joinedSource(pieces.map((p) => subSource(source, p.body, p.end))), span: { start: ct.body, end: ct.end } }
}

export const cmsV1Ranged: RangedReader = {
  locate: locateCms,
  open: openLocated,
  // The hashed open of cms-v1 (v1-hashed.ts); a bundle its framing does not follow is opened whole.
  openReceived: (l, key, routing, whole) => openCmsV1StagedWithKey(l.skeleton, l.ciphertext, key, routing, whole),
}

function openLocated(located: LocatedEnvelope, key: PrivateKeyRef): RangedEnvelope {
  const parsed = parseAuthEnveloped(located.skeleton)
  const cek = parsed.recipient.unwrap(key)
  if (cek?.length !== 32) throw decryptFailed()
  const ct = located.ciphertext ?? joinedSource(parsed.ciphertext.map(bufferSource))
  const content: GcmContent = { key: cek, iv: parsed.nonce, length: ct.length, read: sourceReader(ct) }
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
    attachments: layout(verified.end, manifestOf(manifestHolder(payload)), ct.length),
    slices: (start, end) => decryptRange(content, start, end),
  }
}
