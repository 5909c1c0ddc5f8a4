// Migration 038 (issue 14 §6, the log's cost): the checkpoint of a recipient's log that a receipt
// carries (~3–4 KB with its certificate chain) is kept once, not once per letter. The receipts of
// one receiver batch share one checkpoint (PROTOCOL.md §20.4), but every log_received_proofs row
// held its own copy, and the row was written twice (queued, then with its proof). New rows leave
// `checkpoint` empty and point at the shared text; rows written before keep their own.
export const sql = `
CREATE TABLE log_received_checkpoints (
  id     INTEGER PRIMARY KEY,
  sha256 BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),  -- of the compact JWS text
  jws    TEXT NOT NULL
);
ALTER TABLE log_received_proofs ADD COLUMN checkpoint_id INTEGER REFERENCES log_received_checkpoints (id);
`
