// Storage rows → API representations (schemas/api/*). The only place that shapes API output.
import type { OutboxLetter, OutboxMessageMeta, InboxMessage, NoticeRow } from '../services/mailbox/index.js'
import { isoTime } from '../clock.js'
import { deadlineState, letterStatus, shownStatus } from '../domain/delivery.js'
import { buddhistYear } from '../domain/thai.js'
import { inboxState, recipientState, type Notice } from '../domain/notices.js'

/** The notices about one letter envelope (storage/notices.ts noticesByRef). */
export interface NoticesAbout {
  readonly answer?: NoticeRow | undefined
  readonly withdrawal?: NoticeRow | undefined
  readonly dispute?: NoticeRow | undefined
}

const iso = (ms: number | null | undefined) => (ms == null ? undefined : isoTime(ms))

const noticeOf = (r: NoticeRow) => JSON.parse(r.noticeJson) as Notice
// Years in the API are Buddhist-era (README "Conventions"); the notice on the wire carries the Common Era (PROTOCOL.md §18.2).
const registerView = (n: Notice) => ({ book: n.register!.book, year: buddhistYear(n.register!.year), number: n.register!.number })

/** An outgoing notice and its delivery (PROTOCOL.md §18.5): pending until sealed into the outbox. */
export function noticeDeliveryView(r: NoticeRow) {
  return {
    messageId: r.messageId,
    status: r.deliveryStatus ?? 'pending',
    ...(r.deliveredAt != null ? { deliveredAt: iso(r.deliveredAt) } : {}),
    ...(r.lastErrorCode ? { lastError: { code: r.lastErrorCode, detail: r.lastErrorDetail ?? '' } } : {}),
  }
}

/** Sender side, per recipient: the answer that arrived, or our withdrawal (PROTOCOL.md §18.4). */
function recipientNoticesView(m: OutboxMessageMeta, about: NoticesAbout) {
  const answer = about.answer?.direction === 'in' ? about.answer : undefined
  const withdrawal = about.withdrawal?.direction === 'out' ? about.withdrawal : undefined
  const dispute = about.dispute?.direction === 'out' ? about.dispute : undefined
  const a = answer && noticeOf(answer)
  const w = withdrawal && noticeOf(withdrawal)
  const d = dispute && noticeOf(dispute)
  return {
    state: recipientState(m.status, a?.type, withdrawal !== undefined),
    ...(a?.type === 'accepted' ? { accepted: { ...registerView(a), registeredAt: a.at, receivedAt: isoTime(answer!.createdAt), noticeMessageId: answer!.messageId } } : {}),
    ...(a?.type === 'rejected' ? { rejected: { reasonCode: a.reasonCode!, reason: a.reason!, rejectedAt: a.at, receivedAt: isoTime(answer!.createdAt), noticeMessageId: answer!.messageId } } : {}),
    // A withdrawal that cancelled the queued delivery has no notice (PROTOCOL.md §18.4).
    ...(w ? { withdrawn: { reason: w.reason!, withdrawnAt: w.at, ...(shownStatus(m.status, m.lastErrorCode) === 'cancelled' ? { cancelled: true as const } : { notice: noticeDeliveryView(withdrawal!) }) } } : {}),
    ...(dispute ? { disputed: { reason: d!.reason!, disputedAt: d!.at, notice: noticeDeliveryView(dispute) } } : {}),
  }
}

