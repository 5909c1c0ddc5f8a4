// Migration 017: classified letters (PROTOCOL.md §19). The node keeps only what the outer cover shows
// (§19.3) and the inner envelope as opaque bytes it cannot open; its own register book (ทะเบียนหนังสือลับ,
// numbered apart from every other book), the officers' statements as signed, and the per-agency access
// record (§19.7), one canonical JSON record per row so that a transparency log can take each as a leaf.
// An outgoing item's outer envelopes travel as letters rows of kind 'notice' (the CHECK of migration 008
// cannot be widened without rebuilding `letters`): the letter API and letter events never show them.
export const sql = `
CREATE TABLE classified_items (
  id              TEXT PRIMARY KEY,            -- the item id of the API
  direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  agency          TEXT NOT NULL,               -- the agency on this node: sender (out) or recipient (in)
  sender_agency   TEXT NOT NULL,
  control_number  TEXT NOT NULL,
  urgency         TEXT NOT NULL,
  deliver_by      TEXT,
  dispatch        TEXT NOT NULL CHECK (dispatch IN ('electronic', 'by-hand')),
  inner_sha256    TEXT,                        -- NULL for by-hand
  inner_size      INTEGER,
  created_at      INTEGER NOT NULL,
  forwarded_from  TEXT REFERENCES classified_items (id),
  to_officer      TEXT,                        -- forwarded items: the officer of the same agency it is for
  register_year   INTEGER NOT NULL,            -- the classified register book (Buddhist Era year)
  register_number INTEGER NOT NULL,
  destroyed_at    INTEGER,
  UNIQUE (agency, direction, register_year, register_number)
);
CREATE INDEX classified_items_list ON classified_items (agency, direction, created_at);

-- One row per outer envelope: out, one per recipient (its outbox message has the same id); in, the one received.
CREATE TABLE classified_messages (
  message_id      TEXT PRIMARY KEY,
  item_id         TEXT NOT NULL REFERENCES classified_items (id),
  from_agency     TEXT NOT NULL,
  to_agency       TEXT NOT NULL,
  cover_json      TEXT NOT NULL,               -- the signed cover (§19.3)
  -- in: as received, for the receipt replay and evidence
  profile         TEXT,
  envelope_sha256 TEXT,
  signer_json     TEXT,
  receipt         TEXT,
  received_at     INTEGER
);
CREATE INDEX classified_messages_item ON classified_messages (item_id);

-- The sealed bytes: deleted at destruction (§19.9), with secure_delete and a truncating checkpoint.
CREATE TABLE classified_inner (
  item_id TEXT PRIMARY KEY REFERENCES classified_items (id),
  bytes   BLOB NOT NULL
);
CREATE TABLE classified_envelopes (
  message_id TEXT PRIMARY KEY REFERENCES classified_messages (message_id),
  bytes      BLOB NOT NULL
);

-- Officers' statements (§19.4) as signed (DER SignedData), verified before they were stored.
CREATE TABLE classified_statements (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id         TEXT NOT NULL REFERENCES classified_items (id),
  type            TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('local', 'in')),  -- made here, or came in a notice
  officer_agency  TEXT NOT NULL,
  officer_id      TEXT NOT NULL,
  cert_sha256     TEXT NOT NULL,
  at              TEXT NOT NULL,
  statement_json  TEXT NOT NULL,
  der             BLOB NOT NULL,
  message_id      TEXT UNIQUE,                 -- the notice that carried it (in) or will (local opened/received-by-hand)
  created_at      INTEGER NOT NULL,
  -- in: the notice envelope as received, for the receipt replay (PROTOCOL.md §7.1)
  notice_envelope_sha256 TEXT,
  notice_receipt  TEXT
);
CREATE INDEX classified_statements_item ON classified_statements (item_id, type);

-- Outbox messages of the classified path (outer envelopes, their notices): delivery raises no letter
-- or notice events for them, so nothing outside the classified scope learns they exist (§19.5).
CREATE TABLE classified_outbox (message_id TEXT PRIMARY KEY);

-- Control numbers reserved before sealing (the inner envelope carries it, §19.2).
CREATE TABLE classified_control_numbers (
  control_number TEXT PRIMARY KEY,
  agency         TEXT NOT NULL,
  reserved_at    INTEGER NOT NULL,
  used_by        TEXT REFERENCES classified_items (id)
);

-- The access record (บันทึกการเข้าถึง, §19.7): append only; record = canonical JSON (RFC 8785).
CREATE TABLE classified_access (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  agency        TEXT NOT NULL,
  item_id       TEXT,                          -- NULL: a refused attempt that names no item of the agency
  at            INTEGER NOT NULL,
  record        TEXT NOT NULL,
  record_sha256 TEXT NOT NULL
);
CREATE INDEX classified_access_item ON classified_access (item_id, seq);
CREATE INDEX classified_access_agency ON classified_access (agency, at);
`
