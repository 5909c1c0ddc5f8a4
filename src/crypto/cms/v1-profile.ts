// Envelope profile 'cms-v1' (PROTOCOL.md §12): a CMS SignedData letter, followed by its attachment
// bytes, inside a CMS AuthEnvelopedData (AES-256-GCM) for one recipient. The signed payload, its
// manifest and the attachment framing are those of jose-v1 (§5.3, §5.4); only the containers differ.
import type { PrivateKeyRef } from '../keys/private-key.js'
import { bindRouting, manifestHolder } from '../payload.js'
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { AGENCY_ID, MESSAGE_ID } from '../../domain/ids.js'
import type { EnvelopeHeader, EnvelopeProfile, Opened, OpenMemo, ReceiptClaims, Routing, SealInput, Sealed, SealedMany, SealedTo, SealManyInput, SealsMany, SealsOneTo, SignerIdentity, StreamSealInput, StreamSealManyInput } from '../types.js'
import { sealManyCmsV1 } from './v1-seal-many.js'
import { attachmentsOf, decodePayload, encodePayload, manifestOf, MAX_SIGNED_LETTER_BYTES } from '../jose/v1-payload.js'
import { decryptAuthEnveloped, decryptWithRecipientKey, KEY_BYTES, parseAuthEnveloped, sealAuthEnvelopedTo, type ParsedAuthEnveloped } from './auth-enveloped.js'
import { BufferOut, oneRecipient, type RegionSink } from '../seal-sink.js'
import { certMatches } from './cert-id.js'
import { heldFor } from '../types.js'
import { OID_CT_SARABAN_LETTER } from './oids.js'
import { CmsSignedError, signCms, verifyCms, type SignOptions } from './signed-data.js'
import { signCmsReceipt, verifyCmsReceipt } from './v1-receipt.js'
import { openCmsV1Hashed, openCmsV1HashedFrom } from './v1-hashed.js'
import type { ByteSource } from '../../byte-source.js'

export const CMS_V1 = {
  id: 'cms-v1',
  mediaType: 'application/cms', // RFC 7193
  receiptMediaType: 'application/cms',
} as const

/** Options for tests and test vectors only (a PSS signature, a fixed signing time). */
export type CmsSealOptions = SignOptions

export function sealCmsV1(input: SealInput, opts: CmsSealOptions = {}): Sealed {
  let out: BufferOut | undefined
  const { size: _size, ...sealed } = sealCmsV1To(input, (size) => (out = new BufferOut(size)).put, opts)
  return { ...sealed, envelope: out!.done() }
}

/** As sealCmsV1(), the envelope written to the sink `open(size)` returns (issue 16 item 2: straight
 *  into chunk rows, attachments read by range). sealCmsV1() is this with a buffer for a sink. */
export function sealCmsV1To(input: StreamSealInput, open: (size: number) => RegionSink, opts: CmsSealOptions = {}, random?: (n: number) => Buffer): SealedTo {
  if (input.signer.agency !== input.from) throw new Error('seal: the signer must be the sending agency ("from")')
  const manifest = manifestOf(manifestHolder(input))
  if (manifest.length !== input.attachments.length) {
    throw malformed(`Cannot seal: the manifest lists ${manifest.length} attachments but ${input.attachments.length} were given.`, '/letter/attachments')
  }
  manifest.forEach((m, i) => {
    if (input.attachments[i]!.length !== m.size) throw malformed(`Cannot seal: attachment ${i} is ${input.attachments[i]!.length} bytes, the manifest says ${m.size}.`, `/letter/attachments/${i}/size`)
  })
  const signed = signCms(OID_CT_SARABAN_LETTER, encodePayload(input), input.signer, { signingTime: new Date(input.sentAt), ...opts })
  if (signed.der.length > MAX_SIGNED_LETTER_BYTES) throw malformed('Cannot seal: the signed letter is larger than 8 MiB.')
  const { envelopeSha256, contentKey, size } = sealAuthEnvelopedTo([signed.der, ...input.attachments], [input.recipientCert], open, random)
  return { size, envelopeSha256, mediaType: CMS_V1.mediaType, contentKey, signature: signed.signature }
}

/** sealManyCms()'s one part for a one-recipient `input`, into a sink (as it: the checkpoint too, §20.5). */
function sealOneCmsV1To(input: StreamSealManyInput, open: (size: number) => RegionSink): SealedTo {
  const r = oneRecipient(input)
  return sealCmsV1To({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint }, open)
}

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

