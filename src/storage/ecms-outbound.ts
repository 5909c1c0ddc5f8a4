// Letters that entered through the e-CMS gateway (migration 020): written inside the letter's own
// transaction (record() is synchronous: call it inside the caller's Db.write fn), read by
// OutboundStatusRequest.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export type EcmsSignatureOutcome = 'absent' | 'valid' | 'invalid'

export interface EcmsOutboundRow {
  readonly letterId: string
  readonly agency: string
  readonly ecmsLetterId: string
  readonly correspondenceDate: string
  readonly senderDepartment: string | null
  readonly receiverDepartment: string | null
  readonly signature: EcmsSignatureOutcome
  readonly signatureReason: string | null
  readonly signatureXml: string | null
  readonly createdAt: number
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>
const COLUMNS = `letter_id AS letterId, agency, ecms_letter_id AS ecmsLetterId, correspondence_date AS correspondenceDate,
  sender_department AS senderDepartment, receiver_department AS receiverDepartment, signature, signature_reason AS signatureReason,
  signature_xml AS signatureXml, created_at AS createdAt`

export class EcmsOutboundStore {
  readonly #insert: Stmt
  readonly #byLetter: Stmt<EcmsOutboundRow>
  readonly #recent: Stmt<EcmsOutboundRow>

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#insert = p(`INSERT INTO ecms_outbound (letter_id, agency, ecms_letter_id, correspondence_date, sender_department, receiver_department,
      signature, signature_reason, signature_xml, created_at) VALUES (@letterId, @agency, @ecmsLetterId, @correspondenceDate, @senderDepartment,
      @receiverDepartment, @signature, @signatureReason, @signatureXml, @createdAt)`)
    this.#byLetter = p<EcmsOutboundRow>(`SELECT ${COLUMNS} FROM ecms_outbound WHERE letter_id = ?`)
    this.#recent = p<EcmsOutboundRow>(`SELECT ${COLUMNS} FROM ecms_outbound WHERE agency = ? AND created_at >= ? ORDER BY created_at DESC, letter_id LIMIT ?`)
  }

  /** Synchronous: inside the letter's Db.write fn. */
  record(row: EcmsOutboundRow): void {
    this.#insert.run(row)
  }

  get(letterId: string): EcmsOutboundRow | undefined {
    return this.#byLetter.get(letterId)
  }

  /** The agency's gateway letters since `since`, newest first. */
  recent(agency: string, since: number, limit: number): EcmsOutboundRow[] {
    return this.#recent.all(agency, since, limit)
  }
}
