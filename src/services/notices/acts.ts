// The acts behind the notice API (PROTOCOL.md §18): the recipient registers or rejects a received
// letter; the sender withdraws a delivered one, or disputes the receive number of an acceptance. Phase one, in one transaction: check the state table
// (domain/notices.ts), take the receive number, record the notice. Phase two seals and queues it
// (seal-notice.ts). The API answers after both; a notice that must wait is sealed later.
import { randomUUID } from 'node:crypto'
import { SarabanError, type FieldProblem } from '../../errors.js'
import { isoTime } from '../../clock.js'
import { DISPUTE, INBOX_ACTS, WITHDRAW, bangkokYear, inboxState, recipientState, type InboxAct, type Notice, type RejectReason, type WithdrawAct } from '../../domain/notices.js'
import { noticesByRef, type NewOutNotice, type NoticeRow } from '../../storage/notices.js'
import type { Letter } from '../../domain/letter.js'
import { factsOfLetter } from '../../domain/registers.js'
import type { NoticeDeps } from './deps.js'
import { sealAll } from './seal-notice.js'

export interface RegisterRequest {
  readonly number?: number | undefined
  readonly book?: string | undefined
  readonly action?: string | undefined
  readonly remarks?: string | undefined
}

export interface RejectRequest {
  readonly reasonCode: RejectReason
  readonly reason: string
}

export interface DisputeRequest {
  readonly recipient: string
  readonly reason: string
}

export interface WithdrawRequest {
  readonly reason: string
  readonly recipients?: readonly string[] | undefined
}

function refuse(code: ReturnType<typeof stateCheck>, detail: string, field?: string): never {
  throw new SarabanError(code === true ? 'ERR_INTERNAL' : code, detail, field === undefined ? {} : { field })
}

function stateCheck(deps: NoticeDeps, messageId: string, act: InboxAct) {
  const about = noticesByRef(deps.notices.about(messageId)).get(messageId) ?? {}
  const answer = about.answer?.direction === 'out' ? about.answer.type : undefined
  const withdrawn = about.withdrawal?.direction === 'in'
  return INBOX_ACTS[inboxState(answer, withdrawn)][act]
}

/** The inbox message, as the recipient's own letter envelope; ERR_NOT_FOUND if unknown here. */
function inboxRef(deps: NoticeDeps, messageId: string) {
  const ref = deps.notices.inboxRef(messageId)
  if (!ref) throw new SarabanError('ERR_NOT_FOUND', `No received letter ${messageId}.`, { field: 'id' })
  return ref
}

/** Records one outgoing notice (phase one); throws the state's refusal when a concurrent act won. */
function record(deps: NoticeDeps, n: NewOutNotice, lost: () => never): void {
  if (!deps.notices.insertOut(n)) lost()
}

/** POST /api/v1/inbox/{id}/register: the next receive number (or a supplied unused one), and the
 *  signed `accepted` notice to the sender (PROTOCOL.md §18.2, §18.4). */
export async function registerLetter(deps: NoticeDeps, messageId: string, req: RegisterRequest): Promise<NoticeRow> {
  const registers = deps.registers
  if (!registers) throw new SarabanError('ERR_INTERNAL', 'This node has no registers service configured, so it cannot register letters.')
  const ref = inboxRef(deps, messageId)
  const letter = JSON.parse(ref.letterJson) as Letter
  const noticeId = randomUUID()
  const row = await deps.db.write(() => {
    const allowed = stateCheck(deps, messageId, 'register')
    if (allowed !== true) refuse(allowed, `Letter ${messageId} cannot be registered: ${allowed}.`, '/path/id')
    const now = deps.clock.now()
    const name = (a: string) => deps.directory().agency(a)?.nameTh ?? a
    const entry = { ...factsOfLetter(letter, ref.senderAgency, name), action: req.action, remarks: req.remarks }
    const r = registers.receive({ agency: ref.recipientAgency, messageId, at: now, number: req.number, book: req.book, entry })
    // The register's year may be Buddhist-era (25xx); the wire carries the Common-Era year (§18.2).
    const year = r.year > 2400 ? r.year - 543 : r.year
    if (year !== bangkokYear(now)) deps.log.warn({ event: 'notice.register-year', messageId, year }, 'the register year is not the Bangkok year of the registration')
    const notice: Notice = { type: 'accepted', messageId, envelopeSha256: ref.envelopeSha256, at: isoTime(now), register: { book: r.book, year, number: r.number } }
    record(deps, { messageId: noticeId, type: 'accepted', refersTo: messageId, fromAgency: ref.recipientAgency, toAgency: ref.senderAgency, noticeJson: JSON.stringify(notice), createdAt: now },
      () => refuse(stateCheck(deps, messageId, 'register'), `Letter ${messageId} was answered concurrently.`))
    return deps.notices.get(noticeId)!
  })
  await sealAll(deps, [row])
  deps.log.info({ event: 'letter.registered', messageId, notice: noticeId }, 'letter registered; acceptance queued')
  return row
}

