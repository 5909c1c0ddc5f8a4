// The rows the transparency log covers (PROTOCOL.md §20.3), read the same way when an entry is
// appended (one row, by the key migration 018's trigger recorded) and when `log verify` rebuilds
// every entry (all rows). Reading both from one SELECT is what makes "rebuilt = appended" hold.
// Every row has `agency` (whose log; NULL = every hosted agency's) and `at` (ms since the epoch).
import type Database from 'better-sqlite3'

export type LogRow = { readonly agency: string | null; readonly at: number } & Readonly<Record<string, string | number | Buffer | null>>

interface Source {
  /** SELECT … FROM … (no WHERE). */
  readonly select: string
  /** Restricts to the rows this source covers (may be empty). */
  readonly where: string
  /** The row with this key: one ? per member of the trigger's ref, in order. */
  readonly key: string
  readonly order: string
}

// Row sources, named as migration 018's triggers name them.
export const SOURCES = {
  'outbox-message': {
    select: `SELECT m.message_id AS mid, m.letter_id AS letter, l.sender_agency AS agency, m.recipient_agency AS "to", m.profile,
      m.envelope_sha256 AS envelopeSha256, l.kind, m.created_at AS at, CAST(l.letter_json AS BLOB) AS letterJson
      FROM outbox_messages m JOIN letters l ON l.id = m.letter_id`,
    where: '',
    key: 'm.message_id = ?',
    order: 'm.rowid',
  },
  'outbox-delivered': {
    select: `SELECT m.message_id AS mid, l.sender_agency AS agency, m.recipient_agency AS "to", m.profile, m.receipt, m.delivered_at AS at
      FROM outbox_messages m JOIN letters l ON l.id = m.letter_id`,
    where: `m.status = 'delivered'`,
    key: 'm.message_id = ?',
    order: 'm.delivered_at, m.rowid',
  },
  'inbox-message': {
    select: `SELECT message_id AS mid, sender_agency AS "from", recipient_agency AS "to", recipient_agency AS agency, profile,
      envelope_sha256 AS envelopeSha256, received_at AS at FROM inbox_messages`,
    where: '',
    key: 'message_id = ?',
    order: 'rowid',
  },
  // The same rows once their receipt is stored (PROTOCOL.md §20.5; migration 019's triggers).
  'inbox-receipt': {
    select: `SELECT message_id AS mid, sender_agency AS "from", recipient_agency AS "to", recipient_agency AS agency, profile,
      envelope_sha256 AS envelopeSha256, received_at AS at, CAST(letter_json AS BLOB) AS record, receipt FROM inbox_messages`,
    where: `receipt <> ''`,
    key: 'message_id = ?',
    order: 'rowid',
  },
  'notice-in': {
    select: `SELECT message_id AS mid, from_agency AS "from", to_agency AS "to", to_agency AS agency, profile, envelope_sha256 AS envelopeSha256,
      created_at AS at, type AS notice, refers_to AS about FROM notices`,
    where: `direction = 'in'`,
    key: 'message_id = ?',
    order: 'rowid',
  },
  // The same rows once their receipt is stored (PROTOCOL.md §20.5; migration 024's triggers).
  'notice-receipt': {
    select: `SELECT message_id AS mid, to_agency AS agency, created_at AS at, CAST(notice_json AS BLOB) AS record, receipt FROM notices`,
    where: `direction = 'in' AND receipt <> ''`,
    key: 'message_id = ?',
    order: 'rowid',
  },
  'notice-out': {
    select: `SELECT message_id AS mid, from_agency AS agency, to_agency AS "to", created_at AS at, type AS notice, refers_to AS about,
      CAST(notice_json AS BLOB) AS record FROM notices`,
    where: `direction = 'out'`,
    key: 'message_id = ?',
    order: 'rowid',
  },
  'register-entry': {
    select: `SELECT agency, book, year, number, recorded_at AS at, message_id AS mid, letter_id AS letter, letter_number AS letterNumber,
      letter_date AS letterDate, from_text AS fromText, to_text AS toText, subject, action, remarks FROM register_entries`,
    where: '',
    key: 'agency = ? AND book = ? AND year = ? AND number = ?',
    order: 'recorded_at, agency, book, year, number',
  },
  'register-link': {
    select: `SELECT r.agency, r.book, r.year, r.number, coalesce((SELECT l.created_at FROM letters l WHERE l.id = r.letter_id), r.recorded_at) AS at,
      r.letter_id AS letter, r.letter_number AS letterNumber, r.letter_date AS letterDate, r.from_text AS fromText, r.to_text AS toText,
      r.subject, r.action, r.remarks FROM register_entries r`,
    where: 'r.letter_id IS NOT NULL',
    key: 'r.agency = ? AND r.book = ? AND r.year = ? AND r.number = ?',
    order: 'at, r.agency, r.book, r.year, r.number',
  },
  'register-cancel': {
    select: `SELECT agency, book, year, number, cancelled_at AS at, cancel_reason AS reason FROM register_entries`,
    where: `status = 'cancelled'`,
    key: 'agency = ? AND book = ? AND year = ? AND number = ?',
    order: 'cancelled_at, agency, book, year, number',
  },
  'classified-item': {
    select: `SELECT id AS item, agency, direction, register_year AS year, register_number AS number, created_at AS at,
      control_number AS controlNumber, inner_sha256 AS innerSha256 FROM classified_items`,
    where: '',
    key: 'id = ?',
    order: 'rowid',
  },
  'classified-destroyed': {
    select: 'SELECT id AS item, agency, destroyed_at AS at, inner_sha256 AS innerSha256 FROM classified_items',
    where: 'destroyed_at IS NOT NULL',
    key: 'id = ?',
    order: 'destroyed_at, rowid',
  },
  'classified-in': {
    select: `SELECT c.message_id AS mid, c.from_agency AS "from", c.to_agency AS "to", c.to_agency AS agency, c.profile,
      c.envelope_sha256 AS envelopeSha256, c.received_at AS at, c.cover_json AS record, c.receipt FROM classified_messages c`,
    where: 'c.received_at IS NOT NULL',
    key: 'c.message_id = ?',
    order: 'c.rowid',
  },
  'classified-statement-in': {
    select: `SELECT s.message_id AS mid, i.agency, s.created_at AS at, s.notice_envelope_sha256 AS envelopeSha256, s.officer_agency AS "from",
      s.notice_profile AS profile, s.statement_json AS record, s.notice_receipt AS receipt FROM classified_statements s JOIN classified_items i ON i.id = s.item_id`,
    where: `s.direction = 'in' AND s.notice_envelope_sha256 IS NOT NULL`,
    key: 's.id = ?',
    order: 's.id',
  },
  // The same rows once their receipt is stored (PROTOCOL.md §20.5; migration 024's triggers).
  'classified-receipt': {
    select: `SELECT c.message_id AS mid, c.to_agency AS agency, c.received_at AS at, c.cover_json AS record, c.receipt FROM classified_messages c`,
    where: `c.received_at IS NOT NULL AND c.receipt <> ''`,
    key: 'c.message_id = ?',
    order: 'c.rowid',
  },
  'classified-statement-receipt': {
    select: `SELECT s.message_id AS mid, i.agency, s.created_at AS at, s.statement_json AS record, s.notice_receipt AS receipt
      FROM classified_statements s JOIN classified_items i ON i.id = s.item_id`,
    where: `s.direction = 'in' AND s.notice_envelope_sha256 IS NOT NULL AND s.notice_receipt <> ''`,
    key: 's.id = ?',
    order: 's.id',
  },
  // Officers' statements made here (PROTOCOL.md §19.4; migration 024).
  'classified-statement': {
    select: `SELECT s.id AS statement, i.agency, s.created_at AS at, s.item_id AS item, s.type AS kind, s.officer_agency AS officerAgency,
      s.officer_id AS officer, s.der FROM classified_statements s JOIN classified_items i ON i.id = s.item_id`,
    where: `s.direction = 'local'`,
    key: 's.id = ?',
    order: 's.id',
  },
  'classified-access': {
    select: 'SELECT seq, agency, at, record FROM classified_access',
    where: '',
    key: 'seq = ?',
    order: 'seq',
  },
  key: {
    select: 'SELECT agency, role, cert_sha256 AS certSha256, first_used AS at FROM log_keys',
    where: '',
    key: 'agency = ? AND role = ? AND cert_sha256 = ?',
    order: 'first_used, agency, role, cert_sha256',
  },
  directory: {
    select: 'SELECT serial, NULL AS agency, fetched_at AS at, payload_sha256 AS payloadSha256, jws FROM directory_history',
    where: '',
    key: 'serial = ?',
    order: 'fetched_at, serial',
  },
  crl: {
    select: 'SELECT issuer_fp AS issuer, crl_number AS crlNumber, NULL AS agency, fetched_at AS at, der FROM crl_history',
    where: '',
    key: 'issuer_fp = ? AND crl_number = ?',
    order: 'fetched_at, issuer_fp, crl_number',
  },
} as const satisfies Record<string, Source>

