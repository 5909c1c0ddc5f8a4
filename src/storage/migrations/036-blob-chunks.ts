// Migration 036 (issue 16 item 2: a 100 MB letter in bounded memory): envelope bytes over 1 MiB are
// stored as chunks of 1 MiB rows (storage/blob-chunks.ts) instead of one BLOB. better-sqlite3 binds a
// BLOB as a copy and SQLite builds the whole record before writing it, and reads a BLOB into one
// allocation that is then copied into a Buffer: a single 133 MB envelope cost two more copies of itself
// on every write and every read. In chunks, each copy is at most 1 MiB.
// Chunked rows rather than files: they commit in the same transaction as the row that owns them, so
// the durability (WAL fsync at commit), rollback, online backup and restore are SQLite's, unchanged,
// and there are no orphans to clean up. The owner row keeps an empty BLOB; `owner` names table and key.
// The triggers drop an owner's chunks with it (deleted, cascaded, or emptied as classified destruction
// does to outbox_envelopes.bytes).
export const sql = `
CREATE TABLE blob_chunks (
  id    INTEGER PRIMARY KEY,
  owner TEXT NOT NULL, -- 'oe:' message_id | 'oc:' outbox_contents.id | 'ie:' message_id | 'ic:' sha256
  seq   INTEGER NOT NULL,
  bytes BLOB NOT NULL
);
CREATE UNIQUE INDEX blob_chunks_by_owner ON blob_chunks (owner, seq);

CREATE TRIGGER outbox_envelopes_chunks_gone AFTER DELETE ON outbox_envelopes
  BEGIN DELETE FROM blob_chunks WHERE owner = 'oe:' || old.message_id; END;
CREATE TRIGGER outbox_envelopes_chunks_emptied AFTER UPDATE OF bytes ON outbox_envelopes
  BEGIN DELETE FROM blob_chunks WHERE owner = 'oe:' || old.message_id; END;
CREATE TRIGGER outbox_contents_chunks_gone AFTER DELETE ON outbox_contents
  BEGIN DELETE FROM blob_chunks WHERE owner = 'oc:' || old.id; END;
CREATE TRIGGER inbox_envelopes_chunks_gone AFTER DELETE ON inbox_envelopes
  BEGIN DELETE FROM blob_chunks WHERE owner = 'ie:' || old.message_id; END;
CREATE TRIGGER inbox_contents_chunks_gone AFTER DELETE ON inbox_contents
  BEGIN DELETE FROM blob_chunks WHERE owner = 'ic:' || old.sha256; END;
`
