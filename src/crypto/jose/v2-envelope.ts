// The jose-v2 envelope (PROTOCOL.md §17.7): a JWE in Flattened JSON Serialization (RFC 7516 §7.2.2)
// whose protected header (the AAD), IV, ciphertext and tag are the same for every recipient of a
// letter, and whose unprotected per-recipient `header` and `encrypted_key` are not. Written as
//   {"ciphertext":"                                                                  ← head (the same for all)
//   …base64url ciphertext…                                                           ← shared
//   ","protected":"…","header":{…},"encrypted_key":"…","iv":"…","tag":"…"}           ← tail (per recipient)
// Readers accept the members in any order.
// This file parses it (no key) into the ParsedJwe that jwe.ts decrypts.
import { SarabanError } from '../../errors.js'
import type { ByteSpan, EnvelopeHeader, PlacedContent } from '../types.js'
import { decodedLength, decodeStrict, encodedLength } from './b64.js'
import { checkMembers, parseProtectedHeader } from './compact.js'
import { readFlattened } from './flattened.js'
import { contentEncryption, keyManagement } from './jwe-algorithms.js'
import type { ParsedJwe } from './jwe.js'
import { AGENCY_ID, MESSAGE_ID, V1 } from './v1-header.js'

export const V2 = {
  id: 'jose-v2',
  mediaType: 'application/jose+json', // RFC 7516 §9.2.1 (JSON serialization)
  receiptMediaType: 'application/jose', // receipts are jose-v1's compact JWS (§6.2), profile "jose-v2"
  envelopeTyp: V1.envelopeTyp,
  bundleCty: V1.bundleCty,
  version: 2,
} as const

/** Bounds (PROTOCOL.md §17.7): the protected header and the per-recipient header, in bytes. */
export const MAX_V2_PROTECTED_CHARS = 1024
export const MAX_V2_HEADER_BYTES = 4096

const ENVELOPE_MEMBERS = ['protected', 'header', 'encrypted_key', 'iv', 'ciphertext', 'tag'] as const
const PROTECTED_MEMBERS = ['enc', 'typ', 'cty', 'srb_v'] as const
const HEADER_MEMBERS = ['alg', 'x5t#S256', 'srb_mid', 'srb_from', 'srb_to'] as const

const malformed = (detail: string, field?: string): SarabanError => new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
const unsupported = (detail: string, field: string): SarabanError => new SarabanError('ERR_PROFILE_UNSUPPORTED', detail, { field })

/** The shared protected header, base64url (the AAD of every part). */
export function v2Protected(enc: string): string {
  return Buffer.from(JSON.stringify({ enc, typ: V2.envelopeTyp, cty: V2.bundleCty, srb_v: V2.version }), 'utf8').toString('base64url')
}

/** Where a member's value (a view readFlattened returned) lies in the envelope. */
function spanIn(envelope: Buffer, view: Buffer): ByteSpan {
  const start = view.byteOffset - envelope.byteOffset
  if (view.buffer !== envelope.buffer || start < 0 || start + view.length > envelope.length) throw new Error('jose-v2: a member is not a view into the envelope')
  return { start, end: start + view.length }
}

type ParsedV2 = { jwe: ParsedJwe; header: EnvelopeHeader; content: ByteSpan }

// A receive reads one envelope three times (peek, open, contentSpan), each a scan of its megabytes
// of ciphertext text: parsed once per Buffer (issue 16 item 3). Received envelopes are never written to.
const parsed = new WeakMap<Buffer, ParsedV2>()

/** Parse only, no key: PROTOCOL.md §17.7 steps, in the order of §5.8 step 1. `content` is where the
 *  ciphertext's base64url text lies in the envelope (the bytes shared by every recipient's envelope).
 *  `placed`: bytes the receiver put in place from held content (§17.8); the same result, sooner. */
export function parseV2Envelope(envelope: Buffer, placed?: PlacedContent): ParsedV2 {
  let p = parsed.get(envelope)
  if (p === undefined) parsed.set(envelope, (p = parseOnce(envelope, placed)))
  return p
}

// Whether held shared content, by SHA-256 and length, holds neither '"' nor '\': a jose-v2 part's
// ciphertext text never does, and the parts of one circular by reference (§17.8) carry the same
// bytes, so they are scanned once per content instead of twice per part (issue 16 item 3: two passes
// over 1.4 MB per envelope). Computed from the bytes, never assumed (a reference may name any bytes).
const CLEAN_CONTENTS = 16
const cleanContents = new Map<string, boolean>()

