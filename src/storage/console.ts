// What the admin console (issue 17 item 2) reads and writes that no other store offers: searches of
// the outbox and inbox by subject, ที่, agency, date and state; the recipients whose delivery fails;
// a letter's events (its timeline); and the console's own record of actions (migration 026).
// Every read is scoped to the agencies the caller's API key acts for.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import { CANCELLED_CODE } from '../domain/delivery.js'

export interface MailSearch {
  readonly agencies: readonly string[]
  /** Part of the subject. */
  readonly subject?: string | undefined
  /** Part of the letter number (ที่). */
  readonly number?: string | undefined
  /** The other side: a recipient (outbox) or the sender (inbox). */
  readonly peer?: string | undefined
  /** ms since the epoch, inclusive / exclusive. */
  readonly from?: number | undefined
  readonly to?: number | undefined
  /** outbox: a recipient in this state (cancelled: failed by a withdrawal); inbox: accepted, rejected, withdrawn, open. */
  readonly state?: string | undefined
  readonly limit: number
  readonly offset: number
}

export interface SentRow { readonly id: string; readonly senderAgency: string; readonly letterJson: string; readonly createdAt: number }
export interface ReceivedRow { readonly messageId: string; readonly recipientAgency: string; readonly senderAgency: string; readonly letterJson: string; readonly receivedAt: number }
export interface FailingRow {
  readonly letterId: string; readonly messageId: string; readonly senderAgency: string; readonly recipientAgency: string
  readonly status: string; readonly attempts: number; readonly lastErrorCode: string; readonly lastErrorDetail: string | null; readonly updatedAt: number
}
export interface LetterEventRow { readonly id: number; readonly type: string; readonly messageId: string | null; readonly dataJson: string; readonly at: number }

export interface NewConsoleAction {
  readonly at: number
  readonly keyName: string
  readonly agencies: readonly string[]
  readonly action: string
  readonly target?: string | undefined
  readonly outcome: 'ok' | 'refused'
  readonly detail?: string | undefined
}
export interface ConsoleActionRow extends Omit<NewConsoleAction, 'agencies'> { readonly id: number; readonly agencies: string[] }

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
const inList = (name: string, n: number) => `${name} IN (${Array.from({ length: n }, () => '?').join(', ')})`

