// Migration 046 (issue 19 item 2): the outbox's lease index (migration 040) also holds the owner, so
// the two statements that read other processes' leases on every claim round read the index alone,
// in lease order, and stop early (storage/outbox-delivery.ts, which names it with INDEXED BY):
// nextLeaseExpiry (the first lease of another process to run out: the worker's wake-up) walks past
// this process's own in-flight rows without reading them from the table, and reclaimExpired seeks the
// expired leases. Left to itself, SQLite's planner took outbox_by_status (status, next_attempt_at) for
// both and read every 'sending' row from the table, with a sort (EXPLAIN QUERY PLAN in
// test/unit/storage-outbox-lease-plan.test.ts). PostgreSQL's planner chooses on its statistics; the
// same index serves it.
export const sql = `
DROP INDEX outbox_leases;
CREATE INDEX outbox_leases ON outbox_messages (lease_until, claimed_by) WHERE status = 'sending';
`

/** The same change in PostgreSQL's dialect. */
export const postgresql = `
DROP INDEX outbox_leases;
CREATE INDEX outbox_leases ON outbox_messages (lease_until, claimed_by) WHERE status = 'sending';
`