export type SourceName = keyof typeof SOURCES

export function isSourceName(s: string): s is SourceName {
  return Object.hasOwn(SOURCES, s)
}

type Stmt = Database.Statement<unknown[], LogRow>

/** The covered rows, one prepared pair of statements per source. */
export class LogRows {
  readonly #one = new Map<SourceName, Stmt>()
  readonly #all = new Map<SourceName, Stmt>()

  constructor(readonly sqlite: Database.Database) {}

  /** The row a pending change names (undefined: it was removed again in the same transaction). */
  one(source: SourceName, ref: readonly (string | number)[]): LogRow | undefined {
    let s = this.#one.get(source)
    if (!s) {
      const src: Source = SOURCES[source]
      s = this.sqlite.prepare<unknown[], LogRow>(`${src.select} WHERE ${src.where ? `${src.where} AND ` : ''}${src.key}`)
      this.#one.set(source, s)
    }
    return s.get(...ref)
  }

  /** Every row of a source, in the order its changes happened (verify). */
  all(source: SourceName): IterableIterator<LogRow> {
    let s = this.#all.get(source)
    if (!s) {
      const src: Source = SOURCES[source]
      s = this.sqlite.prepare<unknown[], LogRow>(`${src.select}${src.where ? ` WHERE ${src.where}` : ''} ORDER BY ${src.order}`)
      this.#all.set(source, s)
    }
    return s.iterate()
  }
}
