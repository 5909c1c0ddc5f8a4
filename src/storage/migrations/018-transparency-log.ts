// Migration 018: the transparency log (PROTOCOL.md §20; log-design.md §1–4). One append-only Merkle
// tree per hosted agency (RFC 9162 §2.1). The entries are canonical JSON (§20.3); the tree is kept as
// every complete subtree's hash, so a root or a proof reads O(log n) rows, and the head (size + the
// compact range's hashes) gives the current root without reading the tree.
//
// "No state change without its leaf" is kept by the schema, not by each call site: a trigger on every
// table whose rows are accountable writes (source, ref) into log_pending in the same statement, and
// the node turns those into entries before the write() that caused them is released (storage/db.ts),
// so the change and its leaf commit together or not at all. Whoever edits the file by hand leaves
// pending rows behind or rows without entries: `saraban-node log verify` reports both.
export const sql = `
-- The entries: entry bytes as appended (canonical JSON) and their RFC 9162 leaf hash.
CREATE TABLE log_entries (
  agency    TEXT NOT NULL,
  idx       INTEGER NOT NULL CHECK (idx >= 0),
  entry     BLOB NOT NULL,
  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
  PRIMARY KEY (agency, idx)
) WITHOUT ROWID;
CREATE INDEX log_entries_leaf ON log_entries (agency, leaf_hash);

-- Complete subtrees above the leaves: level L, position i covers leaves [i·2^L, (i+1)·2^L).
CREATE TABLE log_nodes (
  agency TEXT NOT NULL,
  level  INTEGER NOT NULL CHECK (level >= 1),
  pos    INTEGER NOT NULL CHECK (pos >= 0),
  hash   BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (agency, level, pos)
) WITHOUT ROWID;

-- The head: tree size, the compact range (the hashes of the complete subtrees the size decomposes
-- into, largest first, 32 bytes each) and the root they fold to.
CREATE TABLE log_heads (
  agency  TEXT PRIMARY KEY,
  size    INTEGER NOT NULL CHECK (size >= 0),
  range   BLOB NOT NULL,
  root    BLOB NOT NULL CHECK (length(root) = 32)
);

-- Checkpoints this node signed for its own logs (§20.4), as signed.
CREATE TABLE log_checkpoints (
  agency    TEXT NOT NULL,
  size      INTEGER NOT NULL CHECK (size >= 0),
  root      BLOB NOT NULL CHECK (length(root) = 32),
  time      TEXT NOT NULL,     -- the body's "time" line (RFC 3339 UTC ms)
  jws       TEXT NOT NULL,     -- compact JWS (§20.4)
  signed_at INTEGER NOT NULL,  -- ms since the epoch
  PRIMARY KEY (agency, size, time)
) WITHOUT ROWID;
CREATE INDEX log_checkpoints_latest ON log_checkpoints (agency, signed_at);

-- Keys taken into use by a hosted agency (§20.3 key.in-use): the first time the node saw each in use.
CREATE TABLE log_keys (
  agency      TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('signing', 'encryption')),
  cert_sha256 TEXT NOT NULL,
  first_used  INTEGER NOT NULL,
  PRIMARY KEY (agency, role, cert_sha256)
) WITHOUT ROWID;

-- State changes waiting for their entries, in the order they happened (drained inside the same write()).
CREATE TABLE log_pending (
  seq    INTEGER PRIMARY KEY,
  source TEXT NOT NULL,   -- a row source of storage/log-rows.ts
  ref    TEXT NOT NULL    -- JSON array: the key of the row
);

CREATE TRIGGER log_outbox_sent AFTER INSERT ON outbox_messages
BEGIN INSERT INTO log_pending (source, ref) VALUES ('outbox-message', json_array(NEW.message_id)); END;
CREATE TRIGGER log_outbox_delivered AFTER UPDATE OF status ON outbox_messages
  WHEN NEW.status = 'delivered' AND OLD.status IS NOT 'delivered'
BEGIN INSERT INTO log_pending (source, ref) VALUES ('outbox-delivered', json_array(NEW.message_id)); END;
CREATE TRIGGER log_inbox_received AFTER INSERT ON inbox_messages
BEGIN INSERT INTO log_pending (source, ref) VALUES ('inbox-message', json_array(NEW.message_id)); END;
CREATE TRIGGER log_notice AFTER INSERT ON notices
BEGIN INSERT INTO log_pending (source, ref) VALUES ('notice-' || NEW.direction, json_array(NEW.message_id)); END;
CREATE TRIGGER log_register_taken AFTER INSERT ON register_entries
BEGIN
  INSERT INTO log_pending (source, ref) VALUES ('register-entry', json_array(NEW.agency, NEW.book, NEW.year, NEW.number));
  INSERT INTO log_pending (source, ref) SELECT 'register-link', json_array(NEW.agency, NEW.book, NEW.year, NEW.number)
    WHERE NEW.letter_id IS NOT NULL;
END;
CREATE TRIGGER log_register_linked AFTER UPDATE OF letter_id ON register_entries
  WHEN OLD.letter_id IS NULL AND NEW.letter_id IS NOT NULL
BEGIN INSERT INTO log_pending (source, ref) VALUES ('register-link', json_array(NEW.agency, NEW.book, NEW.year, NEW.number)); END;
CREATE TRIGGER log_register_cancelled AFTER UPDATE OF status ON register_entries
  WHEN NEW.status = 'cancelled' AND OLD.status IS NOT 'cancelled'
BEGIN INSERT INTO log_pending (source, ref) VALUES ('register-cancel', json_array(NEW.agency, NEW.book, NEW.year, NEW.number)); END;
CREATE TRIGGER log_classified_item AFTER INSERT ON classified_items
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-item', json_array(NEW.id)); END;
CREATE TRIGGER log_classified_destroyed AFTER UPDATE OF destroyed_at ON classified_items
  WHEN OLD.destroyed_at IS NULL AND NEW.destroyed_at IS NOT NULL
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-destroyed', json_array(NEW.id)); END;
CREATE TRIGGER log_classified_in AFTER INSERT ON classified_messages
  WHEN NEW.received_at IS NOT NULL
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-in', json_array(NEW.message_id)); END;
CREATE TRIGGER log_classified_statement_in AFTER INSERT ON classified_statements
  WHEN NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-statement-in', json_array(NEW.id)); END;
CREATE TRIGGER log_classified_access AFTER INSERT ON classified_access
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-access', json_array(NEW.seq)); END;
CREATE TRIGGER log_key_in_use AFTER INSERT ON log_keys
BEGIN INSERT INTO log_pending (source, ref) VALUES ('key', json_array(NEW.agency, NEW.role, NEW.cert_sha256)); END;
CREATE TRIGGER log_directory AFTER INSERT ON directory_history
BEGIN INSERT INTO log_pending (source, ref) VALUES ('directory', json_array(NEW.serial)); END;
CREATE TRIGGER log_crl AFTER INSERT ON crl_history
BEGIN INSERT INTO log_pending (source, ref) VALUES ('crl', json_array(NEW.issuer_fp, NEW.crl_number)); END;

-- A node upgraded to this version: its existing rows get their entries at its first start (the node
-- drains log_pending before anything else), oldest kind of record first, each table in its own order.
INSERT INTO log_pending (source, ref) SELECT 'directory', json_array(serial) FROM directory_history ORDER BY fetched_at, serial;
INSERT INTO log_pending (source, ref) SELECT 'crl', json_array(issuer_fp, crl_number) FROM crl_history ORDER BY fetched_at, issuer_fp, crl_number;
INSERT INTO log_pending (source, ref) SELECT 'outbox-message', json_array(message_id) FROM outbox_messages ORDER BY rowid;
INSERT INTO log_pending (source, ref) SELECT 'outbox-delivered', json_array(message_id) FROM outbox_messages WHERE status = 'delivered' ORDER BY delivered_at, rowid;
INSERT INTO log_pending (source, ref) SELECT 'inbox-message', json_array(message_id) FROM inbox_messages ORDER BY rowid;
INSERT INTO log_pending (source, ref) SELECT 'notice-' || direction, json_array(message_id) FROM notices ORDER BY rowid;
INSERT INTO log_pending (source, ref) SELECT 'register-entry', json_array(agency, book, year, number) FROM register_entries ORDER BY recorded_at, agency, book, year, number;
INSERT INTO log_pending (source, ref) SELECT 'register-link', json_array(agency, book, year, number) FROM register_entries WHERE letter_id IS NOT NULL ORDER BY recorded_at, agency, book, year, number;
INSERT INTO log_pending (source, ref) SELECT 'register-cancel', json_array(agency, book, year, number) FROM register_entries WHERE status = 'cancelled' ORDER BY cancelled_at, agency, book, year, number;
INSERT INTO log_pending (source, ref) SELECT 'classified-item', json_array(id) FROM classified_items ORDER BY rowid;
INSERT INTO log_pending (source, ref) SELECT 'classified-in', json_array(message_id) FROM classified_messages WHERE received_at IS NOT NULL ORDER BY rowid;
INSERT INTO log_pending (source, ref) SELECT 'classified-statement-in', json_array(id) FROM classified_statements WHERE direction = 'in' AND notice_envelope_sha256 IS NOT NULL ORDER BY id;
INSERT INTO log_pending (source, ref) SELECT 'classified-access', json_array(seq) FROM classified_access ORDER BY seq;
INSERT INTO log_pending (source, ref) SELECT 'classified-destroyed', json_array(id) FROM classified_items WHERE destroyed_at IS NOT NULL ORDER BY destroyed_at, rowid;
`