/** `routing`: the request's routing headers (§4.1), bound to the signed payload before the
 *  attachments are framed (§12.7 step 7), the order of jose (§5.8 step 7). Without it the caller
 *  binds them itself after opening (evidence, where the bundle's message is compared). */
export function openCmsV1(envelope: Buffer, key: PrivateKeyRef, routing?: Routing, memo?: OpenMemo): Opened {
  const p = parseAuthEnveloped(envelope)
  if (memo === undefined || routing === undefined) return checkBundle(decryptWithRecipientKey(p, key), routing)
  // A key-unwrap failure takes the path without the memo: the same work and the same one error.
  const cek = p.recipient.unwrap(key)
  if (cek?.length !== KEY_BYTES) return checkBundle(decryptWithRecipientKey(p, key), routing)
  // OpenMemo: AuthEnvelopedData has no authAttrs (§12.4), so the plaintext and its checks depend on
  // the key, the nonce, the mac and the ciphertext (heldFor compares it) alone; and on the routing sender (§17.8).
  const id = createHash('sha256').update(CMS_V1.id).update('\0').update(routing.from).update('\0').update(cek).update(p.nonce).update(p.mac).digest('base64url')
  const held = heldFor(memo, id, p.ciphertext)
  if (held !== undefined) {
    bindRouting(held.payload, routing, CMS_ROUTING_NAMES) // §17.3: this envelope's own routing
    return held
  }
  const opened = checkBundle(decryptAuthEnveloped(p, cek), routing)
  memo.set(id, { opened, ciphertext: p.ciphertext }, 2 * p.ciphertext.reduce((n, c) => n + c.length, 0))
  return opened
}

export function openCmsV1WithContentKey(envelope: Buffer, contentKey: Buffer, routing?: Routing): Opened {
  return checkBundle(decryptAuthEnveloped(parseAuthEnveloped(envelope), contentKey), routing)
}

/** `field` of a routing mismatch: the routing header (PROTOCOL.md §12.5, §17.3). */
export const CMS_ROUTING_NAMES = { messageId: 'Saraban-Message-Id', from: 'Saraban-From', to: 'Saraban-To' } as const

const SIGNED_ERRORS = { malformed: 'ERR_ENVELOPE_MALFORMED', unsupported: 'ERR_PROFILE_UNSUPPORTED', signature: 'ERR_SIGNATURE_INVALID' } as const

/** PROTOCOL.md §12.7 steps 4–9: the SignedData at the head of the plaintext, the routing, then the attachments. */
function checkBundle(plaintext: Buffer, routing: Routing | undefined): Opened {
  const { opened, end, payload } = checkSigned(plaintext, routing)
  const attachments = attachmentsOf(plaintext.subarray(end), manifestHolder(payload))
  return { ...opened, attachments }
}

/** Steps 4–7: the SignedData at the head of `plaintext` and the routing, not yet the attachments. */
function checkSigned(plaintext: Buffer, routing: Routing | undefined): { opened: Omit<Opened, 'attachments'>; end: number; payload: Opened['payload'] } {
  let verified
  try {
    verified = verifyCms(plaintext, Math.min(plaintext.length, MAX_SIGNED_LETTER_BYTES))
  } catch (e) {
    if (e instanceof CmsSignedError) throw new SarabanError(SIGNED_ERRORS[e.kind], e.kind === 'signature' ? e.message : `The signed letter is refused: ${e.message}.`)
    throw e
  }
  if (verified.contentType !== OID_CT_SARABAN_LETTER) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The signed content is not a saraban letter (eContentType).')
  const payload = decodePayload(verified.payload)
  // §12.7 step 7: routing before framing, as jose binds srb_* (§5.8 step 7), so that one defective
  // envelope gets one code whatever the profile.
  if (routing !== undefined) bindRouting(payload, routing, CMS_ROUTING_NAMES)
  const signedBytes = plaintext.subarray(0, verified.end).toString('base64')
  return { opened: { payload, signerChain: verified.chain, signedBytes, signature: verified.signature }, end: verified.end, payload }
}

