// Migration 022: the `disputed` notice type (PROTOCOL.md §18.2, §18.4; e-CMS InvalidAcceptIDNotifier),
// and InvalidAcceptIDNotifier as an e-CMS queue item kind (the recipient's client pulls the dispute).
// SQLite cannot widen a CHECK in place, and the migration runs in one transaction with foreign keys on,
// so the notices table is rebuilt by renaming: the old tables are renamed (which rewrites the foreign
// key of notice_envelopes and the transparency-log trigger to the old name), the new ones are created
// under the original names and filled, then the old ones dropped (nothing references them any more).
// The copy does not fire the log trigger (it is on the renamed table), so no log leaf is repeated.
export const sql = `
DROP INDEX notices_unsealed;
DROP INDEX notices_by_ref;
DROP INDEX notices_one_answer;
DROP INDEX notices_one_withdrawal;
ALTER TABLE notice_envelopes RENAME TO notice_envelopes_v8;
ALTER TABLE notices RENAME TO notices_v8;

CREATE TABLE notices (
  message_id      TEXT PRIMARY KEY,
  direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  type            TEXT NOT NULL CHECK (type IN ('accepted', 'rejected', 'withdrawn', 'disputed')),
  refers_to       TEXT NOT NULL,
  from_agency     TEXT NOT NULL,
  to_agency       TEXT NOT NULL,
  notice_json     TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  letter_id       TEXT REFERENCES letters (id),
  profile         TEXT,
  envelope_sha256 TEXT,
  signed          TEXT,
  signer_json     TEXT,
  receipt         TEXT,
  CHECK (direction = 'out' OR letter_id IS NULL)
);
INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at,
  letter_id, profile, envelope_sha256, signed, signer_json, receipt)
  SELECT message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at,
  letter_id, profile, envelope_sha256, signed, signer_json, receipt FROM notices_v8 ORDER BY rowid;
CREATE TABLE notice_envelopes (
  message_id TEXT PRIMARY KEY REFERENCES notices (message_id) ON DELETE CASCADE,
  bytes      BLOB NOT NULL
);
INSERT INTO notice_envelopes (message_id, bytes) SELECT message_id, bytes FROM notice_envelopes_v8;
DROP TABLE notice_envelopes_v8;
DROP TABLE notices_v8;

CREATE INDEX notices_unsealed ON notices (created_at) WHERE direction = 'out' AND letter_id IS NULL;
CREATE INDEX notices_by_ref ON notices (refers_to, direction);
CREATE UNIQUE INDEX notices_one_answer ON notices (refers_to, direction) WHERE type IN ('accepted', 'rejected');
CREATE UNIQUE INDEX notices_one_withdrawal ON notices (refers_to, direction) WHERE type = 'withdrawn';
-- PROTOCOL.md §18.4: an acceptance is disputed at most once.
CREATE UNIQUE INDEX notices_one_dispute ON notices (refers_to, direction) WHERE type = 'disputed';
CREATE TRIGGER log_notice AFTER INSERT ON notices
BEGIN INSERT INTO log_pending (source, ref) VALUES ('notice-' || NEW.direction, json_array(NEW.message_id)); END;

DROP INDEX ecms_queue_next;
ALTER TABLE ecms_queue RENAME TO ecms_queue_v21;
CREATE TABLE ecms_queue (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  process_id      TEXT NOT NULL UNIQUE,
  agency          TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('GovernmentDocument', 'ReceiveLetterNotifier', 'AcceptLetterNotifier',
                    'RejectLetterNotifier', 'InvalidLetterNotifier', 'InvalidAcceptIDNotifier')),
  correlation_id  INTEGER NOT NULL REFERENCES ecms_correlation (id),
  facts_json      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  pulled_at       INTEGER,
  pulls           INTEGER NOT NULL DEFAULT 0,
  deleted_at      INTEGER,
  withdrawn_at    INTEGER,
  UNIQUE (agency, kind, correlation_id)
);
INSERT INTO ecms_queue (seq, process_id, agency, kind, correlation_id, facts_json, created_at, pulled_at, pulls, deleted_at, withdrawn_at)
  SELECT seq, process_id, agency, kind, correlation_id, facts_json, created_at, pulled_at, pulls, deleted_at, withdrawn_at FROM ecms_queue_v21;
DROP TABLE ecms_queue_v21;
CREATE INDEX ecms_queue_next ON ecms_queue (agency, seq) WHERE deleted_at IS NULL;
`
