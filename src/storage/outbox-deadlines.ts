// deliverBy deadlines of outbox messages (PROTOCOL.md §7.3): which recipients not delivered have an
// at-risk or missed event due, when the next one falls due, and that each is raised once.
// Used through OutboxStore.
import { CANCELLED_CODE } from '../domain/delivery.js'
import type { Db } from './db.js'
import { preparer } from './outbox-sql.js'
import type { DeadlineRow } from './outbox-types.js'

export class OutboxDeadlines {
  readonly #s

  constructor(db: Db) {
    const p = preparer(db)
    this.#s = {
      // Deadlines (PROTOCOL.md §7.3) through the partial index outbox_deadlines: recipients not
      // delivered whose missed event is not raised yet.
      deadlines: p<DeadlineRow>(`SELECT m.message_id AS messageId, m.letter_id AS letterId, m.recipient_agency AS recipientAgency,
        (SELECT l.sender_agency FROM letters l WHERE l.id = m.letter_id) AS senderAgency, m.deadline_at AS deadlineAt,
        m.deadline_state AS deadlineState FROM outbox_messages m INDEXED BY outbox_deadlines
        WHERE m.deadline_at IS NOT NULL AND m.status <> 'delivered' AND m.deadline_state IS NOT 'missed'
        AND m.last_error_code IS NOT '${CANCELLED_CODE}' AND (m.deadline_at <= @now OR (m.deadline_state IS NULL AND m.deadline_at <= @now + @atRiskMs))
        ORDER BY m.deadline_at LIMIT @limit`),
      nextDeadline: p<number | null>(`SELECT min(CASE WHEN deadline_state IS NULL THEN deadline_at - @atRiskMs ELSE deadline_at END)
        FROM outbox_messages INDEXED BY outbox_deadlines
        WHERE deadline_at IS NOT NULL AND status <> 'delivered' AND deadline_state IS NOT 'missed' AND last_error_code IS NOT '${CANCELLED_CODE}'`).pluck(),
      raise: p(`UPDATE outbox_messages SET deadline_state = @state WHERE message_id = @id AND deadline_at IS NOT NULL
        AND deadline_state IS NOT 'missed' AND deadline_state IS NOT @state`),
    }
  }

  /** Recipients not delivered with a deadline event due at `now`: missed (deadline passed, not
   *  raised yet) or at-risk (within atRiskMs of the deadline, nothing raised yet); earliest first. */
  deadlinesDue(now: number, atRiskMs: number, limit = 1000): DeadlineRow[] {
    return this.#s.deadlines.all({ now, atRiskMs, limit })
  }

  /** When the next deadline event falls due (at-risk: deadline − atRiskMs; missed: deadline). */
  nextDeadlineEventAt(atRiskMs: number): number | undefined {
    return this.#s.nextDeadline.get({ atRiskMs }) ?? undefined
  }

  /** Records that a deadline event was raised; false if it already was (each is raised once). */
  raiseDeadline(messageId: string, state: 'at-risk' | 'missed'): boolean {
    return this.#s.raise.run({ id: messageId, state }).changes === 1
  }
}
