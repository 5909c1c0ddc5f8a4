// Migration 021: the e-CMS gateway's receiving side (issue 18 §3, §4; README "e-CMS gateway").
// ecms_queue is the pull queue of each hosted agency's e-CMS client: one row per item it is to fetch
// (a letter as a GovernmentDocument, or a notifier about a letter it sent), written in the same
// transaction as the change it reports (the inbox row, the verified receipt, the incoming notice),
// so nothing exists in the node that its client will never see, and nothing is queued that did not
// happen. The client's CorrespondenceLetterDeleteRequest only sets deleted_at: the row stays, so
// CorrespondenceLetterInboundSpecialRequest can hand it out again (a client that crashed between its
// delete and its own commit has no other way back, e-cms.md §6).
// ecms_correlation is e-CMS's key for a letter, (LetterID, CorrespondenceDate, sender department,
// receiver department), beside our message ids; letter numbers are not unique across agencies or
// years, and a letter withdrawn in order to be sent again under the same number retires its row.
export const sql = `
CREATE TABLE ecms_correlation (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  direction           TEXT NOT NULL CHECK (direction IN ('in', 'out')),  -- in: received here; out: sent from here
  agency              TEXT NOT NULL,   -- the hosted agency whose e-CMS client knows the letter
  sender_agency       TEXT NOT NULL,
  recipient_agency    TEXT NOT NULL,
  ecms_letter_id      TEXT NOT NULL,   -- LetterID: the letter number (ที่) as the e-CMS client sees it
  correspondence_date TEXT NOT NULL,   -- CorrespondenceDate, yyyy-MM-dd (CE)
  sender_dept         TEXT NOT NULL,   -- SenderDepartment/Code as e-CMS shows it ('' when the directory has none)
  receiver_dept       TEXT NOT NULL,   -- AcceptDepartment/Code
  message_id          TEXT NOT NULL,   -- the letter envelope: inbox (in) or outbox (out) message id
  letter_id           TEXT,            -- out: the sent letter's id (API letter id)
  created_at          INTEGER NOT NULL,
  client_received_at  INTEGER,         -- in: the client's ReceiveLetterNotifier, recorded (not sent on)
  retired_at          INTEGER,         -- out: withdrawn (CorrespondenceDeleteGovernmentDocumentRequest)
  UNIQUE (direction, message_id)
);
CREATE INDEX ecms_correlation_by_key ON ecms_correlation (agency, direction, ecms_letter_id, correspondence_date);

CREATE TABLE ecms_queue (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,  -- queue order
  process_id      TEXT NOT NULL UNIQUE,               -- ProcessID handed to the client
  agency          TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('GovernmentDocument', 'ReceiveLetterNotifier', 'AcceptLetterNotifier',
                    'RejectLetterNotifier', 'InvalidLetterNotifier')),
  correlation_id  INTEGER NOT NULL REFERENCES ecms_correlation (id),
  facts_json      TEXT NOT NULL,    -- notifiers: AcceptID, AcceptDate, AcceptDepartment; never letter contents
  created_at      INTEGER NOT NULL,
  pulled_at       INTEGER,          -- first handed out by CorrespondenceLetterInboundRequest
  pulls           INTEGER NOT NULL DEFAULT 0,
  deleted_at      INTEGER,          -- CorrespondenceLetterDeleteRequest (idempotent; the row stays)
  withdrawn_at    INTEGER,          -- the sender withdrew the letter before the client pulled it
  UNIQUE (agency, kind, correlation_id)
);
-- CorrespondenceLetterInboundRequest: the oldest item still to hand out
CREATE INDEX ecms_queue_next ON ecms_queue (agency, seq) WHERE deleted_at IS NULL;
`