export class ConsoleStore {
  readonly #db: Db
  readonly #insert: Database.Statement
  constructor(db: Db) {
    this.#db = db
    this.#insert = db.sqlite.prepare(`INSERT INTO console_actions (at, key_name, agencies, action, target, outcome, detail)
      VALUES (@at, @keyName, @agencies, @action, @target, @outcome, @detail)`)
  }

  /** Sent letters (not notices), newest first. */
  searchSent(q: MailSearch): SentRow[] {
    if (q.agencies.length === 0) return []
    const where = [inList('l.sender_agency', q.agencies.length), "l.kind = 'letter'"]
    const args: unknown[] = [...q.agencies]
    if (q.subject) { where.push("json_extract(l.letter_json, '$.subject') LIKE ? ESCAPE '\\'"); args.push(like(q.subject)) }
    if (q.number) { where.push("json_extract(l.letter_json, '$.number') LIKE ? ESCAPE '\\'"); args.push(like(q.number)) }
    if (q.from !== undefined) { where.push('l.created_at >= ?'); args.push(q.from) }
    if (q.to !== undefined) { where.push('l.created_at < ?'); args.push(q.to) }
    const m: string[] = []
    if (q.peer) { m.push('m.recipient_agency = ?'); args.push(q.peer) }
    if (q.state === 'cancelled') { m.push(`m.status = 'failed' AND m.last_error_code = '${CANCELLED_CODE}'`) }
    else if (q.state === 'failed') { m.push(`m.status = 'failed' AND m.last_error_code IS NOT '${CANCELLED_CODE}'`) }
    else if (q.state) { m.push('m.status = ?'); args.push(q.state) }
    if (m.length > 0) where.push(`EXISTS (SELECT 1 FROM outbox_messages m WHERE m.letter_id = l.id AND ${m.join(' AND ')})`)
    args.push(q.limit, q.offset)
    return this.#db.sqlite.prepare(`SELECT l.id AS id, l.sender_agency AS senderAgency, l.letter_json AS letterJson, l.created_at AS createdAt
      FROM letters l WHERE ${where.join(' AND ')} ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?`).all(...args) as SentRow[]
  }

  /** Received letters, newest first. */
  searchReceived(q: MailSearch): ReceivedRow[] {
    if (q.agencies.length === 0) return []
    const where = [inList('i.recipient_agency', q.agencies.length)]
    const args: unknown[] = [...q.agencies]
    if (q.subject) { where.push("json_extract(i.letter_json, '$.subject') LIKE ? ESCAPE '\\'"); args.push(like(q.subject)) }
    if (q.number) { where.push("json_extract(i.letter_json, '$.number') LIKE ? ESCAPE '\\'"); args.push(like(q.number)) }
    if (q.peer) { where.push('i.sender_agency = ?'); args.push(q.peer) }
    if (q.from !== undefined) { where.push('i.received_at >= ?'); args.push(q.from) }
    if (q.to !== undefined) { where.push('i.received_at < ?'); args.push(q.to) }
    const answered = (type: string) => `EXISTS (SELECT 1 FROM notices n WHERE n.refers_to = i.message_id AND n.type = '${type}')`
    if (q.state === 'accepted' || q.state === 'rejected' || q.state === 'withdrawn') where.push(answered(q.state))
    else if (q.state === 'open') where.push(`NOT ${answered('accepted')} AND NOT ${answered('rejected')} AND NOT ${answered('withdrawn')}`)
    args.push(q.limit, q.offset)
    return this.#db.sqlite.prepare(`SELECT i.message_id AS messageId, i.recipient_agency AS recipientAgency, i.sender_agency AS senderAgency,
      i.letter_json AS letterJson, i.received_at AS receivedAt
      FROM inbox_messages i WHERE ${where.join(' AND ')} ORDER BY i.received_at DESC, i.message_id DESC LIMIT ? OFFSET ?`).all(...args) as ReceivedRow[]
  }

  /** Recipients of letters whose last attempt failed: retrying (queued with an error) or failed for good, not cancelled. */
  failing(agencies: readonly string[], limit: number): FailingRow[] {
    if (agencies.length === 0) return []
    return this.#db.sqlite.prepare(`SELECT m.letter_id AS letterId, m.message_id AS messageId, l.sender_agency AS senderAgency,
      m.recipient_agency AS recipientAgency, m.status AS status, m.attempts AS attempts, m.last_error_code AS lastErrorCode,
      m.last_error_detail AS lastErrorDetail, m.updated_at AS updatedAt
      FROM outbox_messages m JOIN letters l ON l.id = m.letter_id
      WHERE ${inList('l.sender_agency', agencies.length)} AND l.kind = 'letter' AND m.last_error_code IS NOT NULL
        AND m.last_error_code IS NOT '${CANCELLED_CODE}' AND m.status IN ('queued', 'sending', 'failed')
      ORDER BY m.updated_at DESC LIMIT ?`).all(...agencies, limit) as FailingRow[]
  }

  /** The events recorded about one letter (sender side) or received message (inbox side), oldest first. */
  eventsOf(agencies: readonly string[], ref: { letterId?: string; messageId?: string }): LetterEventRow[] {
    if (agencies.length === 0) return []
    const col = ref.letterId !== undefined ? 'letter_id' : 'message_id'
    return this.#db.sqlite.prepare(`SELECT id, type, message_id AS messageId, data_json AS dataJson, at FROM events
      WHERE ${col} = ? AND ${inList('agency', agencies.length)} ORDER BY id LIMIT 500`).all(ref.letterId ?? ref.messageId, ...agencies) as LetterEventRow[]
  }

  /** Meant for the caller's Db.write fn. */
  insertAction(a: NewConsoleAction): void {
    this.#insert.run({ at: a.at, keyName: a.keyName, agencies: JSON.stringify(a.agencies), action: a.action, target: a.target ?? null, outcome: a.outcome, detail: a.detail ?? null })
  }

  /** Actions taken by keys acting for any of these agencies, newest first. */
  actions(agencies: readonly string[], limit: number, offset: number): ConsoleActionRow[] {
    if (agencies.length === 0) return []
    const rows = this.#db.sqlite.prepare(`SELECT id, at, key_name AS keyName, agencies, action, target, outcome, detail FROM console_actions a
      WHERE EXISTS (SELECT 1 FROM json_each(a.agencies) j WHERE ${inList('j.value', agencies.length)})
      ORDER BY id DESC LIMIT ? OFFSET ?`).all(...agencies, limit, offset) as Array<Omit<ConsoleActionRow, 'agencies'> & { agencies: string }>
    return rows.map((r) => ({ ...r, agencies: JSON.parse(r.agencies) as string[] }))
  }
}
