// Reading a received attachment: the bytes live only inside the stored envelope, encrypted for the
// recipient agency (storage/migrations/001-init.ts). A read unwraps the content key with the agency's
// key again and streams the attachment (issue 5 §7): only its own byte range of the content is
// decrypted (AES-GCM as CTR, crypto/ranged.ts), slice by slice, so no plaintext copy of the envelope
// or of the attachment is built. What is checked on every read, so that the saraban system gets what
// the sender signed even if the database file was tampered with:
//   - before the first byte: the signature of the signed letter (decrypted from the start of the
//     content) and that its manifest lists this attachment with the stored size and SHA-256;
//   - while streaming: the SHA-256 of the bytes; the last slice (≤ 48 KiB) is held back until the
//     digest is known, and if it differs the stream fails and the response is cut short (the client
//     sees fewer bytes than Content-Length, never a complete wrong file). The GCM tag covers the whole content and was checked on receipt (PROTOCOL.md §4.2);
//     it is not re-checked per read, as that would mean decrypting every attachment for each one.
// A Range request (RFC 9110 §14) gets the same checks before the first byte, but no digest check: a
// part has none. Profiles without a ranged reader fall back to a full open() (tag, signature, digests).
// The stored envelope is not put together either (issue 16 item 2): the ranged reader reads its small
// parts and then only the chunk rows each slice needs (storage/blob-chunks.ts); a circular's envelope,
// stored in parts, is hashed chunk by chunk against the digest the receipt signed before it is used.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { SarabanError } from '../errors.js'
import type { InboxStore } from '../storage/inbox.js'
import type { ProfileTable } from '../crypto/profiles.js'
import { rangedReader } from '../crypto/ranged-openers.js'
import { whole } from '../crypto/ranged.js'
import type { HostedAgencies } from './hosting/agencies.js'

export interface InboxReadDeps {
  readonly inbox: InboxStore
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
}

export interface AttachmentStream {
  readonly filename: string
  readonly mediaType: string
  readonly sha256: string
  readonly size: number
  /** The bytes as signed; fails with ERR_ATTACHMENT_DIGEST_MISMATCH at the end if they are not. */
  readonly body: Readable
}

/** Passes the slices on one behind, and the last one only once the whole digest is right: a wrong
 *  attachment never reaches its Content-Length, so no client can take it for a complete file. */
function* checked(slices: Iterable<Buffer>, size: number, sha256: string, what: string): Generator<Buffer> {
  const hash = createHash('sha256')
  let n = 0
  let held: Buffer | undefined
  for (const s of slices) {
    hash.update(s)
    n += s.length
    if (held) yield held
    held = s
  }
  if (n !== size || hash.digest('hex') !== sha256) {
    throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', `${what} read from the stored envelope does not match its SHA-256 in the signed manifest.`)
  }
  if (held) yield held
}

/** A part of the attachment (RFC 9110 §14): bytes [start, end). */
export interface AttachmentRange { readonly start: number; readonly end: number }

/** The attachment, or with `range` only those bytes: decrypted from the (tag-checked on receipt) content
 *  after the signed letter verified, but not digest-checked, since a part has no digest of its own. */
export async function openAttachment(deps: InboxReadDeps, messageId: string, attachmentId: string, range?: AttachmentRange): Promise<AttachmentStream | undefined> {
  const meta = deps.inbox.getAttachment(messageId, attachmentId)
  const message = deps.inbox.get(messageId)
  const source = meta && message ? deps.inbox.envelopeRange(messageId) : undefined
  if (!meta || !message || !source) return undefined
  const profile = deps.profiles.get(message.profile)
  const ranged = rangedReader(profile.id)
  // Without a ranged reader the envelope is read whole; with one, only its small parts (the skeleton).
  const located = ranged ? ranged.locate(source) : whole(source)
  const header = profile.peek(located.skeleton, { messageId, from: message.senderAgency, to: message.recipientAgency })
  const key = deps.hosted.decryptionKeys(message.recipientAgency).find((k) => profile.matchesRecipient(header, k.cert))
  if (!key) {
    throw new SarabanError('ERR_DECRYPT_FAILED', `The encryption key that opens letter ${messageId} is no longer configured for "${message.recipientAgency}"; keep retired encryption keys configured to read old letters.`)
  }
  const what = `Attachment ${attachmentId} of ${messageId}`
  const described = { filename: meta.filename, mediaType: meta.mediaType, sha256: meta.sha256, size: meta.size }
  if (ranged === undefined) {
    const bytes = (await profile.open(located.skeleton, key.key)).attachments[meta.position]
    if (!bytes) throw new SarabanError('ERR_INTERNAL', `${what} is not in its envelope.`)
    const body = range ? [bytes.subarray(range.start, range.end)] : checked([bytes], meta.size, meta.sha256, what)
    return { ...described, body: Readable.from(body, { objectMode: false }) }
  }
  const opened = ranged.open(located, key.key)
  const item = opened.attachments[meta.position]
  if (!item || item.size !== meta.size || item.sha256 !== meta.sha256) {
    throw new SarabanError('ERR_INTERNAL', `${what}: the stored description differs from the signed manifest.`)
  }
  const body = range
    ? opened.slices(item.offset + range.start, item.offset + range.end)
    : checked(opened.slices(item.offset, item.offset + item.size), meta.size, meta.sha256, what)
  return { ...described, body: Readable.from(body, { objectMode: false }) }
}
