// The e-CMS pull queue and correlation table (migration 021; issue 18 §3, §4). Writers are synchronous
// and meant to run inside db.write(): an item is queued in the transaction of the change it reports.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

/** What a queue item hands out: a letter, or a notifier about a letter the agency sent (e-cms.md §3). */
export const ECMS_ITEM_KINDS = ['GovernmentDocument', 'ReceiveLetterNotifier', 'AcceptLetterNotifier', 'RejectLetterNotifier', 'InvalidLetterNotifier', 'InvalidAcceptIDNotifier'] as const
export type EcmsItemKind = (typeof ECMS_ITEM_KINDS)[number]

export interface Correlation {
  id: number
  direction: 'in' | 'out'
  agency: string
  senderAgency: string
  recipientAgency: string
  ecmsLetterId: string
  correspondenceDate: string
  senderDept: string
  receiverDept: string
  messageId: string
  letterId: string | null
  createdAt: number
  clientReceivedAt: number | null
  retiredAt: number | null
}

export type NewCorrelation = Pick<Correlation, 'direction' | 'agency' | 'senderAgency' | 'recipientAgency' | 'ecmsLetterId' | 'correspondenceDate' | 'senderDept' | 'receiverDept' | 'messageId' | 'letterId' | 'createdAt'>

export interface QueueItem {
  seq: number
  processId: string
  agency: string
  kind: EcmsItemKind
  correlationId: number
  factsJson: string
  createdAt: number
  pulledAt: number | null
  pulls: number
  deletedAt: number | null
  withdrawnAt: number | null
}

export type NewQueueItem = Pick<QueueItem, 'processId' | 'agency' | 'kind' | 'correlationId' | 'factsJson' | 'createdAt'>