/** POST /api/v1/inbox/{id}/reject: the signed `rejected` notice with a reason code (§18.3). */
export async function rejectLetter(deps: NoticeDeps, messageId: string, req: RejectRequest): Promise<NoticeRow> {
  const ref = inboxRef(deps, messageId)
  const noticeId = randomUUID()
  const row = await deps.db.write(() => {
    const allowed = stateCheck(deps, messageId, 'reject')
    if (allowed !== true) refuse(allowed, `Letter ${messageId} cannot be rejected: ${allowed}.`, '/path/id')
    const now = deps.clock.now()
    const notice: Notice = { type: 'rejected', messageId, envelopeSha256: ref.envelopeSha256, at: isoTime(now), reasonCode: req.reasonCode, reason: req.reason }
    record(deps, { messageId: noticeId, type: 'rejected', refersTo: messageId, fromAgency: ref.recipientAgency, toAgency: ref.senderAgency, noticeJson: JSON.stringify(notice), createdAt: now },
      () => refuse(stateCheck(deps, messageId, 'reject'), `Letter ${messageId} was answered concurrently.`))
    return deps.notices.get(noticeId)!
  })
  await sealAll(deps, [row])
  deps.log.info({ event: 'letter.rejected-by-us', messageId, notice: noticeId, reasonCode: req.reasonCode }, 'letter rejected; rejection queued')
  return row
}

/** POST /api/v1/letters/{id}/withdraw (§18.4): for each recipient that has the letter and has not
 *  answered, a signed `withdrawn` notice; for each whose message is still queued, the message is
 *  cancelled in the same transaction (never sent, no notice; event `letter.cancelled`). Named
 *  recipients must all be eligible; without a list, every such recipient, refused when any recipient
 *  accepted or has an attempt in flight (it may be delivered: ask again once it has ended). */
export async function withdrawLetter(deps: NoticeDeps, letterId: string, req: WithdrawRequest): Promise<NoticeRow[]> {
  const rows = await deps.db.write(() => {
    const messages = deps.outbox.messagesForLetter(letterId)
    const about = noticesByRef(deps.notices.aboutAll(messages.map((m) => m.messageId)))
    const states = messages.map((m) => {
      const a = about.get(m.messageId) ?? {}
      const answer = a.answer?.direction === 'in' ? a.answer.type : undefined
      const state = recipientState(m.status, answer, a.withdrawal?.direction === 'out')
      return { m, state, act: WITHDRAW[state] }
    })
    type Refusal = Exclude<(typeof WITHDRAW)[keyof typeof WITHDRAW], WithdrawAct>
    const isAct = (a: WithdrawAct | Refusal): a is WithdrawAct => a === 'notice' || a === 'cancel'
    const problems: Array<FieldProblem & { code: Refusal }> = []
    let targets: Array<(typeof states)[number] & { act: WithdrawAct }>
    if (req.recipients) {
      targets = []
      req.recipients.forEach((agency, j) => {
        const s = states.find((x) => x.m.recipientAgency === agency)
        if (!s) throw new SarabanError('ERR_REQUEST_INVALID', `"${agency}" is not a recipient of letter ${letterId}.`, { field: `/recipients/${j}` })
        if (isAct(s.act)) targets.push({ ...s, act: s.act })
        else problems.push({ code: s.act, field: `/recipients/${j}`, message: `"${agency}" is ${s.state}` })
      })
    } else {
      for (const s of states) {
        // Without a list, recipients whose delivery failed or that already answered are left alone,
        // but an accepted one, or one with an attempt in flight, makes the request ambiguous: refuse it.
        if (s.act === 'ERR_WITHDRAW_ACCEPTED' || s.act === 'ERR_WITHDRAW_IN_FLIGHT') {
          problems.push({ code: s.act, field: `/recipients`, message: `"${s.m.recipientAgency}" is ${s.state}` })
        }
      }
      targets = states.flatMap((s) => (isAct(s.act) ? [{ ...s, act: s.act }] : []))
      if (problems.length === 0 && targets.length === 0) {
        // PROTOCOL.md §18.4: not ERR_NOT_DELIVERED, which says of one recipient that it never had the letter.
        const left = states.map((s) => `"${s.m.recipientAgency}" is ${s.state}`).join('; ')
        throw new SarabanError('ERR_NOTHING_TO_WITHDRAW', `Letter ${letterId} has no recipient left to withdraw from (none queued, none delivered without an answer): ${left}.`, { field: '/recipients' })
      }
    }
    if (problems.length > 0) {
      const again = problems.some((p) => p.code === 'ERR_WITHDRAW_IN_FLIGHT') ? ' A recipient with an attempt in flight can be withdrawn from in a moment, once the attempt has ended.' : ''
      throw new SarabanError(problems[0]!.code, `The letter cannot be withdrawn: ${problems.map((p) => p.message).join('; ')}. Name the recipients to withdraw from in "recipients".${again}`, {
        errors: problems.map(({ field, message }) => ({ field, message })),
      })
    }
    const now = deps.clock.now()
    return targets.map((s) => {
      const noticeId = randomUUID()
      const notice: Notice = { type: 'withdrawn', messageId: s.m.messageId, envelopeSha256: s.m.envelopeSha256, at: isoTime(now), reason: req.reason }
      record(deps, { messageId: noticeId, type: 'withdrawn', refersTo: s.m.messageId, fromAgency: s.m.senderAgency, toAgency: s.m.recipientAgency, noticeJson: JSON.stringify(notice), createdAt: now },
        () => { throw new SarabanError('ERR_ALREADY_WITHDRAWN', `"${s.m.recipientAgency}" was withdrawn from concurrently.`) })
      if (s.act === 'cancel') {
        // The claim runs on this same connection, so a queued message cannot be taken in between; the
        // guard in the UPDATE (status = 'queued') is what makes that true, and is checked.
        if (!deps.outbox.cancelQueued(s.m.messageId, req.reason)) {
          throw new SarabanError('ERR_WITHDRAW_IN_FLIGHT', `An attempt to deliver to "${s.m.recipientAgency}" started; ask again once it has ended.`, { field: '/recipients' })
        }
        deps.events?.emit({ agency: s.m.senderAgency, type: 'letter.cancelled', letterId, messageId: s.m.messageId, data: { recipient: s.m.recipientAgency, reason: req.reason } })
      }
      return { row: deps.notices.get(noticeId)!, act: s.act }
    })
  })
  await sealAll(deps, rows.filter((r) => r.act === 'notice').map((r) => r.row))
  const cancelled = rows.filter((r) => r.act === 'cancel').map((r) => r.row.toAgency)
  deps.log.info({ event: 'letter.withdrawing', letterId, recipients: rows.map((r) => r.row.toAgency), cancelled }, 'withdrawal queued; queued deliveries cancelled')
  return rows.map((r) => r.row)
}

