// Migration 042 (issue 19 item 2: "webhooks are delivered once" with several processes of one node):
// a webhook delivery is claimed before it is sent, as a visibility timeout. The claim names its
// process (claimed_by) and moves next_attempt_at to the end of the claim, past the longest an
// attempt can take (the request's timeout bounds it), so no other process finds the row due while
// the attempt runs, and a process that died mid-attempt leaves it due again once the claim ends.
// The attempt's outcome is recorded only under its claim (owner and attempt count) and clears it.
// Webhooks stay at least once (Standard Webhooks): a receiver dedupes by webhook-id.
export const sql = `
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C"). */
export const postgresql = `
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by text COLLATE "C";
`
