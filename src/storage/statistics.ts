// The reads behind GET /api/v1/statistics (issue 17 item 6; services/statistics/): one row per
// letter message sent or received by an agency in a period, with the facts a count needs and never a
// subject. Indexed by agency and time (letters_by_sender, inbox_by_recipient).
import type { Db } from './db.js'
import { preparer } from './outbox-sql.js'

/** One addressee of a letter an agency sent (notices and classified covers are not letters here). */
export interface SentRow {
  readonly peer: string
  /** When the letter was sealed and stored (ms). */
  readonly at: number
  readonly kind: string | null
  readonly urgency: string | null
  readonly secrecy: string | null
  readonly status: string
  readonly code: string | null
  readonly deliveredAt: number | null
  /** When the addressee's acceptance (its receive number) arrived, PROTOCOL.md §18. */
  readonly registeredAt: number | null
  /** The addressee's rejection's reasonCode, PROTOCOL.md §18.3 ('' when it gave none). */
  readonly rejected: string | null
}

/** One letter an agency received. */
export interface ReceivedRow {
  readonly peer: string
  readonly at: number
  readonly kind: string | null
  readonly urgency: string | null
  readonly secrecy: string | null
  /** When this agency registered it (its acceptance was recorded). */
  readonly registeredAt: number | null
  readonly rejected: string | null
}

const FACTS = `json_extract(letter_json, '$.kind') AS kind, json_extract(letter_json, '$.urgency') AS urgency, json_extract(letter_json, '$.secrecy') AS secrecy`

export class StatisticsStore {
  readonly #s

  constructor(db: Db) {
    const p = preparer(db)
    this.#s = {
      sent: p<SentRow>(`SELECT m.recipient_agency AS peer, l.created_at AS at,
        json_extract(l.letter_json, '$.kind') AS kind, json_extract(l.letter_json, '$.urgency') AS urgency, json_extract(l.letter_json, '$.secrecy') AS secrecy,
        m.status, m.last_error_code AS code, m.delivered_at AS deliveredAt,
        (SELECT n.created_at FROM notices n WHERE n.refers_to = m.message_id AND n.direction = 'in' AND n.type = 'accepted') AS registeredAt,
        (SELECT COALESCE(json_extract(n.notice_json, '$.reasonCode'), '') FROM notices n WHERE n.refers_to = m.message_id AND n.direction = 'in' AND n.type = 'rejected') AS rejected
        FROM letters l JOIN outbox_messages m ON m.letter_id = l.id
        WHERE l.sender_agency = @agency AND l.kind = 'letter' AND l.created_at >= @from AND l.created_at < @to`),
      received: p<ReceivedRow>(`SELECT i.sender_agency AS peer, i.received_at AS at, ${FACTS},
        (SELECT n.created_at FROM notices n WHERE n.refers_to = i.message_id AND n.direction = 'out' AND n.type = 'accepted') AS registeredAt,
        (SELECT COALESCE(json_extract(n.notice_json, '$.reasonCode'), '') FROM notices n WHERE n.refers_to = i.message_id AND n.direction = 'out' AND n.type = 'rejected') AS rejected
        FROM inbox_messages i
        WHERE i.recipient_agency = @agency AND i.received_at >= @from AND i.received_at < @to`),
    }
  }

  /** Addressees of the letters `agency` sent in [from, to) (ms). */
  sent(agency: string, from: number, to: number): IterableIterator<SentRow> {
    return this.#s.sent.iterate({ agency, from, to })
  }

  /** Letters `agency` received in [from, to) (ms). */
  received(agency: string, from: number, to: number): IterableIterator<ReceivedRow> {
    return this.#s.received.iterate({ agency, from, to })
  }
}
