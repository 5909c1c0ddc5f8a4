// The reads behind GET /metrics (issue 17 item 1; services/metrics/): the facts of one message as a
// change leaves it, and the queue per peer. Reads only; labels are agency ids and profile ids
// (bounded), never message ids.
import type { Db } from './db.js'
import { preparer } from './outbox-sql.js'

/** One outbox message as a metric sees it. kind: 'notice' for a notice's own message (PROTOCOL.md §18). */
export interface OutboxFacts {
  readonly peer: string
  readonly profile: string
  readonly kind: 'letter' | 'notice'
  readonly status: string
  readonly attempts: number
  readonly createdAt: number
  readonly deliveredAt: number | null
  readonly code: string | null
}

/** A message received (letter or notice): its sender and profile. */
export interface InboxFacts {
  readonly peer: string
  readonly profile: string
}

/** Undelivered messages to one peer: how many, and since when the oldest waits. */
export interface PeerQueue {
  readonly peer: string
  readonly depth: number
  readonly oldestAt: number
}

/** The columns of OutboxFacts, for a statement on outbox_messages alone (an UPDATE's RETURNING). */
export const FACTS = `recipient_agency AS peer, profile, status, attempts, created_at AS createdAt, delivered_at AS deliveredAt,
  last_error_code AS code, CASE WHEN EXISTS (SELECT 1 FROM notices n WHERE n.message_id = outbox_messages.message_id) THEN 'notice' ELSE 'letter' END AS kind`

export class MetricsStore {
  readonly #s

  constructor(db: Db) {
    const p = preparer(db)
    this.#s = {
      outbox: p<OutboxFacts>(`SELECT ${FACTS} FROM outbox_messages WHERE message_id = ?`),
      inbox: p<InboxFacts>(`SELECT sender_agency AS peer, profile FROM inbox_messages WHERE message_id = ?`),
      notice: p<InboxFacts>(`SELECT from_agency AS peer, profile FROM notices WHERE message_id = ? AND direction = 'in'`),
      // outbox_by_status (status, next_attempt_at) keeps this off the delivered rows.
      queues: p<PeerQueue>(`SELECT recipient_agency AS peer, COUNT(*) AS depth, MIN(created_at) AS oldestAt
        FROM outbox_messages WHERE status IN ('queued', 'sending') GROUP BY recipient_agency`),
    }
  }

  outbox(messageId: string): OutboxFacts | undefined {
    return this.#s.outbox.get(messageId)
  }

  inbox(messageId: string): InboxFacts | undefined {
    return this.#s.inbox.get(messageId)
  }

  /** An incoming notice (accepted, rejected, withdrawn, disputed) by its own message id. */
  notice(messageId: string): InboxFacts | undefined {
    return this.#s.notice.get(messageId) ?? undefined
  }

  queues(): PeerQueue[] {
    return this.#s.queues.all()
  }
}
