// Migration 005 (issue 5 §6): events for saraban systems and the webhook deliveries that carry them.
// An event row is inserted in the same transaction as the change it reports (services/events/sink.ts),
// so it exists if and only if that change was committed. AUTOINCREMENT: ids only ever grow, even after
// the newest rows are pruned, so a Last-Event-ID never names a later, different event.
export const sql = `
CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  agency      TEXT NOT NULL,
  type        TEXT NOT NULL,
  letter_id   TEXT,
  message_id  TEXT,
  data_json   TEXT NOT NULL DEFAULT '{}',
  at          INTEGER NOT NULL     -- ms since the epoch
);
-- the stream and the list read "after id N, for these agencies"
CREATE INDEX events_by_agency ON events (agency, id);
-- retention pruning
CREATE INDEX events_by_time ON events (at);

-- The highest event id removed by retention: a client resuming from below it missed events.
CREATE TABLE events_pruned (
  one          INTEGER PRIMARY KEY CHECK (one = 1),
  through_id   INTEGER NOT NULL
);

-- One row per (event, webhook endpoint), written with the event (the outbox pattern): a restart or a
-- crash never loses a notification. endpoint is the configured webhook's name.
CREATE TABLE webhook_deliveries (
  event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  endpoint         TEXT NOT NULL,
  agency           TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_status      INTEGER,          -- HTTP status of the last answer, NULL when there was none
  last_error       TEXT,
  delivered_at     INTEGER,
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (event_id, endpoint)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_agency ON webhook_deliveries (agency, event_id);
`
