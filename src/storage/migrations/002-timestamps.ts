// Migration 002: RFC 3161 time-stamps of letter and receipt signatures (PROTOCOL.md §13), beside the
// outbox and inbox rows they belong to, and the queue of stamps still to get. One row per message, side
// and kind; the token is NULL while the stamp is pending. Tokens are never part of the wire bytes.
export const sql = `
CREATE TABLE timestamps (
  message_id      TEXT NOT NULL,
  side            TEXT NOT NULL CHECK (side IN ('outbox', 'inbox')),
  kind            TEXT NOT NULL CHECK (kind IN ('letter', 'receipt')),
  -- SHA-256 of the raw signature value; NULL for a receipt until the worker reads it from the stored receipt
  imprint         BLOB CHECK (imprint IS NULL OR length(imprint) = 32),
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  token           BLOB,
  gen_time        INTEGER,
  stamped_at      INTEGER,
  PRIMARY KEY (message_id, side, kind)
);
-- the worker's queue: only the stamps still to get, in due order
CREATE INDEX timestamps_due ON timestamps (next_attempt_at) WHERE token IS NULL;
-- health: the oldest pending stamp
CREATE INDEX timestamps_pending_age ON timestamps (created_at) WHERE token IS NULL;
`