/** Recipient side: our registration or rejection, and the sender's withdrawal (PROTOCOL.md §18.4). */
export function inboxNoticesView(about: NoticesAbout) {
  const answer = about.answer?.direction === 'out' ? about.answer : undefined
  const withdrawal = about.withdrawal?.direction === 'in' ? about.withdrawal : undefined
  const dispute = about.dispute?.direction === 'in' ? about.dispute : undefined
  const a = answer && noticeOf(answer)
  const w = withdrawal && noticeOf(withdrawal)
  const d = dispute && noticeOf(dispute)
  return {
    state: inboxState(a?.type, withdrawal !== undefined),
    ...(a?.type === 'accepted' ? { registration: { ...registerView(a), registeredAt: a.at, notice: noticeDeliveryView(answer!) } } : {}),
    ...(a?.type === 'rejected' ? { rejection: { reasonCode: a.reasonCode!, reason: a.reason!, rejectedAt: a.at, notice: noticeDeliveryView(answer!) } } : {}),
    ...(w ? { withdrawal: { reason: w.reason!, withdrawnAt: w.at, receivedAt: isoTime(withdrawal!.createdAt), noticeMessageId: withdrawal!.messageId } } : {}),
    // The sender disputes our acceptance's receive number (PROTOCOL.md §18.4): the registration stands.
    ...(d ? { dispute: { ...registerView(d!), reason: d.reason!, disputedAt: d.at, receivedAt: isoTime(dispute!.createdAt), noticeMessageId: dispute!.messageId } } : {}),
  }
}

/** `withReceipt`: embed the signed receipt (GET /api/v1/letters/{id}?include=receipts; issue 20 §8). */
export function recipientView(m: OutboxMessageMeta, about?: NoticesAbout, now = Date.now(), withReceipt = false) {
  // PROTOCOL.md §7.3: from the deadline event raised last; the window is the watch's business, so
  // here only a passed deadline is judged from the clock.
  const shown = shownStatus(m.status, m.lastErrorCode)
  const deadline = shown === 'cancelled' ? undefined : deadlineState({ status: m.status, deadlineAt: m.deadlineAt ?? null, deliveredAt: m.deliveredAt, raised: m.deadlineState ?? null }, now, 0)
  return {
    ...(about ? recipientNoticesView(m, about) : {}),
    agency: m.recipientAgency,
    messageId: m.messageId,
    profile: m.profile,
    status: shown,
    attempts: m.attempts,
    ...(m.status === 'queued' && m.attempts > 0 ? { nextAttemptAt: iso(m.nextAttemptAt) } : {}),
    ...(m.lastErrorCode ? { lastError: { code: m.lastErrorCode, detail: m.lastErrorDetail ?? '' } } : {}),
    ...(m.deliveredAt != null ? { deliveredAt: iso(m.deliveredAt) } : {}),
    ...(withReceipt && m.receipt ? { receipt: m.receipt } : {}),
    envelopeSha256: m.envelopeSha256,
    ...(deadline !== undefined ? { deadline } : {}),
  }
}

const statusOf = (messages: readonly OutboxMessageMeta[]) => letterStatus(messages.map((m) => shownStatus(m.status, m.lastErrorCode)))

/** `notices`: per recipient message id, the notices about it (absent: no notice members shown);
 *  `withReceipts`: each recipient's signed receipt embedded (absent: the light status). */
export function letterView(l: OutboxLetter, messages: readonly OutboxMessageMeta[], notices?: ReadonlyMap<string, NoticesAbout>, withReceipts = false) {
  return {
    id: l.id,
    createdAt: isoTime(l.createdAt),
    sender: l.senderAgency,
    status: statusOf(messages),
    letter: JSON.parse(l.letterJson) as unknown,
    recipients: messages.map((m) => recipientView(m, notices ? notices.get(m.messageId) ?? {} : undefined, Date.now(), withReceipts)),
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
    recipients: messages.map((m) => ({ agency: m.recipientAgency, status: shownStatus(m.status, m.lastErrorCode) })),
  }
}

export function inboxItemView(m: InboxMessage, about?: NoticesAbout) {
  const letter = JSON.parse(m.letterJson) as { subject: string; urgency?: string; secrecy?: string; number?: string }
  return {
    ...(about ? { state: inboxNoticesView(about).state } : {}),
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

export function inboxMessageView(m: InboxMessage, about?: NoticesAbout) {
  const signer = JSON.parse(m.signerJson) as { agency: string; subject: string; fingerprint: string; signedAt: string; chain: string[] }
  return {
    ...(about ? inboxNoticesView(about) : {}),
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
