// The notifiers an e-CMS client sends inside CorrespondenceLetterOutboundRequest, and its
// CorrespondenceDeleteGovernmentDocumentRequest, as our notice acts (issue 18 §4; e-cms.md §7.4;
// PROTOCOL.md §18). Each finds the letter by e-CMS's key (LetterID + CorrespondenceDate, narrowed by the
// departments when given) in the correlation table, then calls the same acts as the REST API.
import { SarabanError } from '../../errors.js'
import { disputeAcceptance, registerLetter, rejectLetter, withdrawLetter } from '../notices/acts.js'
import { noticesByRef } from '../../storage/notices.js'
import type { Notice } from '../../domain/notices.js'
import type { NoticeRow } from '../../storage/notices.js'
import type { Correlation } from '../../storage/ecms-queue.js'
import type { EcmsQueueDeps } from './deps.js'
import { deptEqual, findCorrelation, type SpecialKey } from './pull.js'
import { sentCorrelation } from './enqueue.js'

export type LetterKey = Omit<SpecialKey, 'kind'>

/** The acknowledgement facts e-CMS adds to a notifier's answer (e-cms.md §4 "Notifier responses"). */
export interface AckAnswer {
  readonly acceptDate: string
  readonly acceptDepartment: string
  readonly notice?: NoticeRow
}

function received(d: EcmsQueueDeps, agency: string, key: LetterKey): Correlation {
  const c = findCorrelation(d, agency, 'in', key)
  if (!c) {
    throw new SarabanError('ERR_NOT_FOUND', `No letter "${key.letterId}" of ${key.correspondenceDate} was handed to this e-CMS client; check LetterID and CorrespondenceDate against the GovernmentDocument it pulled.`, { field: 'LetterID' })
  }
  return c
}

const answer = (d: EcmsQueueDeps, agency: string, notice?: NoticeRow): AckAnswer => ({
  acceptDate: new Date(d.clock.now()).toISOString(), acceptDepartment: d.departmentOf(agency) ?? '', ...(notice ? { notice } : {}),
})

/** ReceiveLetterNotifier: recorded, not sent on (our signed receipt already told the sender, §6.1). */
export async function clientReceived(d: EcmsQueueDeps, agency: string, key: LetterKey): Promise<AckAnswer> {
  const c = received(d, agency, key)
  await d.db.write(() => d.store.markClientReceived(c.id, d.clock.now()))
  return answer(d, agency)
}

/** The receive number an AcceptID names: digits, optionally "/year" (e.g. "123" or "123/2569"). */
export function receiveNumber(acceptId: string): number {
  const m = /^\s*(\d{1,9})(?:\s*\/\s*\d{4})?\s*$/.exec(acceptId)
  if (!m || Number(m[1]) < 1) {
    throw new SarabanError('ERR_REQUEST_INVALID', `AcceptID "${acceptId}" is not a receive number; send the number your register gave the letter (digits, e.g. "123" or "123/2569").`, { field: 'AcceptID' })
  }
  return Number(m[1])
}

/** Most numbers recorded for a gap at once (a client's register far ahead of the node's is refused). */
const MAX_GAP = 100_000

/** AcceptLetterNotifier: the AcceptID becomes the receive number in our register, and a signed
 *  `accepted` notice goes to the sender (PROTOCOL.md §18.2). The client's saraban system keeps its own
 *  register, which also numbers letters that never pass through the node (paper, other channels): when
 *  the AcceptID is ahead of our receive book, the numbers in between are recorded first as entries of
 *  letters that did not pass through the node (as POST /api/v1/registers/entries records paper letters),
 *  so the book stays without gaps and the AcceptID is the number the sender is told. */
