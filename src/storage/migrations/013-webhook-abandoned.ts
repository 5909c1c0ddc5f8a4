// Migration 013 (README "Notifications"): a webhook delivery can end `abandoned` — its endpoint was
// removed from the configuration (or no longer takes its agency or event type), so it will never be
// sent — apart from `failed` (the endpoint was tried and did not take it). SQLite cannot change a CHECK
// constraint in place: the table is rebuilt (nothing references it), with abandoned_at, the time the
// node gave up. Deliveries that earlier versions failed for the same cause become abandoned.
export const sql = `
CREATE TABLE webhook_deliveries_013 (
  event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  endpoint         TEXT NOT NULL,
  agency           TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'abandoned')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_status      INTEGER,          -- HTTP status of the last answer, NULL when there was none
  last_error       TEXT,             -- abandoned: why
  delivered_at     INTEGER,
  abandoned_at     INTEGER,
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (event_id, endpoint)
);
INSERT INTO webhook_deliveries_013 (event_id, endpoint, agency, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, abandoned_at, created_at)
  SELECT event_id, endpoint, agency, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, NULL, created_at
  FROM webhook_deliveries;
UPDATE webhook_deliveries_013 SET state = 'abandoned', abandoned_at = last_attempt_at, last_attempt_at = NULL,
  last_error = 'endpoint removed from configuration'
  WHERE state = 'failed' AND last_error = 'the webhook endpoint is no longer configured' AND attempts = 0;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_013 RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_agency ON webhook_deliveries (agency, event_id);
`
