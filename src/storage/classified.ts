// Classified items (PROTOCOL.md §19; migration 017): the classified register book, the outer
// messages, the opaque inner envelopes, officers' statements and the access record. The only SQL of
// the classified service; one method = one statement group, called inside db.write() when it writes.
import type { Db } from './db.js'
import { preparer, type Stmt } from './outbox-sql.js'

export type ClassifiedDirection = 'out' | 'in'

export interface ClassifiedItem {
  readonly id: string
  readonly direction: ClassifiedDirection
  readonly agency: string
  readonly senderAgency: string
  readonly controlNumber: string
  readonly urgency: string
  readonly deliverBy: string | null
  readonly dispatch: 'electronic' | 'by-hand'
  readonly innerSha256: string | null
  readonly innerSize: number | null
  readonly createdAt: number
  readonly forwardedFrom: string | null
  readonly toOfficer: string | null
  readonly registerYear: number
  readonly registerNumber: number
  readonly destroyedAt: number | null
}

export interface ClassifiedMessage {
  readonly messageId: string
  readonly itemId: string
  readonly fromAgency: string
  readonly toAgency: string
  readonly coverJson: string
  readonly profile: string | null
  readonly envelopeSha256: string | null
  readonly signerJson: string | null
  readonly receipt: string | null
  readonly receivedAt: number | null
  /** out: the delivery of its outbox message */
  readonly status: string | null
  readonly deliveredAt: number | null
  readonly outReceipt: string | null
  readonly outEnvelopeSha256: string | null
  readonly outProfile: string | null
  readonly lastErrorCode: string | null
}

export interface StatementRow {
  readonly id: number
  readonly itemId: string
  readonly type: string
  readonly direction: 'local' | 'in'
  readonly officerAgency: string
  readonly officerId: string
  readonly certSha256: string
  readonly at: string
  readonly statementJson: string
  readonly der: Buffer
  readonly messageId: string | null
  readonly createdAt: number
  readonly noticeEnvelopeSha256?: string | null
  readonly noticeReceipt?: string | null
  /** The notice envelope's profile (migration 024; NULL before it). */
  readonly noticeProfile?: string | null
}

export interface AccessRow { readonly seq: number; readonly agency: string; readonly itemId: string | null; readonly at: number; readonly record: string; readonly recordSha256: string }

export interface InboundPeek {
  readonly envelopeSha256: string
  readonly receipt: string
  readonly toAgency: string
  readonly fromAgency: string
  readonly receivedAt: number
  readonly profile: string | null
  /** a statement notice (§19.6), not a cover */
  readonly statement: boolean
}

export type NewItem = Omit<ClassifiedItem, 'registerNumber' | 'destroyedAt'>
export type NewMessage = Pick<ClassifiedMessage, 'messageId' | 'fromAgency' | 'toAgency' | 'coverJson'> & Partial<Pick<ClassifiedMessage, 'profile' | 'envelopeSha256' | 'signerJson' | 'receipt' | 'receivedAt'>>

const ITEM = `id, direction, agency, sender_agency AS senderAgency, control_number AS controlNumber, urgency, deliver_by AS deliverBy,
  dispatch, inner_sha256 AS innerSha256, inner_size AS innerSize, created_at AS createdAt, forwarded_from AS forwardedFrom,
  to_officer AS toOfficer, register_year AS registerYear, register_number AS registerNumber, destroyed_at AS destroyedAt`
const MESSAGE = `c.message_id AS messageId, c.item_id AS itemId, c.from_agency AS fromAgency, c.to_agency AS toAgency, c.cover_json AS coverJson,
  c.profile, c.envelope_sha256 AS envelopeSha256, c.signer_json AS signerJson, c.receipt, c.received_at AS receivedAt,
  m.status, m.delivered_at AS deliveredAt, m.receipt AS outReceipt, m.envelope_sha256 AS outEnvelopeSha256, m.profile AS outProfile,
  m.last_error_code AS lastErrorCode`
