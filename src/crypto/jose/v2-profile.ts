// Envelope profile 'jose-v2' (PROTOCOL.md §17.7): the jose-v1 bundle and signed letter (§5.3, §5.4)
// in a JWE Flattened JSON Serialization whose content is encrypted once for every recipient of a
// letter: one protected header (AAD), IV, ciphertext and tag; per recipient an unprotected `header`
// (alg, x5t#S256, epk, srb_*) and `encrypted_key`. The ciphertext's base64url text is written once,
// with Buffer (Base64UrlStream), into the shared bytes. The ciphertext is the FIRST member: every
// part's head is the same 15 bytes, so SHA-256 of head ‖ shared is computed once and each part's
// envelopeSha256 only adds its tail (a few hundred bytes) to a copy of that state.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { createCipheriv, createHash, randomBytes, type KeyObject, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { bindRouting, encodePayloadV2, manifestHolder } from '../payload.js'
import type {
  EnvelopeHeader, EnvelopeProfile, Opened, OpenMemo, PlacedContent, ReceiptClaims, Routing, SealInput, Sealed, SealedMany, SealedTo, SealManyInput, SealsMany, SealsOneTo, SignerIdentity, StreamSealInput, StreamSealManyInput,
} from '../types.js'
import { decodedLength, encodedLength } from './b64.js'
import { heldFor } from '../types.js'
import { Base64UrlStream } from './b64-writer.js'
import { BufferOut, oneRecipient, slicesOf, totalLength, type PlainPart, type RegionSink } from '../seal-sink.js'
import { DEFAULT_CONTENT, keyManagementFor } from './jwe-algorithms.js'
import { decryptParsed, decryptWithContentKey, type ParsedJwe } from './jwe.js'
import { signCompact } from './jws.js'
import { certThumbprint, V1 } from './v1-header.js'
import { bundleParts, encodePayload } from './v1-payload.js'
import { checkBundle, matchesV1Recipient, signatureOf, SRB_NAMES } from './v1-profile.js'
import { signV1Receipt, verifyV1Receipt } from './v1-receipt.js'
import { parseV2Envelope, V2, v2Protected } from './v2-envelope.js'

const SLICE = 48 * 1024 // a multiple of 3: see jwe.ts

interface Shared { protectedB64: string; cek: Buffer; ivB64: string; tagB64: string; text: Buffer }

/** Every part's head (§17.7): the envelope opens with the ciphertext member. */
const HEAD = Buffer.from('{"ciphertext":"', 'latin1')

/** Encrypts the bundle once: AAD = ASCII(protected), the ciphertext's base64url written into one buffer. */
function encryptShared(plaintext: readonly Buffer[]): Shared {
  const ce = DEFAULT_CONTENT
  const keys = { cek: randomBytes(ce.keyBytes), iv: randomBytes(ce.ivBytes) }
  const text = new BufferOut(encodedLength(totalLength(plaintext)))
  const s = encryptSharedTo(plaintext, text.put, keys)
  return { ...s, text: text.done() }
}

/** As encryptShared(), the ciphertext's base64url text going to `put` region by region (issue 16
 *  item 2), with the given CEK and IV; the one implementation of both. */
export function encryptSharedTo(plaintext: readonly PlainPart[], put: RegionSink, keys: { cek: Buffer; iv: Buffer }): Omit<Shared, 'text'> {
  const ce = DEFAULT_CONTENT
  const protectedB64 = v2Protected(ce.enc)
  const total = totalLength(plaintext)
  const cipher = createCipheriv(ce.cipher, keys.cek, keys.iv, { authTagLength: ce.tagBytes })
  cipher.setAAD(Buffer.from(protectedB64, 'latin1'))
  const w = new Base64UrlStream(put)
  for (const part of plaintext) {
    for (const slice of slicesOf(part, SLICE)) w.write(cipher.update(slice))
  }
  w.write(cipher.final())
  if (w.end() !== encodedLength(total)) throw new Error('jose-v2: ciphertext length')
  return { protectedB64, cek: keys.cek, ivB64: keys.iv.toString('base64url'), tagB64: cipher.getAuthTag().toString('base64url') }
}

type Wrapped = { header: string; ekB64: string }

