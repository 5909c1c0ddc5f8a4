// Column lists shared by the outbox's queries (storage/outbox*.ts), the row they read, and the one
// way those files prepare a statement.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import type { OutboxMessage } from './outbox-types.js'

export const LETTER = `id, sender_agency AS senderAgency, letter_json AS letterJson, created_at AS createdAt,
  idempotency_key AS idempotencyKey, request_sha256 AS requestSha256, request_fingerprint AS requestFingerprint`
export const META = `m.message_id AS messageId, m.letter_id AS letterId, m.recipient_agency AS recipientAgency,
  m.profile, m.envelope_sha256 AS envelopeSha256, m.priority, m.next_attempt_at AS nextAttemptAt, m.status,
  m.attempts, m.last_error_code AS lastErrorCode, m.last_error_detail AS lastErrorDetail,
  m.created_at AS createdAt, m.updated_at AS updatedAt, m.delivered_at AS deliveredAt, m.receipt,
  m.deadline_at AS deadlineAt, m.deadline_state AS deadlineState, coalesce(m.horizon_from, m.created_at) AS horizonFrom,
  (SELECT l.sender_agency FROM letters l WHERE l.id = m.letter_id) AS senderAgency,
  (SELECT l.kind FROM letters l WHERE l.id = m.letter_id) AS kind,
  EXISTS (SELECT 1 FROM classified_outbox x WHERE x.message_id = m.message_id) AS classified`
// The envelope is put together in JS (OutboxEnvelopes.join): SQLite's || would make TEXT of the
// BLOBs, and a join would read the shared content once per row instead of once per letter.
export const FULL = `${META}, e.bytes AS envelope, e.tail AS tail, e.content_id AS contentId, e.content_key AS contentKey
  FROM outbox_messages m JOIN outbox_envelopes e ON e.message_id = m.message_id`
/** A row of `SELECT ${FULL}`: the envelope's head, and where its shared content and tail are. */
export type FullRow = OutboxMessage & { tail: Buffer | null; contentId: number | null }

// (created_at, id) < (before, '') ≡ created_at < before, since every id sorts after ''.
export const PAGE = `(created_at, id) < (@before, @beforeId) ORDER BY created_at DESC, id DESC LIMIT @limit`
export const NO_CURSOR = Number.MAX_SAFE_INTEGER

export type Stmt<R = unknown> = Database.Statement<unknown[], R>

/** `p(sql)` prepares a statement on the node's connection, typed by the row it reads. */
export function preparer(db: Db): <R>(sql: string) => Stmt<R> {
  return <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
}