/** A correlation key as an e-CMS client gives it; departments are optional (notifiers carry none). */
export interface CorrelationKey {
  readonly agency: string
  readonly direction: 'in' | 'out'
  readonly ecmsLetterId: string
  readonly correspondenceDate: string
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>

const CORR = `id, direction, agency, sender_agency AS senderAgency, recipient_agency AS recipientAgency, ecms_letter_id AS ecmsLetterId,
  correspondence_date AS correspondenceDate, sender_dept AS senderDept, receiver_dept AS receiverDept, message_id AS messageId,
  letter_id AS letterId, created_at AS createdAt, client_received_at AS clientReceivedAt, retired_at AS retiredAt`
const ITEM = `seq, process_id AS processId, agency, kind, correlation_id AS correlationId, facts_json AS factsJson, created_at AS createdAt,
  pulled_at AS pulledAt, pulls, deleted_at AS deletedAt, withdrawn_at AS withdrawnAt`

export class EcmsQueueStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insertCorr: p(`INSERT INTO ecms_correlation (direction, agency, sender_agency, recipient_agency, ecms_letter_id, correspondence_date,
        sender_dept, receiver_dept, message_id, letter_id, created_at)
        VALUES (@direction, @agency, @senderAgency, @recipientAgency, @ecmsLetterId, @correspondenceDate, @senderDept, @receiverDept,
        @messageId, @letterId, @createdAt) ON CONFLICT (direction, message_id) DO NOTHING`),
      corrByMessage: p<Correlation>(`SELECT ${CORR} FROM ecms_correlation WHERE direction = ? AND message_id = ?`),
      corr: p<Correlation>(`SELECT ${CORR} FROM ecms_correlation WHERE id = ?`),
      corrByKey: p<Correlation>(`SELECT ${CORR} FROM ecms_correlation WHERE agency = @agency AND direction = @direction
        AND ecms_letter_id = @ecmsLetterId AND correspondence_date = @correspondenceDate ORDER BY id DESC`),
      clientReceived: p('UPDATE ecms_correlation SET client_received_at = ? WHERE id = ? AND client_received_at IS NULL'),
      retire: p('UPDATE ecms_correlation SET retired_at = ? WHERE id = ? AND retired_at IS NULL'),
      insertItem: p(`INSERT INTO ecms_queue (process_id, agency, kind, correlation_id, facts_json, created_at)
        VALUES (@processId, @agency, @kind, @correlationId, @factsJson, @createdAt) ON CONFLICT (agency, kind, correlation_id) DO NOTHING`),
      // Withdrawn before anyone pulled it: the client never sees it (what e-CMS does with a deleted letter).
      next: p<QueueItem>(`SELECT ${ITEM} FROM ecms_queue WHERE agency = ? AND deleted_at IS NULL
        AND (withdrawn_at IS NULL OR pulled_at IS NOT NULL) ORDER BY seq LIMIT 1`),
      pulled: p('UPDATE ecms_queue SET pulled_at = coalesce(pulled_at, ?), pulls = pulls + 1 WHERE seq = ?'),
      item: p<QueueItem>(`SELECT ${ITEM} FROM ecms_queue WHERE agency = ? AND process_id = ?`),
      itemOf: p<QueueItem>(`SELECT ${ITEM} FROM ecms_queue WHERE agency = ? AND kind = ? AND correlation_id = ?`),
      del: p('UPDATE ecms_queue SET deleted_at = ? WHERE seq = ? AND deleted_at IS NULL'),
      withdraw: p('UPDATE ecms_queue SET withdrawn_at = ? WHERE correlation_id = ? AND kind = ? AND pulled_at IS NULL AND withdrawn_at IS NULL'),
      // A letter sent but not yet correlated (no event about it yet): by its number and date, the way
      // e-CMS names it; letters_by_sender bounds the scan to the agency's letters.
      sentByNumber: p<string>(`SELECT m.message_id FROM letters l JOIN outbox_messages m ON m.letter_id = l.id
        WHERE l.sender_agency = @agency AND l.kind = 'letter' AND json_extract(l.letter_json, '$.number') = @ecmsLetterId
        AND json_extract(l.letter_json, '$.date') = @correspondenceDate ORDER BY l.created_at DESC`).pluck(),
      retiredCount: p<number>(`SELECT count(*) FROM ecms_correlation WHERE agency = @agency AND direction = 'out'
        AND ecms_letter_id = @ecmsLetterId AND correspondence_date = @correspondenceDate AND recipient_agency = @recipientAgency
        AND retired_at IS NOT NULL`).pluck(),
      pending: p<number>(`SELECT count(*) FROM ecms_queue WHERE agency = ? AND deleted_at IS NULL AND (withdrawn_at IS NULL OR pulled_at IS NOT NULL)`).pluck(),
    }
  }

  /** The correlation row of a letter envelope, inserted if new (idempotent by direction + message id). */
  correlate(c: NewCorrelation): Correlation {
    this.#s.insertCorr.run(c)
    return this.#s.corrByMessage.get(c.direction, c.messageId)!
  }

  correlationOf(direction: 'in' | 'out', messageId: string): Correlation | undefined {
    return this.#s.corrByMessage.get(direction, messageId)
  }

  correlation(id: number): Correlation | undefined {
    return this.#s.corr.get(id)
  }

  /** Every row with this LetterID and date for the agency, newest first (departments are filtered by the caller). */
  byKey(k: CorrelationKey): Correlation[] {
    return this.#s.corrByKey.all(k)
  }

  /** Outbox message ids of the agency's letters with this number and date, newest letter first. */
  sentByNumber(k: Omit<CorrelationKey, 'direction'>): string[] {
    return this.#s.sentByNumber.all(k)
  }

  /** How many letters with this number and date the agency withdrew from this recipient (to resend). */
  retiredCount(k: Omit<CorrelationKey, 'direction'> & { recipientAgency: string }): number {
    return this.#s.retiredCount.get(k)!
  }

  markClientReceived(id: number, at: number): boolean {
    return this.#s.clientReceived.run(at, id).changes === 1
  }

  retire(id: number, at: number): boolean {
    return this.#s.retire.run(at, id).changes === 1
  }

  /** Queues an item; nothing new when this agency already has an item of this kind for the letter. */
  enqueue(i: NewQueueItem): QueueItem {
    this.#s.insertItem.run(i)
    return this.#s.itemOf.get(i.agency, i.kind, i.correlationId)!
  }

  /** The oldest item not deleted, marked as handed out. The same item comes back until it is deleted. */
  pullNext(agency: string, at: number): QueueItem | undefined {
    const item = this.#s.next.get(agency)
    if (!item) return undefined
    this.#s.pulled.run(at, item.seq)
    return this.#s.item.get(agency, item.processId)
  }

  item(agency: string, processId: string): QueueItem | undefined {
    return this.#s.item.get(agency, processId)
  }

  itemOf(agency: string, kind: EcmsItemKind, correlationId: number): QueueItem | undefined {
    return this.#s.itemOf.get(agency, kind, correlationId)
  }

  /** Marks the item deleted; false when it already was (the caller answers the same). */
  delete(seq: number, at: number): boolean {
    return this.#s.del.run(at, seq).changes === 1
  }

  /** The sender withdrew the letter: an item nobody pulled yet is never handed out. */
  withdrawUnpulled(correlationId: number, kind: EcmsItemKind, at: number): boolean {
    return this.#s.withdraw.run(at, correlationId, kind).changes === 1
  }

  pending(agency: string): number {
    return this.#s.pending.get(agency)!
  }
}
