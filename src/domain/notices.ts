// Notices about a letter (PROTOCOL.md §18): the recipient's answer (accepted = registered, the second
// acknowledgement stage; rejected), the sender's withdrawal, and the sender's dispute of an acceptance. Pure rules: which acts each side may
// still do, and the state each side shows. The tables are the specification (§18.4).
import type { ErrorCode } from '../errors.js'
import type { RecipientStatus } from './delivery.js'

export const NOTICE_TYPES = ['accepted', 'rejected', 'withdrawn', 'disputed'] as const
export type NoticeType = (typeof NOTICE_TYPES)[number]

/** PROTOCOL.md §18.3 (e-CMS RejectLetterNotifier / InvalidLetterNotifier). */
export const REJECT_REASONS = ['misaddressed', 'wrong-agency', 'incomplete', 'invalid', 'other'] as const
export type RejectReason = (typeof REJECT_REASONS)[number]

/** The signed `notice` object (schemas/protocol/notice.json). */
export interface Notice {
  readonly type: NoticeType
  readonly messageId: string
  readonly envelopeSha256: string
  readonly at: string
  readonly register?: { readonly book: string; readonly year: number; readonly number: number }
  readonly reasonCode?: RejectReason
  readonly reason?: string
}

// ---- Recipient side (the inbox) --------------------------------------------------------------------

export type InboxState = 'received' | 'registered' | 'rejected' | 'withdrawn'
export type InboxAct = 'register' | 'reject'

/** What the recipient's saraban system may do in each state; a code is a refusal (409). */
export const INBOX_ACTS: Readonly<Record<InboxState, Readonly<Record<InboxAct, true | ErrorCode>>>> = {
  received: { register: true, reject: true },
  registered: { register: 'ERR_ALREADY_REGISTERED', reject: 'ERR_ALREADY_REGISTERED' },
  rejected: { register: 'ERR_ALREADY_REJECTED', reject: 'ERR_ALREADY_REJECTED' },
  withdrawn: { register: 'ERR_LETTER_WITHDRAWN', reject: 'ERR_LETTER_WITHDRAWN' },
}

/** The recipient's own answer wins over a withdrawal that crossed it (§18.4): both sides converge. */
export function inboxState(answer: NoticeType | undefined, withdrawn: boolean): InboxState {
  if (answer === 'accepted') return 'registered'
  if (answer === 'rejected') return 'rejected'
  return withdrawn ? 'withdrawn' : 'received'
}

// ---- Sender side (each recipient of a letter) ------------------------------------------------------

export type RecipientState = RecipientStatus | 'accepted' | 'rejected' | 'withdrawn'

/** What withdrawing the letter from a recipient does, by its state (§18.4): `notice`, a signed
 *  withdrawal goes out (the recipient has the letter); `cancel`, the queued message is cancelled and
 *  never sent (delivery status `cancelled`, no notice); a code is a refusal (409). An attempt in
 *  flight may deliver the letter anyway: the caller is told to ask again once it has ended. */
export type WithdrawAct = 'notice' | 'cancel'
export const WITHDRAW: Readonly<Record<RecipientState, WithdrawAct | ErrorCode>> = {
  delivered: 'notice',
  queued: 'cancel',
  sending: 'ERR_WITHDRAW_IN_FLIGHT',
  failed: 'ERR_NOT_DELIVERED',
  accepted: 'ERR_WITHDRAW_ACCEPTED',
  rejected: 'ERR_ALREADY_REJECTED',
  withdrawn: 'ERR_ALREADY_WITHDRAWN',
}

/** The recipient's answer, else the sender's withdrawal (sent as a notice, or a cancelled delivery),
 *  else the delivery status (§18.4). */
export function recipientState(delivery: RecipientStatus, answer: NoticeType | undefined, withdrawn: boolean): RecipientState {
  if (answer === 'accepted' || answer === 'rejected') return answer
  return withdrawn ? 'withdrawn' : delivery
}

/** What disputing a recipient's acceptance does, by its state (§18.4): only an acceptance can be
 *  disputed (its receive number is what e-CMS's InvalidAcceptIDNotifier calls wrong); a code is a
 *  refusal (409). */
export const DISPUTE: Readonly<Record<RecipientState, 'notice' | ErrorCode>> = {
  delivered: 'ERR_NOTICE_INVALID',
  queued: 'ERR_NOTICE_INVALID',
  sending: 'ERR_NOTICE_INVALID',
  failed: 'ERR_NOT_DELIVERED',
  accepted: 'notice',
  rejected: 'ERR_ALREADY_REJECTED',
  withdrawn: 'ERR_ALREADY_WITHDRAWN',
}

/** Whether two register entries are the same (a dispute names exactly the acceptance's, §18.2). */
export function sameRegister(a: Notice['register'], b: Notice['register']): boolean {
  return a !== undefined && b !== undefined && a.book === b.book && a.year === b.year && a.number === b.number
}

/** PROTOCOL.md §18.5 check 4: a `disputed` notice against the answer we sent about that letter (if
 *  any); the refusal's code and field, or undefined when it may be recorded. */
export function disputeProblem(dispute: Notice, ourAnswer: Notice | undefined): { code: ErrorCode; field: string; detail: string } | undefined {
  if (ourAnswer?.type !== 'accepted') {
    return { code: 'ERR_NOTICE_INVALID', field: '/notice/type', detail: `Letter ${dispute.messageId} was not accepted here, so there is no acceptance to dispute.` }
  }
  if (!sameRegister(dispute.register, ourAnswer.register)) {
    return { code: 'ERR_NOTICE_INVALID', field: '/notice/register', detail: `The dispute names another register entry than the acceptance of letter ${dispute.messageId} gave.` }
  }
  return undefined
}

/** Which side sends a notice type: answers go recipient → sender, withdrawals and disputes sender →
 *  recipient. */
export function isAnswer(type: NoticeType): boolean {
  return type === 'accepted' || type === 'rejected'
}

/** The Common-Era calendar year of an instant in Asia/Bangkok (UTC+07:00, no daylight saving). */
export function bangkokYear(ms: number): number {
  return new Date(ms + 7 * 3_600_000).getUTCFullYear()
}
