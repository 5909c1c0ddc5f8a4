// Migration 040 (issue 19 item 2, PROTOCOL.md implementation note "Several processes, one node"): a
// claimed outbox message carries who claimed it and until when. A process renews the leases of all
// the messages it has in flight with one UPDATE while it lives; a claim first puts back in the queue
// the messages whose lease ran out (their process stopped or died without recording an outcome), so
// another process attempts them. The outcome of an attempt is recorded only by the lease holder
// (storage/outbox-delivery.ts), except a verified receipt, which is a fact whoever holds the lease.
// Messages already 'sending' when this runs get an expired lease: the next claim requeues them, as
// requeueInFlight() did at start.
export const sql = `
ALTER TABLE outbox_messages ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox_messages ADD COLUMN lease_until INTEGER;
UPDATE outbox_messages SET lease_until = 0 WHERE status = 'sending';
CREATE INDEX outbox_leases ON outbox_messages (lease_until) WHERE status = 'sending';
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C"). */
export const postgresql = `
ALTER TABLE outbox_messages ADD COLUMN claimed_by text COLLATE "C";
ALTER TABLE outbox_messages ADD COLUMN lease_until bigint;
UPDATE outbox_messages SET lease_until = 0 WHERE status = 'sending';
CREATE INDEX outbox_leases ON outbox_messages (lease_until) WHERE status = 'sending';
`
