// Migration 016 (issue 13 §2, PROTOCOL.md §7.2 "Patience"): a sender gives up on a recipient a
// configured time (delivery.giveUpAfter) after it was queued, not after a number of attempts.
// horizon_from is when that time started: the letter's storing, or an operator's requeue
// (POST /api/v1/letters/{id}/retry), which starts it again. The partial index finds the queued
// messages whose horizon passed while they waited (e.g. on a peer's open circuit) without a scan.
export const sql = `
ALTER TABLE outbox_messages ADD COLUMN horizon_from INTEGER;
UPDATE outbox_messages SET horizon_from = created_at;
CREATE INDEX outbox_horizon ON outbox_messages (horizon_from) WHERE status = 'queued';
`