function cleanSpan(envelope: Buffer, placed: PlacedContent | undefined): ByteSpan | undefined {
  if (placed === undefined || placed.start < 0 || placed.start > placed.end || placed.end > envelope.length) return undefined
  const key = `${placed.sha256}:${placed.end - placed.start}`
  let clean = cleanContents.get(key)
  if (clean === undefined) {
    const bytes = envelope.subarray(placed.start, placed.end)
    clean = bytes.indexOf(0x22) < 0 && bytes.indexOf(0x5c) < 0
    if (cleanContents.size >= CLEAN_CONTENTS) cleanContents.delete(cleanContents.keys().next().value!)
    cleanContents.set(key, clean)
  }
  return clean ? placed : undefined
}

function parseOnce(envelope: Buffer, placed: PlacedContent | undefined): ParsedV2 {
  const f = readFlattened(envelope, ENVELOPE_MEMBERS, MAX_V2_HEADER_BYTES, cleanSpan(envelope, placed))
  for (const m of ENVELOPE_MEMBERS) {
    if (m === 'header' ? f.header === undefined : !f.strings.has(m)) throw malformed(`The envelope lacks "${m}".`, m)
  }
  const protectedB64 = f.strings.get('protected')!
  const p = parseProtectedHeader(protectedB64, MAX_V2_PROTECTED_CHARS, 'ERR_ENVELOPE_MALFORMED', 'JWE')
  const h = f.header!
  for (const k of Object.keys(h)) if (k in p) throw malformed(`"${k}" is in both the protected and the per-recipient header (RFC 7516 §7.2.1).`, k)
  if (typeof h['alg'] !== 'string') throw malformed('The JWE header lacks "alg".', 'alg')
  if (typeof p['enc'] !== 'string') throw malformed('The JWE protected header lacks "enc".', 'enc')
  const km = keyManagement(h['alg'])
  if (km === undefined) throw unsupported(`JWE "alg" ${JSON.stringify(h['alg'])} is not allowed.`, 'alg')
  const ce = contentEncryption(p['enc'])
  if (ce === undefined) throw unsupported(`JWE "enc" ${JSON.stringify(p['enc'])} is not allowed.`, 'enc')
  const ek = f.strings.get('encrypted_key')!, iv = f.strings.get('iv')!, ct = f.strings.get('ciphertext')!, tag = f.strings.get('tag')!
  if (ek.length === 0 || ek.length > km.maxEncryptedKeyChars) throw malformed('The JWE encrypted key has the wrong length.', 'encrypted_key')
  if (iv.length !== encodedLength(ce.ivBytes)) throw malformed('The JWE initialization vector has the wrong length.', 'iv')
  if (tag.length !== encodedLength(ce.tagBytes)) throw malformed('The JWE authentication tag has the wrong length.', 'tag')
  if (decodedLength(ct.length) < 0) throw malformed('The JWE ciphertext is not base64url.', 'ciphertext')
  const encryptedKey = decodeStrict(ek), ivBytes = decodeStrict(iv), tagBytes = decodeStrict(tag)
  if (encryptedKey === undefined || ivBytes === undefined || tagBytes === undefined) throw malformed('A JWE part is not base64url.')
  if (p['typ'] !== V2.envelopeTyp || p['srb_v'] !== V2.version) throw unsupported(`Not a jose-v2 envelope (typ "${V2.envelopeTyp}", srb_v ${V2.version}).`, 'typ')
  checkMembers(p, PROTECTED_MEMBERS, [], 'JWE protected')
  checkMembers(h, [...HEADER_MEMBERS, ...km.headerMembers], [], 'JWE per-recipient')
  if (p['cty'] !== V2.bundleCty) throw malformed(`JWE "cty" must be "${V2.bundleCty}".`, 'cty')
  const kid = h['x5t#S256']
  if (typeof kid !== 'string' || decodeStrict(Buffer.from(kid, 'latin1'))?.length !== 32) {
    throw malformed('JWE "x5t#S256" must be the base64url SHA-256 of the recipient certificate.', 'x5t#S256')
  }
  const mid = h['srb_mid']
  if (typeof mid !== 'string' || !MESSAGE_ID.test(mid)) throw malformed('JWE "srb_mid" must be a lowercase UUID.', 'srb_mid')
  for (const k of ['srb_from', 'srb_to'] as const) {
    if (typeof h[k] !== 'string' || !AGENCY_ID.test(h[k] as string)) throw malformed(`JWE "${k}" must be an agency id.`, k)
  }
  const jwe: ParsedJwe = { header: { ...p, ...h }, km, ce, parts: [protectedB64, ek, iv, ct, tag], encryptedKey, iv: ivBytes, tag: tagBytes }
  return { jwe, content: spanIn(envelope, ct), header: { profile: V2.id, messageId: mid, from: h['srb_from'] as string, to: h['srb_to'] as string, recipientKeyId: kid } }
}
