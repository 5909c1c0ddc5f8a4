// The shapes OutboxStore takes and returns (storage/outbox.ts re-exports them): a letter, its
// outbox messages with their delivery state (PROTOCOL.md §7.3), and the shared envelope contents of
// a circular (PROTOCOL.md §17).
import type { RecipientStatus } from '../domain/delivery.js'

export type { RecipientStatus }

export interface NewLetter {
  id: string
  senderAgency: string
  letterJson: string
  createdAt: number
  idempotencyKey?: string
  requestSha256?: string
  /** What the request meant (services/idempotency/fingerprint.ts; migration 028). */
  requestFingerprint?: string
}

/** Bytes shared by the envelopes of several messages of one letter (SealedMany.shared). */
export interface NewOutboxContent {
  /** Names this content within one insertLetter() call (e.g. the profile id). */
  ref: string
  profile: string
  bytes: Buffer
}

export interface NewOutboxMessage {
  messageId: string
  letterId: string
  recipientAgency: string
  profile: string
  /** The envelope, or its head when `contentRef` names shared bytes: envelope = envelope ‖ content ‖ tail. */
  envelope: Buffer
  tail?: Buffer
  /** NewOutboxContent.ref of the shared bytes in the same insertLetter() call. */
  contentRef?: string
  /** Or: the id stageEnvelope() gave the bytes stored earlier for this letter (`envelope` is then the head, usually empty). */
  contentId?: number
  envelopeSha256: string
  /** The envelope's content encryption key, kept for evidence bundles (PROTOCOL.md §8). */
  contentKey: Buffer
  /** 0 = most urgent. */
  priority: number
  nextAttemptAt: number
  /** deliverBy (ด่วนภายใน), ms since the epoch. */
  deadlineAt?: number
}

/** The pieces of one stored envelope: head ‖ content ‖ tail (content: outbox_contents id). */
export interface EnvelopeParts {
  head: Buffer
  contentId: number | null
  tail: Buffer
}

/** A due message as claimDue() offers it to the claimer's `accept` (cheap: no row lookup). */
export interface ClaimCandidate {
  messageId: string
  recipientAgency: string
}

/** A recipient whose deliverBy deadline event may be due (PROTOCOL.md §7.3). */
export interface DeadlineRow {
  messageId: string
  letterId: string
  recipientAgency: string
  senderAgency: string
  deadlineAt: number
  deadlineState: 'at-risk' | 'missed' | null
}

export interface OutboxMessage extends Omit<NewOutboxMessage, 'tail' | 'contentRef' | 'deadlineAt'> {
  status: RecipientStatus
  attempts: number
  lastErrorCode: string | null
  lastErrorDetail: string | null
  createdAt: number
  updatedAt: number
  deliveredAt: number | null
  receipt: string | null
  senderAgency: string // from the letter row
  /** From the letter row: 'notice' for a notice's message (PROTOCOL.md §18; storage/notices.ts). */
  kind?: 'letter' | 'notice'
  /** 1: a message of the classified path (PROTOCOL.md §19.5): no events. */
  classified?: number
  /** deliverBy and the deadline event raised last (PROTOCOL.md §7.3); always present when read from the store. */
  deadlineAt?: number | null
  deadlineState?: 'at-risk' | 'missed' | null
  /** When the give-up horizon started (PROTOCOL.md §7.2): stored, or requeued by an operator. Always present when read from the store. */
  horizonFrom?: number
}

/** An outbox message without its envelope bytes and content key (listing, status views). */
export type OutboxMessageMeta = Omit<OutboxMessage, 'envelope' | 'contentKey'>

export interface OutboxLetter {
  id: string
  senderAgency: string
  letterJson: string
  createdAt: number
  idempotencyKey: string | null
  requestSha256: string | null
  /** Null on letters stored before migration 028: requestSha256 decides for them. */
  requestFingerprint: string | null
}

/** Newest first. The cursor is the last row seen: (before, beforeId); without beforeId, createdAt < before. */
export interface ListOptions {
  agencies: readonly string[]
  limit: number
  before?: number
  beforeId?: string
}

export interface OutboxStoreOptions {
  /** PROTOCOL.md §7.2: one urgency rank is worth this much waiting (order key = due + rank × aging). */
  readonly agingMs?: number
  /** Who claims messages through this store (issue 19 item 2): one name per node process, the same
   *  across its restarts (owner.ts ownerFor: host and federation port). Default: unique to this process. */
  readonly owner?: string
  /** How long a claim holds a message unless renewed (outbox.ts DEFAULT_LEASE_MS). */
  readonly leaseMs?: number
}
