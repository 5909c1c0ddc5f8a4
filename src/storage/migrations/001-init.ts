// Migration 001: letters + outbox (send side), inbox + attachments (receive side).
// Envelope and attachment bytes live in their own tables (or as the last column) so the scans that
// list, claim and count rows never page through large blobs (SQLite stores them in overflow pages).
export const sql = `
CREATE TABLE letters (
  id              TEXT PRIMARY KEY,
  sender_agency   TEXT NOT NULL,
  letter_json     TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  idempotency_key TEXT,
  request_sha256  TEXT,
  -- the Idempotency-Key is scoped to the sending agency; NULL keys never collide
  UNIQUE (sender_agency, idempotency_key)
);
-- list cursors are (created_at, id), newest first
CREATE INDEX letters_by_sender ON letters (sender_agency, created_at, id);
CREATE INDEX letters_by_time ON letters (created_at, id);

CREATE TABLE outbox_messages (
  message_id        TEXT PRIMARY KEY,
  letter_id         TEXT NOT NULL REFERENCES letters (id),
  recipient_agency  TEXT NOT NULL,
  profile           TEXT NOT NULL,
  envelope_sha256   TEXT NOT NULL,
  priority          INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  last_error_code   TEXT,
  last_error_detail TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  delivered_at      INTEGER,
  receipt           TEXT
);
CREATE INDEX outbox_by_letter ON outbox_messages (letter_id);
-- claimDue walks this in order (priority, due time, insertion) and stops at its limit;
-- partial, so it only holds the work still to do
CREATE INDEX outbox_due ON outbox_messages (priority, next_attempt_at) WHERE status = 'queued';
-- counts(), nextDueAt() and requeueInFlight() without a table scan
CREATE INDEX outbox_by_status ON outbox_messages (status, next_attempt_at);

-- content_key: the sender's copy of the envelope's content encryption key, for evidence bundles
-- (PROTOCOL.md §8). It opens the envelope, so it lives here with the bytes, not in the rows that
-- listings and status views read.
CREATE TABLE outbox_envelopes (
  message_id  TEXT PRIMARY KEY REFERENCES outbox_messages (message_id) ON DELETE CASCADE,
  content_key BLOB NOT NULL,
  bytes       BLOB NOT NULL
);

CREATE TABLE inbox_messages (
  message_id       TEXT PRIMARY KEY,
  recipient_agency TEXT NOT NULL,
  sender_agency    TEXT NOT NULL,
  profile          TEXT NOT NULL,
  envelope_sha256  TEXT NOT NULL,
  letter_json      TEXT NOT NULL,
  signer_json      TEXT NOT NULL,
  received_at      INTEGER NOT NULL,
  receipt          TEXT NOT NULL
);
CREATE INDEX inbox_by_recipient ON inbox_messages (recipient_agency, received_at, message_id);
CREATE INDEX inbox_by_time ON inbox_messages (received_at, message_id);

CREATE TABLE inbox_envelopes (
  message_id TEXT PRIMARY KEY REFERENCES inbox_messages (message_id) ON DELETE CASCADE,
  bytes      BLOB NOT NULL
);

-- Attachment metadata only: the bytes stay inside the stored envelope, encrypted for the recipient
-- agency, and are decrypted (and their signature and digest checked again) when read. Letters at
-- rest are therefore no more exposed than on the wire, and each letter is written once, not twice.
CREATE TABLE inbox_attachments (
  message_id TEXT NOT NULL REFERENCES inbox_messages (message_id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  position   INTEGER NOT NULL, -- index in the signed manifest and in the bundle (PROTOCOL.md §5.3)
  filename   TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size       INTEGER NOT NULL CHECK (size >= 0),
  sha256     TEXT NOT NULL,
  PRIMARY KEY (message_id, id)
);
`
