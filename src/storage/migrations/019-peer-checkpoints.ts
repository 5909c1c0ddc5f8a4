// Migration 019 (PROTOCOL.md §20.6): the checkpoints this node holds from its peers' logs, and the
// proofs of a peer's misbehaviour. Every checkpoint that arrives in a receipt or an envelope (or is
// fetched at audit) is kept until an audit has proved it consistent with a newer one; after that only
// the oldest and the newest held of each peer log remain. Two checkpoints signed by the same peer that
// cannot both be true (same size and another root; a smaller size later; a failed consistency proof)
// are kept for good in log_misbehaviour, as the peer signed them.
// A letter is stored before its receipt is signed (§20.5: store, then checkpoint, then receipt), so
// its `message.stored` entry (which digests the receipt) comes from the receipt's storing: at insert
// when the row has one, else when the empty receipt column is filled.
export const sql = `
CREATE TRIGGER log_inbox_receipt_inserted AFTER INSERT ON inbox_messages WHEN NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('inbox-receipt', json_array(NEW.message_id)); END;
CREATE TRIGGER log_inbox_receipt_signed AFTER UPDATE OF receipt ON inbox_messages WHEN OLD.receipt = '' AND NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('inbox-receipt', json_array(NEW.message_id)); END;

CREATE TABLE peer_checkpoints (
  agency      TEXT NOT NULL,            -- the peer agency whose log (origin saraban/v1/log/<agency>)
  size        INTEGER NOT NULL,
  root        TEXT NOT NULL,            -- base64 root hash, as in the checkpoint body
  time        TEXT NOT NULL,            -- the checkpoint's time line
  jws         TEXT NOT NULL,            -- the compact JWS as the peer signed it
  source      TEXT NOT NULL CHECK (source IN ('receipt', 'envelope', 'audit')),
  message_id  TEXT,                     -- the message that carried it (receipt, envelope)
  held_at     INTEGER NOT NULL,
  PRIMARY KEY (agency, size, root)
) WITHOUT ROWID;

CREATE TABLE log_misbehaviour (
  id           INTEGER PRIMARY KEY,
  agency       TEXT NOT NULL,           -- the peer agency whose log
  kind         TEXT NOT NULL CHECK (kind IN ('fork', 'backwards', 'inconsistent')),
  first_jws    TEXT NOT NULL,           -- the checkpoint held before
  second_jws   TEXT NOT NULL,           -- the checkpoint that contradicts it
  detail       TEXT NOT NULL,
  detected_at  INTEGER NOT NULL,
  UNIQUE (agency, first_jws, second_jws)
);

-- PROTOCOL.md §20.7 (log-evidence): the recipient's inclusion proof of each delivered envelope's
-- message.received entry, under the checkpoint its receipt carries, fetched from the recipient after
-- delivery so that evidence bundles are complete offline. Queued in the same write as the delivery;
-- proof NULL while it is still to be fetched.
CREATE TABLE log_received_proofs (
  message_id      TEXT PRIMARY KEY,
  agency          TEXT NOT NULL,      -- the recipient, whose log
  idx             INTEGER NOT NULL,   -- the receipt's log.index
  size            INTEGER NOT NULL,   -- the size its checkpoint signs
  entry           BLOB NOT NULL,      -- the message.received entry rebuilt from the receipt's claims
  checkpoint      TEXT NOT NULL,      -- the receipt's log.checkpoint (compact JWS)
  proof           BLOB,               -- the hashes, 32 bytes each, once fetched and checked
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT
) WITHOUT ROWID;
CREATE INDEX log_received_proofs_due ON log_received_proofs (next_attempt_at) WHERE proof IS NULL;
`