export async function clientAccepted(d: EcmsQueueDeps, agency: string, key: LetterKey, acceptId: string): Promise<AckAnswer> {
  const number = receiveNumber(acceptId)
  const c = received(d, agency, key)
  const register = () => registerLetter(d.noticeDeps, c.messageId, { number, remarks: `e-CMS AcceptID ${acceptId.trim()}` })
  let notice: NoticeRow
  try {
    notice = await register()
  } catch (err) {
    if (!(err instanceof SarabanError) || err.code !== 'ERR_REGISTER_NUMBER_NOT_NEXT') throw err
    await fillGap(d, agency, number)
    notice = await register()
  }
  return answer(d, agency, notice)
}

async function fillGap(d: EcmsQueueDeps, agency: string, upTo: number): Promise<void> {
  const remarks = 'Number given by the agency\'s own saraban system (e-CMS) to a letter that did not pass through the node'
  const filled = await d.db.write(() => {
    for (let i = 0; i < MAX_GAP; i++) {
      const r = d.registers.recordEntry({ agency, book: 'receive', at: d.clock.now(), entry: { remarks } })
      if (r.number === upTo - 1) return i + 1
      // Someone else took the number meanwhile: roll the whole gap back, answered as a taken number.
      if (r.number >= upTo) throw new SarabanError('ERR_REGISTER_NUMBER_TAKEN', `Receive number ${upTo} is already used in the receive register of ${agency}.`, { field: 'AcceptID' })
    }
    throw new SarabanError('ERR_REQUEST_INVALID', `AcceptID ${upTo} is more than ${MAX_GAP} numbers ahead of the node's receive register; ask the operator to record the register's earlier numbers.`, { field: 'AcceptID' })
  })
  d.log.info({ event: 'ecms.register-gap', agency, upTo, filled }, 'receive numbers the e-CMS client\'s register gave outside the node recorded')
}

/** RejectLetterNotifier (no reason on the wire: `other`) and InvalidLetterNotifier (`misaddressed`):
 *  a signed `rejected` notice (PROTOCOL.md §18.3). */
export async function clientRejected(d: EcmsQueueDeps, agency: string, key: LetterKey, invalid: boolean): Promise<AckAnswer> {
  const c = received(d, agency, key)
  const notice = await rejectLetter(d.noticeDeps, c.messageId, invalid
    ? { reasonCode: 'misaddressed', reason: 'The recipient\'s e-CMS system reported the letter as invalid (InvalidLetterNotifier).' }
    : { reasonCode: 'other', reason: 'The recipient\'s e-CMS system rejected the letter (RejectLetterNotifier).' })
  return answer(d, agency, notice)
}

/** CorrespondenceDeleteGovernmentDocumentRequest: the sender withdraws the letter from that recipient
 *  (a signed `withdrawn` notice, or the queued message cancelled, §18.4) so that it can send it again
 *  under the same number. A letter the recipient already rejected, or one already withdrawn, needs no
 *  act: the answer is the same (idempotent). Either way the correlation row is retired, so the letter
 *  sent again is a new one to e-CMS's key. */
export async function clientWithdrew(d: EcmsQueueDeps, agency: string, key: LetterKey): Promise<{ withdrawn: boolean }> {
  const c = (await sentLetters(d, agency, key))[0]
  if (!c || !c.letterId) {
    throw new SarabanError('ERR_NOT_FOUND', `This agency sent no letter "${key.letterId}" of ${key.correspondenceDate} that can still be deleted; check LetterID, CorrespondenceDate and AcceptDepartment.`, { field: 'LetterID' })
  }
  let withdrawn = true
  try {
    await withdrawLetter(d.noticeDeps, c.letterId, { reason: 'The sender\'s e-CMS system deleted the letter (CorrespondenceDeleteGovernmentDocumentRequest).', recipients: [c.recipientAgency] })
  } catch (err) {
    if (!(err instanceof SarabanError) || (err.code !== 'ERR_ALREADY_REJECTED' && err.code !== 'ERR_ALREADY_WITHDRAWN')) throw err
    withdrawn = false
  }
  await d.db.write(() => d.store.retire(c.id, d.clock.now()))
  return { withdrawn }
}

