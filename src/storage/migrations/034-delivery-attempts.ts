// Migration 034 (issue 17 item 2: "a letter's page shows every attempt with its error"): one row per
// delivery attempt of an outbox message, written in the transaction that records the attempt's
// outcome (services/delivery/worker.ts), append only. Bounded per message: the newest 50 are kept
// (storage/outbox-attempts.ts, ATTEMPTS_KEPT), so a message retried for days holds at most 50 rows.
export const sql = `
CREATE TABLE delivery_attempts (
  id          INTEGER PRIMARY KEY,
  message_id  TEXT NOT NULL REFERENCES outbox_messages (message_id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL, -- outbox_messages.attempts when it was made (an operator's requeue starts over at 1)
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'circuit')),
  error_code  TEXT,
  detail      TEXT,
  http_status INTEGER
);
CREATE INDEX delivery_attempts_by_message ON delivery_attempts (message_id, id);
`
