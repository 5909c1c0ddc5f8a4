// What the queue handlers share (issue 18 §3, §4): a pulled item as the children of an Inbound answer,
// the correlation key a request names, and our refusals as e-CMS ErrorDetail codes.
import { SarabanError, type ErrorCode } from '../../../errors.js'
import { child, childText, el, pathText, type XmlEl } from '../xml.js'
import { ceDate, documentToXml, notifierToXml } from '../model.js'
import { EcmsError, type EcmsErrorCode } from '../errors.js'
import type { EcmsAnswer } from '../dispatch.js'
import type { Handout } from '../../../services/ecms/pull.js'
import type { LetterKey } from '../../../services/ecms/acks.js'
import { documentOf, notifierOf } from '../mapping/inbound.js'
import { thaiTime } from './time.js'

/** ProcessID, ProcessTime and the item (GovernmentDocument or notifier); an empty ProcessID when the
 *  queue is empty, which is how clients stop polling (BOI: `If inb.ProcessID.Trim <> ""`). */
export function handoutChildren(h: Handout | undefined, now: number): XmlEl[] {
  const head = [el('ProcessID', undefined, h?.processId ?? ''), el('ProcessTime', undefined, thaiTime(now))]
  if (!h) return head
  return [...head, h.kind === 'GovernmentDocument' ? documentToXml(documentOf(h.letter, h.correlation)) : notifierToXml(notifierOf(h))]
}

/** LetterID, CorrespondenceDate and the departments of a notifier / special / delete request element. */
export function letterKey(e: XmlEl): LetterKey {
  const letterId = childText(e, 'LetterID') ?? (child(e, 'CorrespondenceLetter') ? pathText(e, 'CorrespondenceLetter', 'ID') : undefined)
  const date = childText(e, 'CorrespondenceDate') ?? pathText(e, 'CorrespondenceLetter', 'CorrespondenceDate')
  if (!letterId) throw new EcmsError('ECMS-E030', `${e.name}/LetterID is missing`)
  if (!date) throw new EcmsError('ECMS-E030', `${e.name}/CorrespondenceDate is missing`)
  return {
    letterId,
    correspondenceDate: ceDate(date, `${e.name}/CorrespondenceDate`),
    senderDepartment: pathText(e, 'SenderDepartment', 'Code'),
    acceptDepartment: pathText(e, 'AcceptDepartment', 'Code'),
  }
}

/** Our refusals (PROTOCOL.md §9) as the queue's e-CMS codes; the detail keeps our sentence. */
const CODES: Partial<Record<ErrorCode, EcmsErrorCode>> = {
  ERR_REQUEST_INVALID: 'ECMS-E042',
  ERR_REGISTER_NUMBER_TAKEN: 'ECMS-E043',
  ERR_ALREADY_REGISTERED: 'ECMS-E044',
  ERR_ALREADY_REJECTED: 'ECMS-E044',
  ERR_LETTER_WITHDRAWN: 'ECMS-E044',
  ERR_ALREADY_WITHDRAWN: 'ECMS-E044',
  ERR_WITHDRAW_ACCEPTED: 'ECMS-E044',
  ERR_WITHDRAW_IN_FLIGHT: 'ECMS-E044',
  ERR_NOT_DELIVERED: 'ECMS-E044',
  ERR_NOTHING_TO_WITHDRAW: 'ECMS-E044',
  ERR_NOTICE_INVALID: 'ECMS-E044',
  ERR_NOTICE_CONFLICT: 'ECMS-E044',
}

/** Runs a queue act; our coded refusals become ErrorDetail answers, anything else propagates (E099). */
export async function answering(act: () => Promise<EcmsAnswer>): Promise<EcmsAnswer> {
  try {
    return await act()
  } catch (err) {
    if (err instanceof EcmsError) return { error: err.code, ...(err.detail ? { detail: err.detail } : {}) }
    if (!(err instanceof SarabanError)) throw err
    const code = err.code === 'ERR_NOT_FOUND' ? (err.field === 'ProcessID' ? 'ECMS-E040' : 'ECMS-E041') : CODES[err.code]
    if (!code) throw err
    return { error: code, detail: err.detail ?? err.message }
  }
}