/** The live correlation rows of letters this agency sent under this key, one per recipient. A letter
 *  not delivered yet has raised no event, so it may have no correlation row: made here. */
async function sentLetters(d: EcmsQueueDeps, agency: string, key: LetterKey): Promise<Correlation[]> {
  const same = (want: string | undefined, have: string) => !want || !have || deptEqual(want, have)
  const find = () => d.store.byKey({ agency, direction: 'out', ecmsLetterId: key.letterId, correspondenceDate: key.correspondenceDate })
    .filter((c) => c.retiredAt === null && same(key.senderDepartment, c.senderDept) && same(key.acceptDepartment, c.receiverDept))
  if (find().length > 0) return find()
  await d.db.write(() => {
    for (const m of d.store.sentByNumber({ agency, ecmsLetterId: key.letterId, correspondenceDate: key.correspondenceDate })) sentCorrelation(d, m)
  })
  return find()
}

/** The fixed reason of a dispute from e-CMS, which has no reason field (PROTOCOL.md §18.2 `reason`). */
export const ECMS_DISPUTE_REASON = 'ระบบสารบรรณของผู้ส่งแจ้งว่าเลขรับไม่ถูกต้อง (e-CMS InvalidAcceptIDNotifier). The sender\'s e-CMS system reported the receive number as wrong (InvalidAcceptIDNotifier).'

/** InvalidAcceptIDNotifier (source side, e-cms.md §3 3.2.6): the sender disputes the receive number a
 *  recipient gave, as a signed `disputed` notice naming exactly that acceptance (PROTOCOL.md §18.4). The
 *  notifier names no recipient, so the AcceptID picks it among the recipients of the letter: the one
 *  whose acceptance gave that number. A dispute already sent is answered the same (a retry). */
export async function clientDisputed(d: EcmsQueueDeps, agency: string, key: LetterKey, acceptId: string): Promise<AckAnswer> {
  const number = receiveNumber(acceptId)
  const sent = await sentLetters(d, agency, key)
  if (sent.length === 0) {
    throw new SarabanError('ERR_NOT_FOUND', `This agency sent no letter "${key.letterId}" of ${key.correspondenceDate}; check LetterID and CorrespondenceDate against the letter it sent.`, { field: 'LetterID' })
  }
  const about = noticesByRef(d.notices.aboutAll(sent.map((c) => c.messageId)))
  const match = sent.find((c) => {
    const a = about.get(c.messageId)?.answer
    return a?.direction === 'in' && a.type === 'accepted' && (JSON.parse(a.noticeJson) as Notice).register?.number === number
  })
  if (!match || !match.letterId) {
    throw new SarabanError('ERR_REQUEST_INVALID', `No recipient of letter "${key.letterId}" accepted it under receive number ${number}; send the AcceptID the AcceptLetterNotifier carried.`, { field: 'AcceptID' })
  }
  const done = about.get(match.messageId)?.dispute
  const notice = done?.direction === 'out' ? done : await disputeAcceptance(d.noticeDeps, match.letterId, { recipient: match.recipientAgency, reason: ECMS_DISPUTE_REASON })
  return answer(d, agency, notice)
}

/** How many times the agency deleted (withdrew) a letter with this LetterID and date sent to this
 *  recipient: a GovernmentDocument sent again after CorrespondenceDeleteGovernmentDocumentRequest is a
 *  new letter, so the gateway's idempotency key for a send includes this count (a plain retry of the
 *  same send still finds the first letter). */
export function resendGeneration(d: Pick<EcmsQueueDeps, 'store'>, agency: string, key: { letterId: string; correspondenceDate: string; recipientAgency: string }): number {
  return d.store.retiredCount({ agency, ecmsLetterId: key.letterId, correspondenceDate: key.correspondenceDate, recipientAgency: key.recipientAgency })
}
