// Every delivery attempt of an outbox message with its outcome (issue 17 item 2; migration 034),
// beside the message's attempt count and last error: what the console's letter page lists per
// recipient. Written by the delivery worker inside the write that records the outcome (no commit of
// its own). Bounded: a message keeps its newest ATTEMPTS_KEPT attempts; older ones are dropped as a
// new one is written, in the same statement group. Used through OutboxStore.
import type { Db } from './db.js'
import { preparer } from './outbox-sql.js'

/** Attempt rows kept per message (the newest). */
export const ATTEMPTS_KEPT = 50
/** Longest detail stored: a peer's problem text is bounded before it is kept. */
const DETAIL_MAX = 1000

/** delivered: receipt verified; retry: the message waits on its own backoff; failed: final;
 *  circuit: the peer failed as a whole and the message waits on its circuit (PROTOCOL.md §7.2). */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'circuit'

export interface NewDeliveryAttempt {
  readonly messageId: string
  /** The message's attempt count when it was made (an operator's requeue starts over at 1). */
  readonly attempt: number
  readonly startedAt: number
  readonly endedAt: number
  readonly outcome: AttemptOutcome
  readonly errorCode?: string | undefined
  readonly detail?: string | undefined
  /** The peer's HTTP status, when it answered. */
  readonly httpStatus?: number | undefined
}

export interface DeliveryAttemptRow {
  readonly messageId: string
  readonly attempt: number
  readonly startedAt: number
  readonly endedAt: number
  readonly outcome: AttemptOutcome
  readonly errorCode: string | null
  readonly detail: string | null
  readonly httpStatus: number | null
}

const ROW = `a.message_id AS messageId, a.attempt, a.started_at AS startedAt, a.ended_at AS endedAt, a.outcome,
  a.error_code AS errorCode, a.detail, a.http_status AS httpStatus`

export class OutboxAttempts {
  readonly #s

  constructor(db: Db) {
    const p = preparer(db)
    this.#s = {
      insert: p(`INSERT INTO delivery_attempts (message_id, attempt, started_at, ended_at, outcome, error_code, detail, http_status)
        VALUES (@messageId, @attempt, @startedAt, @endedAt, @outcome, @errorCode, @detail, @httpStatus)`),
      // Everything older than the newest ATTEMPTS_KEPT of this message (nothing while it has fewer).
      prune: p(`DELETE FROM delivery_attempts WHERE message_id = @id AND id <= (SELECT id FROM delivery_attempts
        WHERE message_id = @id ORDER BY id DESC LIMIT 1 OFFSET @keep)`),
      ofLetter: p<DeliveryAttemptRow>(`SELECT ${ROW} FROM outbox_messages m JOIN delivery_attempts a ON a.message_id = m.message_id
        WHERE m.letter_id = ? ORDER BY m.rowid, a.id LIMIT ?`),
      ofMessage: p<DeliveryAttemptRow>(`SELECT ${ROW} FROM delivery_attempts a WHERE a.message_id = ? ORDER BY a.id`),
    }
  }

  /** Sync; call inside the db.write() that records the attempt's outcome. */
  record(a: NewDeliveryAttempt): void {
    this.#s.insert.run({
      messageId: a.messageId, attempt: a.attempt, startedAt: a.startedAt, endedAt: a.endedAt, outcome: a.outcome,
      errorCode: a.errorCode ?? null, detail: a.detail === undefined ? null : a.detail.slice(0, DETAIL_MAX), httpStatus: a.httpStatus ?? null,
    })
    this.#s.prune.run({ id: a.messageId, keep: ATTEMPTS_KEPT })
  }

  /** The attempts of a letter's messages, recipients in stored order, oldest attempt first; at most `limit` rows. */
  ofLetter(letterId: string, limit: number): DeliveryAttemptRow[] {
    return this.#s.ofLetter.all(letterId, limit)
  }

  ofMessage(messageId: string): DeliveryAttemptRow[] {
    return this.#s.ofMessage.all(messageId)
  }
}
