// Receiving a notice (PROTOCOL.md §18.5): the envelope passed the checks of §4.2 up to check 13; in
// place of the letter checks (check 14) the notice is checked against its schema and against the
// letter envelope it names, which must have been exchanged between exactly these two agencies, in the
// right direction, with exactly those bytes. Then it is stored with our receipt, and the saraban
// system is told (events).
import { SarabanError } from '../../errors.js'
import { check, schemaIds } from '../../schema/index.js'
import { bangkokYear, disputeProblem, isAnswer, type Notice } from '../../domain/notices.js'
import type { EventSink } from '../../domain/events.js'
import { buddhistYear } from '../../domain/thai.js'
import type { Db } from '../../storage/db.js'
import type { LetterRef, NoticeInsert, NoticeRow, NoticeStore, NewInNotice } from '../../storage/notices.js'

export interface NoticeReceiveDeps {
  readonly notices?: NoticeStore | undefined
  readonly events?: EventSink | undefined
}

/** Validates the signed notice and finds the letter envelope it refers to; throws a coded SarabanError. */
export function checkNotice(deps: NoticeReceiveDeps, raw: unknown, routing: { from: string; to: string }): { notice: Notice; ref: LetterRef } {
  const store = deps.notices
  if (!store) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'This node does not accept notices.', { field: '/notice' })
  const r = check<Notice>(schemaIds.notice, raw, '/notice')
  if (!r.ok) throw new SarabanError('ERR_NOTICE_INVALID', r.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: r.errors })
  const notice = r.value
  // PROTOCOL.md §18.2, §18.5 check 1: an acceptance's register year is the year of its `at` in
  // Asia/Bangkok. Not for a dispute, whose `register` is the acceptance's, made at another time.
  if (notice.type === 'accepted' && notice.register && notice.register.year !== bangkokYear(Date.parse(notice.at))) {
    throw new SarabanError('ERR_NOTICE_INVALID', `The acceptance is registered in ${notice.register.year}, but its "at" (${notice.at}) falls in ${bangkokYear(Date.parse(notice.at))} in Asia/Bangkok time.`, { field: '/notice/register/year' })
  }
  // An answer is about a letter we sent to its signer; a withdrawal or a dispute about a letter its
  // signer sent us (PROTOCOL.md §18.5 check 2).
  const fromSender = !isAnswer(notice.type)
  const ref = fromSender ? store.inboxRef(notice.messageId) : store.outboxRef(notice.messageId)
  const [sender, recipient] = fromSender ? [routing.from, routing.to] : [routing.to, routing.from]
  if (!ref || ref.senderAgency !== sender || ref.recipientAgency !== recipient) {
    throw new SarabanError('ERR_NOTICE_UNKNOWN_MESSAGE', `No letter ${notice.messageId} from "${sender}" to "${recipient}" is known here.`, { field: '/notice/messageId' })
  }
  if (ref.envelopeSha256 !== notice.envelopeSha256) {
    throw new SarabanError('ERR_NOTICE_UNKNOWN_MESSAGE', `The notice names other envelope bytes than letter ${notice.messageId} had.`, { field: '/notice/envelopeSha256' })
  }
  // PROTOCOL.md §18.4: one answer, one withdrawal and one dispute per letter envelope (checked again at insert).
  const kind = notice.type === 'withdrawn' || notice.type === 'disputed' ? [notice.type] : ['accepted', 'rejected']
  const about = store.about(notice.messageId)
  if (about.some((n) => n.direction === 'in' && kind.includes(n.type))) {
    throw new SarabanError('ERR_NOTICE_CONFLICT', `A ${kind.join(' or ')} notice about letter ${notice.messageId} was already received.`, { field: '/notice/type' })
  }
  if (notice.type === 'disputed') checkDispute(notice, about)
  return { notice, ref }
}

/** PROTOCOL.md §18.5 check 4: a dispute is about our acceptance, naming exactly its register entry. */
function checkDispute(notice: Notice, about: readonly NoticeRow[]): void {
  const ours = about.find((n) => n.direction === 'out' && (n.type === 'accepted' || n.type === 'rejected'))
  const problem = disputeProblem(notice, ours && (JSON.parse(ours.noticeJson) as Notice))
  if (problem) throw new SarabanError(problem.code, problem.detail, { field: problem.field })
}

/** A notice's register entry as events show it: the year Buddhist-era, as everywhere in the API (README "Conventions"). */
const apiRegister = (n: Notice) => ({ book: n.register!.book, year: buddhistYear(n.register!.year), number: n.register!.number })

/** Stores the notice with our receipt, and emits its event, in one transaction. */
export async function storeNotice(deps: NoticeReceiveDeps & { db: Db }, row: NewInNotice, notice: Notice, ref: LetterRef, also?: () => void): Promise<NoticeInsert> {
  const store = deps.notices!
  return deps.db.write(() => {
    const r = store.insertIn(row)
    if (!r.inserted) return r
    also?.()
    const common = { messageId: notice.messageId, data: { noticeMessageId: row.messageId, ...(isAnswer(notice.type) ? { recipient: row.fromAgency } : { from: row.fromAgency, reason: notice.reason }) } }
    if (notice.type === 'accepted') {
      deps.events?.emit({ agency: row.toAgency, type: 'letter.accepted', ...(ref.letterId ? { letterId: ref.letterId } : {}), ...common, data: { ...common.data, register: apiRegister(notice) } })
    } else if (notice.type === 'rejected') {
      deps.events?.emit({ agency: row.toAgency, type: 'letter.rejected', ...(ref.letterId ? { letterId: ref.letterId } : {}), ...common, data: { ...common.data, reasonCode: notice.reasonCode, reason: notice.reason } })
    } else if (notice.type === 'disputed') {
      deps.events?.emit({ agency: row.toAgency, type: 'letter.disputed', ...common, data: { ...common.data, register: apiRegister(notice) } })
    } else {
      deps.events?.emit({ agency: row.toAgency, type: 'letter.withdrawn', ...common })
    }
    return r
  })
}
