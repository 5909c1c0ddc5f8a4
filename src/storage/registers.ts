// Register entries (migration 004). The numbering rules are in src/domain/registers.ts; this file only
// reads and writes rows. Writers are synchronous and must run inside db.write() (or db.tx()), whose
// BEGIN IMMEDIATE makes "read the highest number, insert the next" one atomic step.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import type { RegisterFacts } from '../domain/registers.js'

export type RegisterEntryStatus = 'active' | 'cancelled'

export interface RegisterSeries {
  agency: string
  book: string
  /** CE calendar year (Asia/Bangkok). */
  year: number
}

export interface NewRegisterEntry extends RegisterSeries, RegisterFacts {
  number: number
  recordedAt: number
  messageId?: string | undefined
  letterId?: string | undefined
  /** Idempotency-Key of the API request that took the number, and the digest of its body. */
  idempotencyKey?: string | undefined
  requestSha256?: string | undefined
  /** What that request meant (services/idempotency/fingerprint.ts; migration 028). */
  requestFingerprint?: string | undefined
}

export interface RegisterEntry extends RegisterSeries {
  number: number
  status: RegisterEntryStatus
  recordedAt: number
  letterNumber: string | null
  letterDate: string | null
  from: string | null
  to: string | null
  subject: string | null
  action: string | null
  remarks: string | null
  messageId: string | null
  letterId: string | null
  cancelledAt: number | null
  cancelReason: string | null
}

