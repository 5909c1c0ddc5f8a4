// Migration 009 (fanout, issue 5 §4–§5): circulars store the content encrypted once per letter and
// profile, and per recipient only what differs (PROTOCOL.md §17: envelope = head ‖ shared ‖ tail);
// the outbox is served by an aging order key (§7.2); deliverBy deadlines are tracked per recipient.
export const sql = `
-- The bytes common to the envelopes of many recipients (SealedMany.shared), stored once.
CREATE TABLE outbox_contents (
  id         INTEGER PRIMARY KEY,
  letter_id  TEXT REFERENCES letters (id),
  profile    TEXT NOT NULL,
  bytes      BLOB NOT NULL
);
CREATE INDEX outbox_contents_by_letter ON outbox_contents (letter_id);

-- outbox_envelopes.bytes is now the head: the envelope is bytes ‖ content (when content_id is set) ‖ tail.
-- Rows written before this migration have neither, so their envelope is bytes, as before.
ALTER TABLE outbox_envelopes ADD COLUMN content_id INTEGER REFERENCES outbox_contents (id);
ALTER TABLE outbox_envelopes ADD COLUMN tail BLOB;

-- PROTOCOL.md §7.2: due messages are served in order of order_key = due time + rank × aging step
-- (earliest first), so urgent letters go first and a waiting letter is never starved.
ALTER TABLE outbox_messages ADD COLUMN order_key INTEGER NOT NULL DEFAULT 0;
UPDATE outbox_messages SET order_key = next_attempt_at + priority * 300000;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox_messages (order_key) WHERE status = 'queued';

-- deliverBy (ด่วนภายใน) per recipient, ms since the epoch; deadline_state remembers which event was
-- raised (NULL: none yet, 'at-risk', 'missed'), so that each is raised once per recipient.
ALTER TABLE outbox_messages ADD COLUMN deadline_at INTEGER;
ALTER TABLE outbox_messages ADD COLUMN deadline_state TEXT CHECK (deadline_state IN ('at-risk', 'missed'));
CREATE INDEX outbox_deadlines ON outbox_messages (deadline_at)
  WHERE deadline_at IS NOT NULL AND status <> 'delivered' AND deadline_state IS NOT 'missed';
`
