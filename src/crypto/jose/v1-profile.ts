// Envelope profile 'jose-v1' (PROTOCOL.md §5, §6): a JWS-signed letter, bundled with its attachment
// bytes, inside a JWE for one recipient. Built on node:crypto and Buffers (panva/jose is used only as
// a cross-check in tests: its btoa-based base64 is an order of magnitude slower on large attachments,
// see test/interop/measure-jose.ts).
import type { PrivateKeyRef } from '../keys/private-key.js'
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import type { EnvelopeHeader, EnvelopeProfile, Opened, ReceiptClaims, Routing, SealInput, Sealed, SealedTo, SealsOneTo, SignerIdentity, StreamSealInput, StreamSealManyInput } from '../types.js'
import { decryptParsed, decryptParsedSourceToSink, decryptParsedToSink, decryptWithContentKey, encryptCompactTo, type ParsedJwe } from './jwe.js'
import { BufferOut, oneRecipient, type RegionSink } from '../seal-sink.js'
import type { ByteSource } from '../../byte-source.js'
import { BundleSink } from './v1-bundle-sink.js'
import { signCompact, verifyCompact } from './jws.js'
import { parseV1Envelope, V1, v1HeaderFields } from './v1-header.js'
import { attachmentsOf, bundleParts, decodePayload, encodePayload, splitBundle } from './v1-payload.js'
import { signV1Receipt, verifyV1Receipt } from './v1-receipt.js'
import { bindRouting, manifestHolder } from '../payload.js'

/** Options for tests and test vectors only (e.g. PS256 signatures); production calls pass none. */
export interface SealOptions { signAlg?: string }

export function sealV1(input: SealInput, opts: SealOptions = {}): Sealed {
  let out: BufferOut | undefined
  const { size: _size, ...sealed } = sealV1To(input, (size) => (out = new BufferOut(size)).put, opts)
  return { ...sealed, envelope: out!.done() }
}

/** As sealV1(), the envelope written to the sink `open(size)` returns (issue 16 item 2: straight into
 *  chunk rows, attachments read from their files). sealV1() is this with a buffer for a sink. */
export function sealV1To(input: StreamSealInput, open: (size: number) => RegionSink, opts: SealOptions = {}, random?: (n: number) => Buffer): SealedTo {
  if (input.signer.agency !== input.from) throw new Error('seal: the signer must be the sending agency ("from")')
  const jws = signCompact(V1.letterTyp, encodePayload(input), input.signer, opts.signAlg === undefined ? {} : { alg: opts.signAlg })
  const plaintext = bundleParts(jws, input.attachments, manifestHolder(input))
  const hash = createHash('sha256') // of the exact envelope bytes, fed while they are written
  const { contentKey, size } = encryptCompactTo(v1HeaderFields(input), plaintext, input.recipientCert.publicKey, (n) => {
    const put = open(n)
    return (region) => (hash.update(region), put(region))
  }, random)
  return { size, envelopeSha256: hash.digest('hex'), mediaType: V1.mediaType, contentKey, signature: signatureOf(jws) }
}

// The header names the parties outside the signature; the signed payload must vouch for them, or a
// letter signed for one recipient could be re-addressed to another (PROTOCOL.md §5.4, §17.3).
export const SRB_NAMES = { messageId: 'srb_mid', from: 'srb_from', to: 'srb_to' } as const

/** Opens with the recipient's private key. */
export function openV1(envelope: Buffer, key: PrivateKeyRef): Opened {
  const { jwe } = parseV1Envelope(envelope)
  return checkBundle(jwe, decryptParsed(jwe, key))
}

/** As openV1(), but the decrypted attachments are hashed against the signed manifest as they are
 *  decrypted and not kept (issue 16 item 2): `attachments` is empty. The same checks, in the same
 *  order, and nothing is learned from the plaintext unless the tag verified. */
export function openV1Hashed(envelope: Buffer, key: PrivateKeyRef): Opened {
  const { jwe } = parseV1Envelope(envelope)
  return hashedChecks(jwe, (sink) => decryptParsedToSink(jwe, key, sink))
}

/** As openV1Hashed(), for a jose-v1 or jose-v2 envelope parsed from its skeleton (crypto/ranged.ts)
 *  whose ciphertext text is read by range from `text` (issue 16 item 2: a body staged on disk). */
export function openJoseHashedFrom(jwe: ParsedJwe, key: PrivateKeyRef, text: ByteSource): Opened {
  return hashedChecks(jwe, (sink) => decryptParsedSourceToSink(jwe, key, text, sink))
}

/** PROTOCOL.md §5.8 steps 4–9 on a bundle decrypted into a sink: nothing is judged before `decrypt`
 *  returned (the tag verified). Shared by jose-v1 and jose-v2 (the same bundle and signed letter). */