/** As openCmsV1(), with the attachments hashed as they are decrypted and not kept (issue 16 item 2). */
export function openCmsV1HashedWithKey(envelope: Buffer, key: PrivateKeyRef, routing?: Routing): Opened {
  return openCmsV1Hashed(envelope, key, () => openCmsV1(envelope, key, routing), (signed) => checkSigned(signed, routing))
}

/** As openCmsV1HashedWithKey(), for an envelope parsed from its skeleton whose ciphertext is read by
 *  range (crypto/ranged.ts; issue 16 item 2: a body staged on disk); `whole` reads it whole for open(). */
export function openCmsV1StagedWithKey(skeleton: Buffer, ciphertext: ByteSource | undefined, key: PrivateKeyRef, routing: Routing, whole: () => Buffer): Opened {
  const parsed = parseAuthEnveloped(skeleton)
  return openCmsV1HashedFrom(parsed, key, ciphertext, () => openCmsV1(whole(), key, routing), (signed) => checkSigned(signed, routing))
}

// PROTOCOL.md §4.1, §12.5: the envelope names no parties outside the encryption, so the request's
// routing headers are required; they are checked against the signed payload when opening (§4.2 check 11, §12.7 step 7).
const ROUTING_FIELDS = [['messageId', 'Saraban-Message-Id', MESSAGE_ID], ['from', 'Saraban-From', AGENCY_ID], ['to', 'Saraban-To', AGENCY_ID]] as const

export function peekCmsV1(envelope: Buffer, routing?: Routing): EnvelopeHeader {
  const parsed: ParsedAuthEnveloped = parseAuthEnveloped(envelope)
  if (routing === undefined) throw malformed('A cms-v1 envelope must come with the Saraban-Message-Id, Saraban-From and Saraban-To headers.', 'Saraban-Message-Id')
  for (const [k, name, pattern] of ROUTING_FIELDS) {
    if (!pattern.test(routing[k])) throw malformed(`The ${name} header is not valid.`, name)
  }
  return { profile: CMS_V1.id, messageId: routing.messageId, from: routing.from, to: routing.to, recipientKeyId: parsed.recipient.keyId }
}

export function matchesCmsV1Recipient(header: EnvelopeHeader, cert: X509Certificate): boolean {
  return certMatches(cert, header.recipientKeyId)
}

/** PROTOCOL.md §17.6: one recipient keeps the v1 payload of seal() (§17.2); several share one v2 payload and one ciphertext. */
export async function sealManyCms(input: SealManyInput): Promise<SealedMany> {
  if (input.recipients.length !== 1) return sealManyCmsV1(input, CMS_V1.mediaType)
  const r = input.recipients[0]!
  const s = sealCmsV1({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint })
  return { mediaType: s.mediaType, shared: Buffer.alloc(0), parts: [{ messageId: r.messageId, to: r.to, head: s.envelope, tail: Buffer.alloc(0), envelopeSha256: s.envelopeSha256, contentKey: s.contentKey, signature: s.signature }] }
}

export const cmsV1: EnvelopeProfile & SealsMany & SealsOneTo = Object.freeze({
  id: CMS_V1.id,
  mediaType: CMS_V1.mediaType,
  receiptMediaType: CMS_V1.receiptMediaType,
  seal: async (input: SealInput) => sealCmsV1(input),
  sealMany: sealManyCms,
  sealOneTo: sealOneCmsV1To,
  peek: (envelope: Buffer, routing?: Routing) => peekCmsV1(envelope, routing),
  contentSpan: (envelope: Buffer) => parseAuthEnveloped(envelope).content,
  matchesRecipient: matchesCmsV1Recipient,
  open: async (envelope: Buffer, key: PrivateKeyRef, routing?: Routing, memo?: OpenMemo) => openCmsV1(envelope, key, routing, memo),
  openHashed: async (envelope: Buffer, key: PrivateKeyRef, routing?: Routing) => openCmsV1HashedWithKey(envelope, key, routing),
  openWithContentKey: async (envelope: Buffer, contentKey: Buffer) => openCmsV1WithContentKey(envelope, contentKey),
  signReceipt: async (claims: ReceiptClaims, signer: SignerIdentity) => signCmsReceipt(claims, signer),
  signReceiptNow: (claims: ReceiptClaims, signer: SignerIdentity) => signCmsReceipt(claims, signer),
  verifyReceipt: async (receipt: Buffer) => verifyCmsReceipt(receipt),
})