/** POST /api/v1/letters/{id}/dispute (§18.4; e-CMS InvalidAcceptIDNotifier): the sender tells a
 *  recipient that the receive number its acceptance gave is wrong, in a signed `disputed` notice that
 *  names exactly that register entry. Only an accepted letter can be disputed, once per recipient. */
export async function disputeAcceptance(deps: NoticeDeps, letterId: string, req: DisputeRequest): Promise<NoticeRow> {
  const row = await deps.db.write(() => {
    const m = deps.outbox.messagesForLetter(letterId).find((x) => x.recipientAgency === req.recipient)
    if (!m) throw new SarabanError('ERR_REQUEST_INVALID', `"${req.recipient}" is not a recipient of letter ${letterId}.`, { field: '/recipient' })
    const a = noticesByRef(deps.notices.about(m.messageId)).get(m.messageId) ?? {}
    const answer = a.answer?.direction === 'in' ? a.answer : undefined
    const state = recipientState(m.status, answer?.type, a.withdrawal?.direction === 'out')
    const act = DISPUTE[state]
    if (act !== 'notice') {
      throw new SarabanError(act, `Only an acceptance can be disputed, and "${req.recipient}" is ${state}: there is no receive number of theirs to dispute.`, { field: '/recipient' })
    }
    if (a.dispute?.direction === 'out') {
      throw new SarabanError('ERR_NOTICE_CONFLICT', `The acceptance of "${req.recipient}" was already disputed; settle the receive number with that agency.`, { field: '/recipient' })
    }
    const now = deps.clock.now()
    const register = (JSON.parse(answer!.noticeJson) as Notice).register!
    const notice: Notice = { type: 'disputed', messageId: m.messageId, envelopeSha256: m.envelopeSha256, at: isoTime(now), register, reason: req.reason }
    const noticeId = randomUUID()
    record(deps, { messageId: noticeId, type: 'disputed', refersTo: m.messageId, fromAgency: m.senderAgency, toAgency: m.recipientAgency, noticeJson: JSON.stringify(notice), createdAt: now },
      () => { throw new SarabanError('ERR_NOTICE_CONFLICT', `The acceptance of "${req.recipient}" was disputed concurrently.`, { field: '/recipient' }) })
    return deps.notices.get(noticeId)!
  })
  await sealAll(deps, [row])
  deps.log.info({ event: 'letter.disputing', letterId, recipient: req.recipient, notice: row.messageId }, 'acceptance disputed; dispute queued')
  return row
}
