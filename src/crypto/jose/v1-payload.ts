// The signed letter payload (PROTOCOL.md §5.4): UTF-8 JSON
//   {"v":1,"mid":…,"from":…,"to":…,"sentAt":…,"letter":{…, "attachments":[{id,filename,mediaType,size,sha256}…]}}
// and the bundle (§5.3): ASCII(compact JWS) || 0x0A || attachment 1 || … || attachment n.
import { createHash } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import type { AttachmentManifestItem, SealInput, SignedPayloadV1 } from '../types.js'
import { checkpointMember, decodePayload, isUtcTime, manifestHolder } from '../payload.js'
import { AGENCY_ID, MESSAGE_ID } from './v1-header.js'

export { decodePayload, isUtcTime } // both payload versions live in ../payload.ts (PROTOCOL.md §17.2)

/** Longest signed letter (the JWS before the first 0x0A of the bundle). */
export const MAX_SIGNED_LETTER_BYTES = 8 * 1024 * 1024
const LF = 0x0a
const NEWLINE = Buffer.from([LF])
const SHA256_HEX = /^[0-9a-f]{64}$/

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

/** The attachments manifest of a letter (absent = none), each item's size and digest checked. */
export function manifestOf(letter: unknown): Pick<AttachmentManifestItem, 'size' | 'sha256'>[] {
  const list = (letter as { attachments?: unknown } | null)?.attachments
  if (list === undefined) return []
  if (!Array.isArray(list)) throw malformed('letter.attachments must be an array.', '/letter/attachments')
  return list.map((a: unknown, i) => {
    const item = a as { size?: unknown; sha256?: unknown } | null
    if (typeof item !== 'object' || item === null) throw malformed('An attachment entry is not an object.', `/letter/attachments/${i}`)
    if (typeof item.size !== 'number' || !Number.isSafeInteger(item.size) || item.size < 0) {
      throw malformed('An attachment size is not a non-negative integer.', `/letter/attachments/${i}/size`)
    }
    if (typeof item.sha256 !== 'string' || !SHA256_HEX.test(item.sha256)) {
      throw malformed('An attachment sha256 is not 64 lowercase hex digits.', `/letter/attachments/${i}/sha256`)
    }
    return { size: item.size, sha256: item.sha256 }
  })
}

/** The payload bytes to sign, after checking what peek() on the other side will check. */
export function encodePayload(input: Omit<SealInput, 'attachments'> & { readonly attachments: readonly unknown[] }): Buffer {
  if (!MESSAGE_ID.test(input.messageId)) throw malformed('Cannot seal: the message id is not a lowercase UUID.', 'mid')
  if (!AGENCY_ID.test(input.from) || !AGENCY_ID.test(input.to)) throw malformed('Cannot seal: an agency id is not valid.', 'from')
  if (!isUtcTime(input.sentAt)) throw malformed('Cannot seal: sentAt is not an ISO 8601 UTC time.', 'sentAt')
  const head = { v: 1 as const, mid: input.messageId, from: input.from, to: input.to, sentAt: input.sentAt, ...checkpointMember(input.checkpoint) }
  // PROTOCOL.md §18.2: a notice takes the place of the letter; it has no attachments.
  if (input.notice !== undefined && (input.attachments.length > 0 || manifestOf(input.letter).length > 0)) {
    throw malformed('Cannot seal: a notice carries no attachments.', '/notice')
  }
  // PROTOCOL.md §19.3: a classified cover takes the place of the letter; its manifest is the inner envelope.
  const payload: SignedPayloadV1 = input.classified !== undefined ? { ...head, classified: input.classified }
    : input.notice === undefined ? { ...head, letter: input.letter } : { ...head, notice: input.notice }
  return Buffer.from(JSON.stringify(payload), 'utf8')
}

/** Plaintext parts for the JWE: [jws, LF, ...attachments], after checking them against the manifest. */
export function bundleParts<T extends { readonly length: number }>(jws: Buffer, attachments: readonly T[], letter: unknown): Array<Buffer | T> {
  const manifest = manifestOf(letter)
  if (manifest.length !== attachments.length) {
    throw malformed(`Cannot seal: the manifest lists ${manifest.length} attachments but ${attachments.length} were given.`, '/letter/attachments')
  }
  manifest.forEach((m, i) => {
    if (attachments[i]!.length !== m.size) throw malformed(`Cannot seal: attachment ${i} is ${attachments[i]!.length} bytes, the manifest says ${m.size}.`, `/letter/attachments/${i}/size`)
  })
  return [jws, NEWLINE, ...attachments]
}

/** Splits a decrypted bundle into the signed JWS and the attachment bytes that follow it. */
export function splitBundle(plaintext: Buffer): { jws: Buffer; body: Buffer } {
  const nl = plaintext.subarray(0, MAX_SIGNED_LETTER_BYTES + 1).indexOf(LF)
  if (nl <= 0) throw malformed('The bundle does not start with a signed letter followed by a line feed.')
  return { jws: plaintext.subarray(0, nl), body: plaintext.subarray(nl + 1) }
}

/** Cuts the attachment bytes by the signed manifest and checks each SHA-256 (views, no copies). */
export function attachmentsOf(body: Buffer, letter: unknown): Buffer[] {
  const manifest = manifestOf(letter)
  const total = manifest.reduce((n, m) => n + m.size, 0)
  if (total !== body.length) throw malformed(`The bundle carries ${body.length} attachment bytes; the signed manifest says ${total}.`, '/letter/attachments')
  let at = 0
  return manifest.map((m, i) => {
    const bytes = body.subarray(at, (at += m.size))
    if (createHash('sha256').update(bytes).digest('hex') !== m.sha256) {
      throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', `Attachment ${i} does not match its SHA-256 in the signed manifest.`, { field: `/letter/attachments/${i}/sha256` })
    }
    return bytes
  })
}
