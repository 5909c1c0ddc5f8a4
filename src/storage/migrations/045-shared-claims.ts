// Migration 045 (issue 19 item 2, PROTOCOL.md implementation note "In-process state under several
// processes"): two more queues claimed with an owner, and a pause shared by the processes.
// - timestamps (§13.4): a claim names its process (claimed_by) and counts the attempt when it is made,
//   so the outcome of an attempt (a failure moving next_attempt_at) is recorded only under the claim it
//   ran under (owner and attempt count: the fencing token, as the outbox's, migration 040); a stale
//   failure no longer moves a row another process holds. A token is a fact and is kept whoever stores
//   it first (storage/timestamps.ts).
// - log_received_proofs (§20.7): a fetch is claimed before the peer is asked, as a visibility timeout
//   (the webhooks' form, migration 042): claimed_by and next_attempt_at moved past the longest a fetch
//   can take, so two processes do not ask a peer for the same proof.
// - worker_pauses: the backoff after a failure of a service all processes share (the TSA: one row,
//   'tsa'), so that every process waits, not only the one that saw the failure (storage/worker-pauses.ts).
// No transparency-log trigger: claims and pauses say which process works on what, nothing the agency
// did or received (as process_leases, migration 041).
export const sql = `
ALTER TABLE timestamps ADD COLUMN claimed_by TEXT;
ALTER TABLE log_received_proofs ADD COLUMN claimed_by TEXT;
CREATE TABLE worker_pauses (
  name         TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL,
  paused_until INTEGER NOT NULL,
  last_error   TEXT,
  failed_at    INTEGER NOT NULL
);
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C", bigint). */
export const postgresql = `
ALTER TABLE timestamps ADD COLUMN claimed_by text COLLATE "C";
ALTER TABLE log_received_proofs ADD COLUMN claimed_by text COLLATE "C";
CREATE TABLE worker_pauses (
  name         text COLLATE "C" PRIMARY KEY,
  failures     bigint NOT NULL,
  paused_until bigint NOT NULL,
  last_error   text COLLATE "C",
  failed_at    bigint NOT NULL
);
`