const ENTRY = `agency, book, year, number, status, recorded_at AS recordedAt, letter_number AS letterNumber,
  letter_date AS letterDate, from_text AS "from", to_text AS "to", subject, action, remarks,
  message_id AS messageId, letter_id AS letterId, cancelled_at AS cancelledAt, cancel_reason AS cancelReason`

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class RegisterStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      highest: p<number | null>('SELECT max(number) FROM register_entries WHERE agency = ? AND book = ? AND year = ?').pluck(),
      insert: p(`INSERT INTO register_entries (agency, book, year, number, status, recorded_at, letter_number, letter_date,
        from_text, to_text, subject, action, remarks, message_id, letter_id, idempotency_key, request_sha256, request_fingerprint)
        VALUES (@agency, @book, @year, @number, 'active', @recordedAt, @letterNumber, @letterDate, @from, @to, @subject,
        @action, @remarks, @messageId, @letterId, @idempotencyKey, @requestSha256, @requestFingerprint)`),
      byKey: p<RegisterEntry & { requestSha256: string | null; requestFingerprint: string | null }>(`SELECT ${ENTRY}, request_sha256 AS requestSha256, request_fingerprint AS requestFingerprint
        FROM register_entries WHERE agency = ? AND idempotency_key = ?`),
      get: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries WHERE agency = ? AND book = ? AND year = ? AND number = ?`),
      byMessage: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries WHERE agency = ? AND message_id = ?`),
      // Issue 16 item 1: without the hint the planner took the primary key's (agency) prefix and read
      // every entry of the agency on every send (recordSent asks this first).
      byLetter: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries INDEXED BY register_by_letter
        WHERE agency = ? AND letter_id = ? ORDER BY year, book, number`),
      // Only the numbers still waiting for their letter: many sent letters may share one ที่ (a saraban
      // system that numbers outside the node), and reading them all on every send grew with the book.
      openByLetterNumber: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries INDEXED BY register_open_by_letter_number
        WHERE agency = ? AND letter_number = ? AND letter_id IS NULL AND status = 'active' ORDER BY year DESC, number DESC LIMIT 16`),
      byLetterNumber: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries INDEXED BY register_by_letter_number
        WHERE agency = ? AND letter_number = ? AND year = ? ORDER BY book, number LIMIT 64`),
      page: p<RegisterEntry>(`SELECT ${ENTRY} FROM register_entries WHERE agency = @agency AND book = @book AND year = @year
        AND number > @after ORDER BY number LIMIT @limit`),
      count: p<number>('SELECT count(*) FROM register_entries WHERE agency = ? AND book = ? AND year = ?').pluck(),
      // Issue 20 §12: the entry shows the letter actually sent, not the columns given with the number.
      link: p(`UPDATE register_entries SET letter_id = @letterId,
        letter_date = coalesce(@letterDate, letter_date), from_text = coalesce(@from, from_text),
        to_text = coalesce(@to, to_text), subject = coalesce(@subject, subject)
        WHERE agency = @agency AND book = @book AND year = @year AND number = @number AND letter_id IS NULL`),
      cancel: p(`UPDATE register_entries SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?
        WHERE agency = ? AND book = ? AND year = ? AND number = ? AND status = 'active'`),
    }
  }

  /** The highest number used in a series (0 when the series is empty). */
  highest(s: RegisterSeries): number {
    return this.#s.highest.get(s.agency, s.book, s.year) ?? 0
  }

  /** Inserts an entry; a taken (agency, book, year, number) or a message registered twice throws
   *  SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE (the service checks first; this is the backstop). */
  insert(e: NewRegisterEntry): void {
    this.#s.insert.run({
      agency: e.agency, book: e.book, year: e.year, number: e.number, recordedAt: e.recordedAt,
      letterNumber: e.letterNumber ?? null, letterDate: e.letterDate ?? null, from: e.from ?? null, to: e.to ?? null,
      subject: e.subject ?? null, action: e.action ?? null, remarks: e.remarks ?? null,
      messageId: e.messageId ?? null, letterId: e.letterId ?? null,
      idempotencyKey: e.idempotencyKey ?? null, requestSha256: e.requestSha256 ?? null, requestFingerprint: e.requestFingerprint ?? null,
    })
  }

  get(s: RegisterSeries, number: number): RegisterEntry | undefined {
    return this.#s.get.get(s.agency, s.book, s.year, number)
  }

  /** The entry an API request with this Idempotency-Key created, with the digest of that request. */
  byIdempotencyKey(agency: string, key: string): (RegisterEntry & { requestSha256: string | null; requestFingerprint: string | null }) | undefined {
    return this.#s.byKey.get(agency, key)
  }

  /** The entry that registered a received message, in whichever book. */
  byMessage(agency: string, messageId: string): RegisterEntry | undefined {
    return this.#s.byMessage.get(agency, messageId)
  }

  byLetter(agency: string, letterId: string): RegisterEntry[] {
    return this.#s.byLetter.all(agency, letterId)
  }

  /** Active entries with this ที่ that no letter took yet, newest first (at most 16). */
  openByLetterNumber(agency: string, letterNumber: string): RegisterEntry[] {
    return this.#s.openByLetterNumber.all(agency, letterNumber)
  }

  /** Entries of any book of one year that carry this ที่ (at most 64). */
  byLetterNumber(agency: string, letterNumber: string, year: number): RegisterEntry[] {
    return this.#s.byLetterNumber.all(agency, letterNumber, year)
  }

  /** A series in number order, after `after` (exclusive), at most `limit` entries. */
  list(s: RegisterSeries, opts: { after?: number; limit: number }): RegisterEntry[] {
    return this.#s.page.all({ ...s, after: opts.after ?? 0, limit: opts.limit })
  }

  /** Every entry of a series in number order without holding them all (exports). */
  *iterate(s: RegisterSeries, pageSize = 500): Generator<RegisterEntry> {
    let after = 0
    for (;;) {
      const page = this.list(s, { after, limit: pageSize })
      yield* page
      if (page.length < pageSize) return
      after = page[page.length - 1]!.number
    }
  }

  count(s: RegisterSeries): number {
    return this.#s.count.get(s.agency, s.book, s.year)!
  }

  /** Attaches a sent letter to an entry that has none yet; its date, from, to and subject replace the
   *  columns given when the number was taken (action and remarks stay). */
  linkLetter(s: RegisterSeries, number: number, letterId: string, facts: RegisterFacts): boolean {
    return this.#s.link.run({
      ...s, number, letterId, letterDate: facts.letterDate ?? null, from: facts.from ?? null, to: facts.to ?? null,
      subject: facts.subject ?? null,
    }).changes === 1
  }

  /** Marks an active entry cancelled; the number stays used. False when it is not active. */
  cancel(s: RegisterSeries, number: number, at: number, reason: string): boolean {
    return this.#s.cancel.run(at, reason, s.agency, s.book, s.year, number).changes === 1
  }
}
