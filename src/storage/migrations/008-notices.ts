// Migration 008: notices (PROTOCOL.md §18). An outgoing notice is a letters row of kind 'notice' with
// one outbox message, so that the one delivery worker sends it (retries, receipts); the notices table
// says what each notice is about, in both directions, and keeps incoming notices as received.
export const sql = `
ALTER TABLE letters ADD COLUMN kind TEXT NOT NULL DEFAULT 'letter' CHECK (kind IN ('letter', 'notice'));

CREATE TABLE notices (
  message_id      TEXT PRIMARY KEY,   -- the notice's own message id (PROTOCOL.md §2); out: its outbox message
  direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  type            TEXT NOT NULL CHECK (type IN ('accepted', 'rejected', 'withdrawn')),
  refers_to       TEXT NOT NULL,      -- message id of the letter envelope it is about
  from_agency     TEXT NOT NULL,
  to_agency       TEXT NOT NULL,
  notice_json     TEXT NOT NULL,      -- the signed notice object
  created_at      INTEGER NOT NULL,   -- out: queued; in: received (the receipt's receivedAt)
  -- out: the letters row (kind 'notice') that carries it through the outbox; NULL while the notice is
  -- recorded but not sealed yet (the act and its number commit first, the seal follows: §18.5)
  letter_id       TEXT REFERENCES letters (id),
  -- in: as received, for evidence (PROTOCOL.md §18.6)
  profile         TEXT,
  envelope_sha256 TEXT,
  signed          TEXT,               -- the signed notice: compact JWS, or base64 DER SignedData (cms-v1)
  signer_json     TEXT,
  receipt         TEXT,
  CHECK (direction = 'out' OR letter_id IS NULL)
);
-- out notices still to seal (resumed at start and by a timer)
CREATE INDEX notices_unsealed ON notices (created_at) WHERE direction = 'out' AND letter_id IS NULL;
CREATE INDEX notices_by_ref ON notices (refers_to, direction);
-- PROTOCOL.md §18.4: one answer (accepted or rejected) and one withdrawal per letter envelope and direction;
-- the unique indexes make a concurrent second register/reject/withdraw fail inside its transaction.
CREATE UNIQUE INDEX notices_one_answer ON notices (refers_to, direction) WHERE type IN ('accepted', 'rejected');
CREATE UNIQUE INDEX notices_one_withdrawal ON notices (refers_to, direction) WHERE type = 'withdrawn';

CREATE TABLE notice_envelopes (
  message_id TEXT PRIMARY KEY REFERENCES notices (message_id) ON DELETE CASCADE,
  bytes      BLOB NOT NULL
);
`
