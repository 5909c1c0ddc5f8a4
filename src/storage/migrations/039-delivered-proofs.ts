// Migration 039 (issue 14 §6, the log's cost; PROTOCOL.md §20.5, §20.7): the recipient's inclusion
// proof that came with the receipt (Saraban-Log-Proof) and checked is kept in the outbox row, in the
// very UPDATE that stores the receipt, rather than as a log_received_proofs row of its own: everything
// else such a row holds (the recipient, the index, the checkpoint and its size, the rebuilt entry) is
// in the receipt beside it. Measured in `npm run bench`: the separate row cost about 2 points of
// letters/s. log_received_proofs keeps the proofs still to be asked (and those asked before 039).
export const sql = `
ALTER TABLE outbox_messages ADD COLUMN received_proof BLOB; -- 32-byte hashes, RFC 9162 §2.1.3 order
`
