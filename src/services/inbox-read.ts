// Reading a received attachment: the bytes live only inside the stored envelope, encrypted for the
// recipient agency (storage/migrations/001-init.ts). A read opens the envelope again with the
// agency's key, which also re-checks the signature and every digest (PROTOCOL.md §5.3), so what the
// saraban system gets is what the sender signed, even if the database file was tampered with.
import { SarabanError } from '../errors.js'
import type { InboxStore } from '../storage/inbox.js'
import type { ProfileTable } from '../crypto/profiles.js'
import type { HostedAgencies } from './hosted-agencies.js'

export interface InboxReadDeps {
  readonly inbox: InboxStore
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
}

export interface AttachmentContent {
  readonly filename: string
  readonly mediaType: string
  readonly sha256: string
  readonly bytes: Buffer
}

export async function readAttachment(deps: InboxReadDeps, messageId: string, attachmentId: string): Promise<AttachmentContent | undefined> {
  const meta = deps.inbox.getAttachment(messageId, attachmentId)
  const message = deps.inbox.get(messageId)
  const envelope = deps.inbox.getEnvelope(messageId)
  if (!meta || !message || !envelope) return undefined
  const profile = deps.profiles.get(message.profile)
  const header = profile.peek(envelope, { messageId, from: message.senderAgency, to: message.recipientAgency })
  const key = deps.hosted.decryptionKeys(message.recipientAgency).find((k) => profile.matchesRecipient(header, k.cert))
  if (!key) {
    throw new SarabanError('ERR_DECRYPT_FAILED', `The encryption key that opens letter ${messageId} is no longer configured for "${message.recipientAgency}"; keep retired encryption keys configured to read old letters.`)
  }
  const opened = await profile.open(envelope, key.key)
  const bytes = opened.attachments[meta.position]
  if (!bytes) throw new SarabanError('ERR_INTERNAL', `Attachment ${attachmentId} of ${messageId} is not in its envelope.`)
  return { filename: meta.filename, mediaType: meta.mediaType, sha256: meta.sha256, bytes }
}