function hashedChecks(jwe: ParsedJwe, decrypt: (sink: (slice: Buffer) => void) => void): Opened {
  const sink = new BundleSink()
  decrypt(sink.write)
  const jws = sink.jws()
  const verified = verifyCompact(jws, V1.letterTyp)
  const payload = decodePayload(verified.payload)
  const h = jwe.header
  bindRouting(payload, { messageId: h['srb_mid'] as string, from: h['srb_from'] as string, to: h['srb_to'] as string }, SRB_NAMES)
  sink.checkAttachments(manifestHolder(payload))
  return { payload, signerChain: verified.chain, signedBytes: jws.toString('latin1'), signature: verified.signature, attachments: [] }
}

/** Opens with the content encryption key instead (evidence, PROTOCOL.md §8); same checks after decryption. */
export function openV1WithContentKey(envelope: Buffer, contentKey: Buffer): Opened {
  const { jwe } = parseV1Envelope(envelope)
  return checkBundle(jwe, decryptWithContentKey(jwe, contentKey))
}

/** PROTOCOL.md §5.8 steps 4–9 (and §17.3 for v2 payloads), after decryption; shared with jose-v2. */
export function checkBundle(jwe: ParsedJwe, plaintext: Buffer): Opened {
  const { jws, body } = splitBundle(plaintext)
  const verified = verifyCompact(jws, V1.letterTyp)
  const payload = decodePayload(verified.payload)
  const h = jwe.header
  bindRouting(payload, { messageId: h['srb_mid'] as string, from: h['srb_from'] as string, to: h['srb_to'] as string }, SRB_NAMES)
  const attachments = attachmentsOf(body, manifestHolder(payload))
  return { payload, signerChain: verified.chain, signedBytes: jws.toString('latin1'), signature: verified.signature, attachments }
}

/** The raw signature bytes of a compact JWS we just made (third part, base64url). */
export function signatureOf(jws: Buffer): Buffer {
  return Buffer.from(jws.subarray(jws.lastIndexOf(0x2e) + 1).toString('latin1'), 'base64url')
}

// PROTOCOL.md §4.1: the request's routing headers are optional for jose-v1, and must agree when sent.
const ROUTED = [['messageId', 'srb_mid'], ['from', 'srb_from'], ['to', 'srb_to']] as const

export function peekV1(envelope: Buffer, routing?: Routing): EnvelopeHeader {
  const { header } = parseV1Envelope(envelope)
  if (routing !== undefined) {
    for (const [r, h] of ROUTED) {
      if (routing[r] !== header[r]) {
        throw new SarabanError('ERR_ENVELOPE_HEADER_MISMATCH', `The request's routing header says ${r} "${routing[r]}" but the envelope's "${h}" says "${header[r]}".`, { field: h })
      }
    }
  }
  return header
}

export function matchesV1Recipient(header: EnvelopeHeader, cert: X509Certificate): boolean {
  return header.recipientKeyId === createHash('sha256').update(cert.raw).digest('base64url')
}

/** sealEach()'s one seal for the one recipient of `input` (profiles.ts), into a sink. */
function sealOneV1To(input: StreamSealManyInput, open: (size: number) => RegionSink): SealedTo {
  const r = oneRecipient(input)
  return sealV1To({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint }, open)
}

export const joseV1: EnvelopeProfile & SealsOneTo = Object.freeze({
  id: V1.id,
  mediaType: V1.mediaType,
  receiptMediaType: V1.receiptMediaType,
  seal: async (input: SealInput) => sealV1(input),
  sealOneTo: sealOneV1To,
  peek: (envelope: Buffer, routing?: Routing) => peekV1(envelope, routing),
  // PROTOCOL.md §17.1: a compact JWE's content is encrypted for its one recipient (the protected
  // header, which names it, is the AAD), so no other envelope can hold the same bytes.
  contentSpan: () => undefined,
  matchesRecipient: matchesV1Recipient,
  open: async (envelope: Buffer, key: PrivateKeyRef) => openV1(envelope, key),
  openHashed: async (envelope: Buffer, key: PrivateKeyRef) => openV1Hashed(envelope, key),
  openWithContentKey: async (envelope: Buffer, contentKey: Buffer) => openV1WithContentKey(envelope, contentKey),
  signReceipt: async (claims: ReceiptClaims, signer: SignerIdentity) => signV1Receipt(claims, signer),
  signReceiptNow: (claims: ReceiptClaims, signer: SignerIdentity) => signV1Receipt(claims, signer),
  verifyReceipt: async (receipt: Buffer) => verifyV1Receipt(receipt),
})