/** One recipient's per-recipient header and encrypted key (§17.7). */
function wrapFor(cek: Buffer, r: { messageId: string; from: string; to: string; cert: X509Certificate }): Wrapped {
  const km = keyManagementFor(r.cert.publicKey)
  if (km === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The recipient encryption key is of a type or size jose-v2 does not support.')
  const { encryptedKey, header: kmHeader } = km.wrap(cek, r.cert.publicKey)
  const header = { alg: km.alg, 'x5t#S256': certThumbprint(r.cert), ...kmHeader, srb_mid: r.messageId, srb_from: r.from, srb_to: r.to }
  return { header: JSON.stringify(header), ekB64: encryptedKey.toString('base64url') }
}

function tailOf(s: Pick<Shared, 'protectedB64' | 'ivB64' | 'tagB64'>, w: Wrapped): Buffer {
  return Buffer.from(`","protected":"${s.protectedB64}","header":${w.header},"encrypted_key":"${w.ekB64}","iv":"${s.ivB64}","tag":"${s.tagB64}"}`, 'utf8')
}

/** One recipient's tail: everything after the ciphertext text (§17.7). */
function tailFor(s: Shared, r: { messageId: string; from: string; to: string; cert: X509Certificate }): Buffer {
  return tailOf(s, wrapFor(s.cek, r))
}

/** One recipient: the v1 payload (§17.2), in the jose-v2 container; sealJoseV2To() into one buffer. */
export function sealJoseV2(input: SealInput): Sealed {
  let out: BufferOut | undefined
  const { size: _size, ...sealed } = sealJoseV2To(input, (size) => (out = new BufferOut(size)).put)
  return { ...sealed, envelope: out!.done() }
}

/** One recipient's jose-v2 envelope into a sink (issue 16 item 2: straight into chunk rows, attachments
 *  read by range): head, the ciphertext text as it is encrypted, tail. sealJoseV2() is this with a
 *  buffer for a sink. `random`: a seam for tests (a fixed CEK and IV). */
export function sealJoseV2To(input: StreamSealInput, open: (size: number) => RegionSink, random: (n: number) => Buffer = randomBytes): SealedTo {
  if (input.signer.agency !== input.from) throw new Error('seal: the signer must be the sending agency ("from")')
  const jws = signCompact(V1.letterTyp, encodePayload(input), input.signer)
  const plaintext = bundleParts(jws, input.attachments, manifestHolder(input))
  const ce = DEFAULT_CONTENT
  const keys = { cek: random(ce.keyBytes), iv: random(ce.ivBytes) }
  const wrapped = wrapFor(keys.cek, { messageId: input.messageId, from: input.from, to: input.to, cert: input.recipientCert })
  // The tag is always encodedLength(tagBytes) characters: the size is known before encrypting.
  const shape = { protectedB64: v2Protected(ce.enc), ivB64: keys.iv.toString('base64url'), tagB64: 'A'.repeat(encodedLength(ce.tagBytes)) }
  const size = HEAD.length + encodedLength(totalLength(plaintext)) + tailOf(shape, wrapped).length
  const hash = createHash('sha256')
  const sink = open(size)
  const put: RegionSink = (region) => (hash.update(region), sink(region))
  put(HEAD)
  const s = encryptSharedTo(plaintext, put, keys)
  put(tailOf(s, wrapped))
  return { size, envelopeSha256: hash.digest('hex'), mediaType: V2.mediaType, contentKey: s.cek, signature: signatureOf(jws) }
}

/** sealManyJoseV2()'s one part for a one-recipient `input`, into a sink (as it: the checkpoint too, §20.5). */
function sealOneJoseV2To(input: StreamSealManyInput, open: (size: number) => RegionSink): SealedTo {
  const r = oneRecipient(input)
  return sealJoseV2To({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint }, open)
}

/** Several recipients: the v2 payload signed once, the content encrypted once (§17.7). */
export function sealManyJoseV2(input: SealManyInput): SealedMany {
  if (input.signer.agency !== input.from) throw new Error('sealMany: the signer must be the sending agency ("from")')
  if (input.recipients.length === 1) {
    const r = input.recipients[0]!
    const one = sealJoseV2({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint })
    return { mediaType: V2.mediaType, shared: Buffer.alloc(0), parts: [{ messageId: r.messageId, to: r.to, head: one.envelope, tail: Buffer.alloc(0), envelopeSha256: one.envelopeSha256, contentKey: one.contentKey, signature: one.signature }] }
  }
  const jws = signCompact(V1.letterTyp, encodePayloadV2(input), input.signer)
  const signature = signatureOf(jws)
  const s = encryptShared(bundleParts(jws, input.attachments, input.letter))
  const common = createHash('sha256').update(HEAD).update(s.text)
  const parts = input.recipients.map((r) => {
    const tail = tailFor(s, { messageId: r.messageId, from: input.from, to: r.to, cert: r.cert })
    return { messageId: r.messageId, to: r.to, head: HEAD, tail, envelopeSha256: common.copy().update(tail).digest('hex'), contentKey: s.cek, signature }
  })
  return { mediaType: V2.mediaType, shared: s.text, parts }
}

// PROTOCOL.md §4.1: routing headers are optional for jose-v2 (the envelope names its parties), and must agree when sent.
const ROUTED = [['messageId', 'srb_mid'], ['from', 'srb_from'], ['to', 'srb_to']] as const

export function peekJoseV2(envelope: Buffer, routing?: Routing, placed?: PlacedContent): EnvelopeHeader {
  const { header } = parseV2Envelope(envelope, placed)
  if (routing !== undefined) {
    for (const [r, h] of ROUTED) {
      if (routing[r] !== header[r]) {
        throw new SarabanError('ERR_ENVELOPE_HEADER_MISMATCH', `The request's routing header says ${r} "${routing[r]}" but the envelope's "${h}" says "${header[r]}".`, { field: h })
      }
    }
  }
  return header
}

export function openJoseV2(envelope: Buffer, key: PrivateKeyRef, memo?: OpenMemo, placed?: PlacedContent): Opened {
  const { jwe, content } = parseV2Envelope(envelope, placed)
  if (memo === undefined) return checkBundle(jwe, decryptParsed(jwe, key))
  // A key-unwrap failure takes the path without the memo: the same work and the same one error (§5.8).
  const cek = jwe.km.fits(key) ? jwe.km.unwrap(jwe.encryptedKey, jwe.header, key) : undefined
  if (cek?.length !== jwe.ce.keyBytes) return checkBundle(jwe, decryptParsed(jwe, key))
  // The ciphertext text is exactly bytes put in place from held content: its SHA-256 is known (§17.8).
  const known = placed !== undefined && placed.start === content.start && placed.end === content.end ? placed.sha256 : undefined
  return openHeld(jwe, cek, memo, known)
}

/** The memo's key (OpenMemo): what the plaintext and its checks depend on besides the ciphertext
 *  (compared by heldFor, by its SHA-256 when `ciphertextSha256` is known), and the routing sender. */
function openHeld(jwe: ParsedJwe, cek: Buffer, memo: OpenMemo, ciphertextSha256?: string): Opened {
  const [protectedB64, , , ct] = jwe.parts
  const id = createHash('sha256').update(V2.id).update('\0').update(jwe.header['srb_from'] as string).update('\0').update(cek)
    .update(jwe.iv).update(jwe.tag).update(protectedB64).digest('base64url')
  const held = heldFor(memo, id, [ct], ciphertextSha256)
  if (held !== undefined) return rebind(jwe, held)
  const opened = checkBundle(jwe, decryptWithContentKey(jwe, cek))
  // Hashed once per held opening (the first part, often sent whole), so that later parts by reference
  // are compared by digest.
  const sha256 = ciphertextSha256 ?? createHash('sha256').update(ct).digest('hex')
  memo.set(id, { opened, ciphertext: [ct], ciphertextSha256: sha256 }, decodedLength(ct.length) + ct.length)
  return opened
}

/** A held opening for this envelope: the same plaintext, bound to this envelope's own routing (§17.3). */
function rebind(jwe: ParsedJwe, held: Opened): Opened {
  const h = jwe.header
  bindRouting(held.payload, { messageId: h['srb_mid'] as string, from: h['srb_from'] as string, to: h['srb_to'] as string }, SRB_NAMES)
  return held
}

export function openJoseV2WithContentKey(envelope: Buffer, contentKey: Buffer, memo?: OpenMemo): Opened {
  const { jwe } = parseV2Envelope(envelope)
  if (memo === undefined || contentKey.length !== jwe.ce.keyBytes) return checkBundle(jwe, decryptWithContentKey(jwe, contentKey))
  return openHeld(jwe, contentKey, memo)
}

export const joseV2: EnvelopeProfile & SealsMany & SealsOneTo = Object.freeze({
  id: V2.id,
  mediaType: V2.mediaType,
  receiptMediaType: V2.receiptMediaType,
  seal: async (input: SealInput) => sealJoseV2(input),
  sealOneTo: sealOneJoseV2To,
  sealMany: async (input: SealManyInput) => sealManyJoseV2(input),
  peek: (envelope: Buffer, routing?: Routing, placed?: PlacedContent) => peekJoseV2(envelope, routing, placed),
  contentSpan: (envelope: Buffer) => parseV2Envelope(envelope).content, // the ciphertext text: SealedMany.shared
  matchesRecipient: matchesV1Recipient,
  open: async (envelope: Buffer, key: PrivateKeyRef, _routing?: Routing, memo?: OpenMemo, placed?: PlacedContent) => openJoseV2(envelope, key, memo, placed),
  openWithContentKey: async (envelope: Buffer, contentKey: Buffer, memo?: OpenMemo) => openJoseV2WithContentKey(envelope, contentKey, memo),
  signReceipt: async (claims: ReceiptClaims, signer: SignerIdentity) => signV1Receipt(claims, signer),
  signReceiptNow: (claims: ReceiptClaims, signer: SignerIdentity) => signV1Receipt(claims, signer),
  verifyReceipt: async (receipt: Buffer) => verifyV1Receipt(receipt),
})
