// What the notice services need (PROTOCOL.md §18). The registers service is declared structurally:
// it is built beside this one (services/registers.ts) and passed in by the composition root.
import type { NoticeStore } from '../../storage/notices.js'
import type { EventSink } from '../../domain/events.js'
import type { SealingDeps } from '../sealing-deps.js'
import type { Timestamping } from '../timestamping.js'

/** A receive register entry's facts (domain.md "Letter numbers and registers"). */
export interface ReceiveEntry {
  readonly letterNumber?: string | undefined // ที่
  readonly letterDate?: string | undefined // ลงวันที่
  readonly from?: string | undefined // จาก
  readonly to?: string | undefined // ถึง
  readonly subject?: string | undefined // เรื่อง
  readonly action?: string | undefined // การปฏิบัติ
  readonly remarks?: string | undefined // หมายเหตุ
}

/** The receive side of the registers service; called inside db.write(). Throws SarabanError
 *  ERR_REGISTER_NUMBER_TAKEN (409) for a supplied number already used. */
export interface ReceiveRegister {
  receive(input: {
    agency: string
    messageId: string
    at: number
    number?: number | undefined
    book?: string | undefined
    entry: ReceiveEntry
  }): { book: string; year: number; number: number }
}

export interface NoticeDeps extends SealingDeps {
  readonly notices: NoticeStore
  readonly registers?: ReceiveRegister | undefined
  readonly events?: EventSink | undefined
  readonly timestamps?: Timestamping | undefined
}
