// OutboundStatusRequest (e-cms.md §3 5.25): the state of the letters an agency sent through the
// gateway, in e-CMS terms. The states are our delivery states and notices (PROTOCOL.md §7.3, §18.4)
// read the way e-CMS clients label them (px-service's ThegifService.getDataLetterStatus, e-cms.md §6).
import type { OutboxStore } from '../../storage/outbox.js'
import { noticesByRef, type NoticeStore, type NoticeRow } from '../../storage/notices.js'
import type { EcmsOutboundStore } from '../../storage/ecms-outbound.js'
import type { RecipientStatus } from '../../domain/delivery.js'

export interface EcmsStatusDeps {
  readonly records: EcmsOutboundStore
  readonly outbox: Pick<OutboxStore, 'messagesForLetter'>
  readonly notices: Pick<NoticeStore, 'aboutAll'>
}

/** The e-CMS states of a sent letter, and the labels e-CMS clients show for them. */
export const OUTBOUND_STATES = {
  SENT: 'ส่งหนังสือ',
  FAILED: 'ส่งหนังสือไม่สำเร็จ',
  RECEIVED: 'ปลายทางรับหนังสือ',
  ACCEPTED: 'ปลายทางลงเลขรับหนังสือ',
  REJECTED: 'ปลายทางปฏิเสธหนังสือ',
  INVALID: 'ปลายทางแจ้งหนังสือผิด/ส่งผิด',
  WITHDRAWN: 'ขอลบหนังสือภายนอกเพื่อส่งใหม่',
} as const
export type OutboundState = keyof typeof OUTBOUND_STATES

export interface OutboundStatus {
  /** our letter id, the ProcessID answered to CorrespondenceLetterOutboundRequest */
  readonly processId: string
  readonly letterId: string
  readonly correspondenceDate: string
  readonly state: OutboundState
  /** ACCEPTED: the receive number the recipient registered it under */
  readonly acceptId?: string
}

/** One recipient's state: the latest act wins (withdrawal, then the recipient's answer, then delivery). */
export function stateOf(delivery: RecipientStatus, notices: { answer?: NoticeRow; withdrawal?: NoticeRow }): { state: OutboundState; acceptId?: string } {
  if (notices.withdrawal) return { state: 'WITHDRAWN' }
  const a = notices.answer
  if (a?.type === 'accepted') {
    const reg = (JSON.parse(a.noticeJson) as { register?: { number: number } }).register
    return reg ? { state: 'ACCEPTED', acceptId: String(reg.number) } : { state: 'ACCEPTED' }
  }
  if (a?.type === 'rejected') {
    const reason = (JSON.parse(a.noticeJson) as { reasonCode?: string }).reasonCode
    return { state: reason === 'misaddressed' || reason === 'wrong-agency' ? 'INVALID' : 'REJECTED' }
  }
  if (delivery === 'delivered') return { state: 'RECEIVED' }
  if (delivery === 'failed') return { state: 'FAILED' }
  return { state: 'SENT' }
}

/** The agency's gateway letters of the last `days` days, newest first (at most `limit`). */
export function outboundStatus(deps: EcmsStatusDeps, agency: string, now: number, days = 30, limit = 500): OutboundStatus[] {
  return deps.records.recent(agency, now - days * 86_400_000, limit).map((r) => {
    // An e-CMS letter has one ReceiverParty, so one recipient.
    const messages = deps.outbox.messagesForLetter(r.letterId)
    const m = messages[0]
    const notices = m ? noticesByRef(deps.notices.aboutAll([m.messageId])).get(m.messageId) ?? {} : {}
    const s = stateOf(m?.status ?? 'queued', notices)
    return { processId: r.letterId, letterId: r.ecmsLetterId, correspondenceDate: r.correspondenceDate, ...s }
  })
}
