// What a saraban system reads of its own mail through the REST API: sent letters with each
// recipient's delivery and notices (PROTOCOL.md §7.3, §18.4), received letters with theirs, and the
// streams behind them. The API's routes call this, never the stores (house-style.md: edges call
// services); the row types are re-exported here so that views need no storage import either.
import type { OutboxStore } from '../../storage/outbox.js'
import type { InboxStore } from '../../storage/inbox.js'
import { noticesByRef, type NoticeStore, type NoticeRow } from '../../storage/notices.js'
import type { OutboxLetter, OutboxMessageMeta } from '../../storage/outbox.js'
import type { InboxMessage } from '../../storage/inbox.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import type { HostedAgencies } from '../hosting/agencies.js'
import { shownStatus } from '../../domain/delivery.js'
import { openAttachment, type AttachmentRange, type AttachmentStream } from '../inbox-read.js'
import { outboxEvidenceSource, type EvidenceSource } from '../evidence/stream.js'

export type { OutboxLetter, OutboxMessageMeta, InboxMessage, NoticeRow }

/** A message's answer (accepted or rejected) and its withdrawal, if any (§18.4). */
export interface NoticesOf { readonly answer?: NoticeRow; readonly withdrawal?: NoticeRow }

export interface MailboxDeps {
  readonly outbox: OutboxStore
  readonly inbox: InboxStore
  readonly notices: NoticeStore
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
}

/** A page query: the agencies asked about, newest first, from a cursor's position (api/paging.ts). */
export interface MailPage { readonly agencies: readonly string[]; readonly limit: number; readonly before?: number; readonly beforeId?: string }

export interface SentStatus {
  readonly letter: OutboxLetter
  readonly messages: readonly OutboxMessageMeta[]
  readonly notices: ReadonlyMap<string, NoticesOf>
}

export class Mailbox {
  readonly #d: MailboxDeps
  constructor(deps: MailboxDeps) { this.#d = deps }

  /** A letter this node sent, or undefined. */
  sentLetter(id: string): OutboxLetter | undefined { return this.#d.outbox.getLetter(id) }

  /** The letter with each recipient's delivery and notices. */
  sentStatus(letter: OutboxLetter): SentStatus {
    const messages = this.#d.outbox.messagesForLetter(letter.id)
    return { letter, messages, notices: noticesByRef(this.#d.notices.aboutAll(messages.map((m) => m.messageId))) }
  }

  /** False when a sent letter took no effect: every addressee rejected it, or it was withdrawn from or
   *  cancelled for every one (PROTOCOL.md §18.4); its ที่ may then be sent again (issue 20 §11). */
  letterStands(letterId: string): boolean {
    const messages = this.#d.outbox.messagesForLetter(letterId)
    const notices = noticesByRef(this.#d.notices.aboutAll(messages.map((m) => m.messageId)))
    return messages.length === 0 || messages.some((m) => {
      const n = notices.get(m.messageId)
      return shownStatus(m.status, m.lastErrorCode) !== 'cancelled' && n?.withdrawal === undefined && n?.answer?.type !== 'rejected'
    })
  }

  /** Sent letters, newest first, each with its messages. */
  sentPage(q: MailPage): { letter: OutboxLetter; messages: readonly OutboxMessageMeta[] }[] {
    return this.#d.outbox.listLetters(pageArgs(q)).map((letter) => ({ letter, messages: this.#d.outbox.messagesForLetter(letter.id) }))
  }

  /** What the evidence archive of a sent letter reads (PROTOCOL.md §8). */
  evidenceSource(letterId: string): EvidenceSource { return outboxEvidenceSource(this.#d.outbox, letterId) }

  /** A letter this node received, or undefined. */
  received(messageId: string): InboxMessage | undefined { return this.#d.inbox.get(messageId) }

  /** The answer and withdrawal of a received letter. */
  receivedNotices(messageId: string): NoticesOf { return noticesByRef(this.#d.notices.about(messageId)).get(messageId) ?? {} }

  /** Received letters, newest first, each with its notices. */
  receivedPage(q: MailPage): { message: InboxMessage; notices: NoticesOf }[] {
    const items = this.#d.inbox.list(pageArgs(q))
    const about = noticesByRef(this.#d.notices.aboutAll(items.map((m) => m.messageId)))
    return items.map((message) => ({ message, notices: about.get(message.messageId) ?? {} }))
  }

  /** The stored facts of one received attachment (name, type, size, SHA-256), or undefined. */
  receivedAttachment(messageId: string, attachmentId: string) { return this.#d.inbox.getAttachment(messageId, attachmentId) }

  /** The bytes of one received attachment, streamed and checked (services/inbox-read.ts). */
  openReceivedAttachment(messageId: string, attachmentId: string, range?: AttachmentRange): Promise<AttachmentStream | undefined> {
    return openAttachment(this.#d, messageId, attachmentId, range)
  }
}

function pageArgs(q: MailPage) {
  return { agencies: q.agencies, limit: q.limit, ...(q.before !== undefined ? { before: q.before } : {}), ...(q.beforeId !== undefined ? { beforeId: q.beforeId } : {}) }
}
