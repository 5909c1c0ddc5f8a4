// Storage rows → API representations (schemas/api/*). The only place that shapes API output.
import type { OutboxLetter, OutboxMessageMeta } from '../storage/outbox.js'
import type { InboxMessage } from '../storage/inbox.js'
import { isoTime } from '../clock.js'
import { deadlineState, letterStatus } from '../domain/delivery.js'

const iso = (ms: number | null | undefined) => (ms == null ? undefined : isoTime(ms))

export function recipientView(m: OutboxMessageMeta, now = Date.now()) {
  // PROTOCOL.md §7.3: from the deadline event raised last; the window is the watch's business, so
  // here only a passed deadline is judged from the clock.
  const deadline = deadlineState({ status: m.status, deadlineAt: m.deadlineAt ?? null, deliveredAt: m.deliveredAt, raised: m.deadlineState ?? null }, now, 0)
  return {
    agency: m.recipientAgency,
    messageId: m.messageId,
    profile: m.profile,
    status: m.status,
    attempts: m.attempts,
    ...(m.status === 'queued' && m.attempts > 0 ? { nextAttemptAt: iso(m.nextAttemptAt) } : {}),
    ...(m.lastErrorCode ? { lastError: { code: m.lastErrorCode, detail: m.lastErrorDetail ?? '' } } : {}),
    ...(m.deliveredAt != null ? { deliveredAt: iso(m.deliveredAt) } : {}),
    ...(m.receipt ? { receipt: m.receipt } : {}),
    envelopeSha256: m.envelopeSha256,
    ...(deadline !== undefined ? { deadline } : {}),
  }
}

const statusOf = (messages: readonly OutboxMessageMeta[]) => letterStatus(messages.map((m) => m.status))

export function letterView(l: OutboxLetter, messages: readonly OutboxMessageMeta[]) {
  return {
    id: l.id,
    createdAt: isoTime(l.createdAt),
    sender: l.senderAgency,
    status: statusOf(messages),
    letter: JSON.parse(l.letterJson) as unknown,
    recipients: messages.map((m) => recipientView(m)),
  }
}

export function outboxItemView(l: OutboxLetter, messages: readonly OutboxMessageMeta[]) {
  const letter = JSON.parse(l.letterJson) as { subject: string; urgency?: string; secrecy?: string; number?: string }
  return {
    id: l.id,
    createdAt: isoTime(l.createdAt),
    sender: l.senderAgency,
    subject: letter.subject,
    number: letter.number,
    urgency: letter.urgency,
    status: statusOf(messages),
    recipients: messages.map((m) => ({ agency: m.recipientAgency, status: m.status })),
  }
}

export function inboxItemView(m: InboxMessage) {
  const letter = JSON.parse(m.letterJson) as { subject: string; urgency?: string; secrecy?: string; number?: string }
  return {
    id: m.messageId,
    receivedAt: isoTime(m.receivedAt),
    from: m.senderAgency,
    to: m.recipientAgency,
    subject: letter.subject,
    number: letter.number,
    urgency: letter.urgency,
    secrecy: letter.secrecy,
    attachments: m.attachments.length,
  }
}

export function inboxMessageView(m: InboxMessage) {
  const signer = JSON.parse(m.signerJson) as { agency: string; subject: string; fingerprint: string; signedAt: string; chain: string[] }
  return {
    id: m.messageId,
    receivedAt: isoTime(m.receivedAt),
    from: m.senderAgency,
    to: m.recipientAgency,
    profile: m.profile,
    envelopeSha256: m.envelopeSha256,
    letter: JSON.parse(m.letterJson) as unknown,
    attachments: m.attachments.map((a) => ({ id: a.id, filename: a.filename, mediaType: a.mediaType, size: a.size, sha256: a.sha256 })),
    signer: { agency: signer.agency, subject: signer.subject, fingerprint: signer.fingerprint, signedAt: signer.signedAt },
    // Every check of PROTOCOL.md §4.2 passed before the letter was stored; a letter that fails one is never stored.
    verification: { signature: 'valid', signerChain: 'valid', signerIsSender: true, attachmentDigests: 'valid', checkedAt: isoTime(m.receivedAt) },
    receipt: m.receipt,
  }
}
