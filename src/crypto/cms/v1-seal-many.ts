// cms-v1 for many recipients at once (PROTOCOL.md §17.6): the v2 payload signed once (one
// SignedData), the bundle encrypted once with AES-256-GCM, and per recipient only the CEK wrapped in
// its own RecipientInfo. Each part head ‖ shared ‖ tail is an ordinary single-recipient cms-v1
// envelope (§12.4): head = ContentInfo … up to the encryptedContent's bytes, shared = those bytes
// (the same ciphertext in every part), tail = the mac.
import { createHash } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { encodePayloadV2 } from '../payload.js'
import type { SealedMany, SealManyInput } from '../types.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from '../jose/v1-payload.js'
import { encryptOnce, headFor } from './auth-enveloped.js'
import { OID_CT_SARABAN_LETTER } from './oids.js'
import { signCms, type SignOptions } from './signed-data.js'

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

/** Checks the attachments against the signed manifest before anything is sealed (§5.3). */
export function checkAttachments(letter: unknown, attachments: readonly Buffer[]): void {
  const manifest = manifestOf(letter)
  if (manifest.length !== attachments.length) {
    throw malformed(`Cannot seal: the manifest lists ${manifest.length} attachments but ${attachments.length} were given.`, '/letter/attachments')
  }
  manifest.forEach((m, i) => {
    if (attachments[i]!.length !== m.size) throw malformed(`Cannot seal: attachment ${i} is ${attachments[i]!.length} bytes, the manifest says ${m.size}.`, `/letter/attachments/${i}/size`)
  })
}

export function sealManyCmsV1(input: SealManyInput, mediaType: string, opts: SignOptions = {}): SealedMany {
  if (input.signer.agency !== input.from) throw new Error('sealMany: the signer must be the sending agency ("from")')
  checkAttachments(input.letter, input.attachments)
  const payload = encodePayloadV2(input)
  const signed = signCms(OID_CT_SARABAN_LETTER, payload, input.signer, { signingTime: new Date(input.sentAt), ...opts })
  if (signed.der.length > MAX_SIGNED_LETTER_BYTES) throw malformed('Cannot seal: the signed letter is larger than 8 MiB.')
  const once = encryptOnce([signed.der, ...input.attachments])
  const parts = input.recipients.map((r) => {
    const head = headFor(once, r.cert)
    const envelopeSha256 = createHash('sha256').update(head).update(once.ciphertext).update(once.tail).digest('hex')
    return { messageId: r.messageId, to: r.to, head, tail: once.tail, envelopeSha256, contentKey: once.cek, signature: signed.signature }
  })
  return { mediaType, shared: once.ciphertext, parts }
}
