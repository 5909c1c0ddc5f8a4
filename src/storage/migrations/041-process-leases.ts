// Migration 041 (issue 19 item 2, PROTOCOL.md implementation note "In-process state under several
// processes", "One process only"): the leases by which one process of a node leads a periodic job
// that must run in one process at a time (the periodic checkpoint signer, peer audits, backups). One
// row per job name: the process (its owner name, the outbox's claimed_by, wire/storage.ts) that holds
// it and until when. A process takes the row when it is free, expired or already its own, in one
// statement (storage/process-leases.ts), renews it every third of the lease while it lives, and
// deletes it when it stops; a process that died leaves a row that expires.
// No transparency-log trigger (migration 018, services/log/leaves.ts): a lease says which process
// runs a job, not anything the agency did or received; it is no record of its correspondence, is
// rewritten every few tens of seconds, and must not be logged. The same holds for PostgreSQL.
export const sql = `
CREATE TABLE process_leases (
  name        TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL
);
`

/** The same table in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C", bigint). */
export const postgresql = `
CREATE TABLE process_leases (
  name        text COLLATE "C" PRIMARY KEY,
  owner       text COLLATE "C" NOT NULL,
  lease_until bigint NOT NULL,
  acquired_at bigint NOT NULL
);
`