const STATEMENT = `id, item_id AS itemId, type, direction, officer_agency AS officerAgency, officer_id AS officerId, cert_sha256 AS certSha256,
  at, statement_json AS statementJson, der, message_id AS messageId, created_at AS createdAt,
  notice_envelope_sha256 AS noticeEnvelopeSha256, notice_receipt AS noticeReceipt, notice_profile AS noticeProfile`

export class ClassifiedStore {
  readonly #s: Record<string, Stmt<any>> // eslint-disable-line @typescript-eslint/no-explicit-any

  constructor(readonly db: Db) {
    const p = preparer(db)
    this.#s = {
      lastControl: p(`SELECT control_number AS c FROM classified_control_numbers WHERE agency = ? AND control_number LIKE ? ORDER BY length(control_number) DESC, control_number DESC LIMIT 1`),
      reserve: p(`INSERT INTO classified_control_numbers (control_number, agency, reserved_at) VALUES (?, ?, ?)`),
      control: p(`SELECT agency, used_by AS usedBy FROM classified_control_numbers WHERE control_number = ?`),
      useControl: p(`UPDATE classified_control_numbers SET used_by = ? WHERE control_number = ? AND used_by IS NULL`),
      nextNumber: p(`SELECT coalesce(max(register_number), 0) + 1 AS n FROM classified_items WHERE agency = ? AND direction = ? AND register_year = ?`),
      insertItem: p(`INSERT INTO classified_items (id, direction, agency, sender_agency, control_number, urgency, deliver_by, dispatch, inner_sha256,
        inner_size, created_at, forwarded_from, to_officer, register_year, register_number)
        VALUES (@id, @direction, @agency, @senderAgency, @controlNumber, @urgency, @deliverBy, @dispatch, @innerSha256, @innerSize, @createdAt,
        @forwardedFrom, @toOfficer, @registerYear, @registerNumber)`),
      insertMessage: p(`INSERT INTO classified_messages (message_id, item_id, from_agency, to_agency, cover_json, profile, envelope_sha256, signer_json, receipt, received_at)
        VALUES (@messageId, @itemId, @fromAgency, @toAgency, @coverJson, @profile, @envelopeSha256, @signerJson, @receipt, @receivedAt)`),
      insertInner: p(`INSERT INTO classified_inner (item_id, bytes) VALUES (?, ?)`),
      insertEnvelope: p(`INSERT INTO classified_envelopes (message_id, bytes) VALUES (?, ?)`),
      item: p(`SELECT ${ITEM} FROM classified_items WHERE id = ?`),
      itemOfMessage: p(`SELECT ${ITEM} FROM classified_items WHERE id = (SELECT item_id FROM classified_messages WHERE message_id = ?)`),
      list: p(`SELECT ${ITEM} FROM classified_items WHERE agency = @agency AND (@direction IS NULL OR direction = @direction)
        AND (created_at, id) < (@before, @beforeId) ORDER BY created_at DESC, id DESC LIMIT @limit`),
      messages: p(`SELECT ${MESSAGE} FROM classified_messages c LEFT JOIN outbox_messages m ON m.message_id = c.message_id WHERE c.item_id = ? ORDER BY c.rowid`),
      message: p(`SELECT ${MESSAGE} FROM classified_messages c LEFT JOIN outbox_messages m ON m.message_id = c.message_id WHERE c.message_id = ?`),
      inner: p(`SELECT bytes FROM classified_inner WHERE item_id = ?`),
      envelope: p(`SELECT bytes FROM classified_envelopes WHERE message_id = ?`),
      insertStatement: p(`INSERT INTO classified_statements (item_id, type, direction, officer_agency, officer_id, cert_sha256, at, statement_json, der,
        message_id, created_at, notice_envelope_sha256, notice_receipt, notice_profile)
        VALUES (@itemId, @type, @direction, @officerAgency, @officerId, @certSha256, @at, @statementJson, @der, @messageId, @createdAt,
        @noticeEnvelopeSha256, @noticeReceipt, @noticeProfile)`),
      setReceipt: p(`UPDATE classified_messages SET receipt = ? WHERE message_id = ? AND received_at IS NOT NULL AND receipt = ''`),
      setStatementReceipt: p(`UPDATE classified_statements SET notice_receipt = ? WHERE message_id = ? AND direction = 'in' AND notice_receipt = ''`),
      statementByMessage: p(`SELECT ${STATEMENT} FROM classified_statements WHERE message_id = ?`),
      markOutbox: p(`INSERT OR IGNORE INTO classified_outbox (message_id) VALUES (?)`),
      markLetterRow: p(`UPDATE letters SET kind = 'notice' WHERE id = ?`),
      statements: p(`SELECT ${STATEMENT} FROM classified_statements WHERE item_id = ? ORDER BY id`),
      appendAccess: p<number>(`INSERT INTO classified_access (agency, item_id, at, record, record_sha256) VALUES (?, ?, ?, ?, ?) RETURNING seq`).pluck(),
      access: p(`SELECT seq, agency, item_id AS itemId, at, record, record_sha256 AS recordSha256 FROM classified_access WHERE item_id = ? ORDER BY seq`),
      accessRange: p(`SELECT seq, agency, item_id AS itemId, at, record, record_sha256 AS recordSha256 FROM classified_access WHERE agency = ? AND at >= ? AND at < ? ORDER BY seq`),
      destroy: p(`UPDATE classified_items SET destroyed_at = ? WHERE id = ? AND destroyed_at IS NULL`),
      deleteInner: p(`DELETE FROM classified_inner WHERE item_id = ?`),
      deleteEnvelopes: p(`DELETE FROM classified_envelopes WHERE message_id IN (SELECT message_id FROM classified_messages WHERE item_id = ?)`),
      // The sender's sealed outer envelopes also hold the inner bytes (under a key this node holds):
      // emptied, their digest and receipt stay (PROTOCOL.md §19.9).
      emptyOutbox: p(`UPDATE outbox_envelopes SET bytes = x'', content_key = x'' WHERE message_id IN (SELECT message_id FROM classified_messages WHERE item_id = ?)`),
      isClassified: p(`SELECT 1 AS one FROM classified_messages WHERE message_id = ?`),
    }
  }

  /** PROTOCOL.md §19.2: `<agency>-<BE year>-<6 digits>`, the next of the agency's year. */
  reserveControlNumber(agency: string, beYear: number, at: number): string {
    const prefix = `${agency}-${beYear}-`
    const last = (this.#s.lastControl!.get(agency, `${prefix}%`) as { c: string } | undefined)?.c
    const n = last === undefined ? 1 : Number(last.slice(prefix.length)) + 1
    const cn = `${prefix}${String(n).padStart(6, '0')}`
    this.#s.reserve!.run(cn, agency, at)
    return cn
  }

  controlNumber(cn: string): { agency: string; usedBy: string | null } | undefined {
    return this.#s.control!.get(cn) as { agency: string; usedBy: string | null } | undefined
  }

  useControlNumber(cn: string, itemId: string): boolean {
    return this.#s.useControl!.run(itemId, cn).changes === 1
  }

  /** Inserts an item with the next number of its register (same transaction). */
  insertItem(item: NewItem): number {
    const n = (this.#s.nextNumber!.get(item.agency, item.direction, item.registerYear) as { n: number }).n
    this.#s.insertItem!.run({ ...item, registerNumber: n })
    return n
  }

  insertMessage(itemId: string, m: NewMessage): void {
    this.#s.insertMessage!.run({ profile: null, envelopeSha256: null, signerJson: null, receipt: null, receivedAt: null, ...m, itemId })
  }

  insertInner(itemId: string, bytes: Buffer): void {
    this.#s.insertInner!.run(itemId, bytes)
  }

  insertEnvelope(messageId: string, bytes: Buffer): void {
    this.#s.insertEnvelope!.run(messageId, bytes)
  }

  item(id: string): ClassifiedItem | undefined {
    return this.#s.item!.get(id) as ClassifiedItem | undefined
  }

  itemOfMessage(messageId: string): ClassifiedItem | undefined {
    return this.#s.itemOfMessage!.get(messageId) as ClassifiedItem | undefined
  }

  isClassifiedMessage(messageId: string): boolean {
    return this.#s.isClassified!.get(messageId) !== undefined
  }

  list(o: { agency: string; direction?: ClassifiedDirection | undefined; before: number; beforeId: string; limit: number }): ClassifiedItem[] {
    return this.#s.list!.all({ ...o, direction: o.direction ?? null }) as ClassifiedItem[]
  }

  messages(itemId: string): ClassifiedMessage[] {
    return this.#s.messages!.all(itemId) as ClassifiedMessage[]
  }

  message(messageId: string): ClassifiedMessage | undefined {
    return this.#s.message!.get(messageId) as ClassifiedMessage | undefined
  }

  inner(itemId: string): Buffer | undefined {
    return (this.#s.inner!.get(itemId) as { bytes: Buffer } | undefined)?.bytes
  }

  envelope(messageId: string): Buffer | undefined {
    return (this.#s.envelope!.get(messageId) as { bytes: Buffer } | undefined)?.bytes
  }

  insertStatement(s: Omit<StatementRow, 'id'>): void {
    this.#s.insertStatement!.run({ noticeEnvelopeSha256: null, noticeReceipt: null, noticeProfile: null, ...s })
  }

  statementByMessage(messageId: string): StatementRow | undefined {
    return this.#s.statementByMessage!.get(messageId) as StatementRow | undefined
  }

  /** Migration 017: the letters row of a classified outer envelope is of kind 'notice' (never a letter). */
  markLetterRowClassified(letterId: string): void {
    this.#s.markLetterRow!.run(letterId)
  }

  /** The outbox message belongs to the classified path: delivery raises no events for it. */
  markOutbox(messageId: string): void {
    this.#s.markOutbox!.run(messageId)
  }

  /** PROTOCOL.md §7.1 replay: an inbound message of the classified path already received here
   *  (receipt '' while it is still to be signed, §20.5; profile null on a statement stored before migration 024). */
  peekInbound(messageId: string): InboundPeek | undefined {
    const m = this.message(messageId)
    if (m?.envelopeSha256 && m.receipt !== null && m.receivedAt !== null) {
      return { envelopeSha256: m.envelopeSha256, receipt: m.receipt, toAgency: m.toAgency, fromAgency: m.fromAgency, receivedAt: m.receivedAt, profile: m.profile, statement: false }
    }
    const s = this.statementByMessage(messageId)
    if (s?.direction === 'in' && s.noticeEnvelopeSha256 && s.noticeReceipt !== null && s.noticeReceipt !== undefined) {
      const item = this.item(s.itemId)
      return { envelopeSha256: s.noticeEnvelopeSha256, receipt: s.noticeReceipt, toAgency: item?.agency ?? '', fromAgency: s.officerAgency, receivedAt: s.createdAt, profile: s.noticeProfile ?? null, statement: true }
    }
    return undefined
  }

  /** Stores the receipt of a cover (statement: of a statement notice) stored with an empty one (PROTOCOL.md §20.5);
   *  false if it already had one. Call inside db.write(). */
  setReceipt(messageId: string, receipt: string, statement: boolean): boolean {
    return (statement ? this.#s.setStatementReceipt! : this.#s.setReceipt!).run(receipt, messageId).changes === 1
  }

  statements(itemId: string): StatementRow[] {
    return this.#s.statements!.all(itemId) as StatementRow[]
  }

  appendAccess(agency: string, itemId: string | null, at: number, record: string, recordSha256: string): number {
    return Number(this.#s.appendAccess!.get(agency, itemId, at, record, recordSha256))
  }

  access(itemId: string): AccessRow[] {
    return this.#s.access!.all(itemId) as AccessRow[]
  }

  accessBetween(agency: string, from: number, to: number): AccessRow[] {
    return this.#s.accessRange!.all(agency, from, to) as AccessRow[]
  }

  /** PROTOCOL.md §19.9: deletes the inner bytes and every stored outer envelope that carries them;
   *  false when already destroyed. Call db.shred() after the commit. */
  destroy(itemId: string, at: number): boolean {
    if (this.#s.destroy!.run(at, itemId).changes !== 1) return false
    this.#s.deleteInner!.run(itemId)
    this.#s.deleteEnvelopes!.run(itemId)
    this.#s.emptyOutbox!.run(itemId)
    return true
  }
}
