// Migration 024 (PROTOCOL.md §20.3, §20.5): every receipt this node signs carries a checkpoint of the
// receiving agency's log covering the message's `message.received` entry, not only a letter's. So a
// notice, a classified cover and a classified statement notice are stored like a letter: their
// receipt column empty ('') until the receipt is signed after the entry is committed, and what was
// kept (`message.stored`, which digests the receipt) is recorded when the receipt is stored: at insert
// when the row has one, else when the empty column is filled (the row sources notice-receipt,
// classified-receipt, classified-statement-receipt of storage/log-rows.ts).
// A statement notice's `message.received` entry is rebuilt from its row (its sender is the officer's
// agency, §19.6), so the row keeps the notice's envelope profile: notice_profile (NULL on rows stored
// before this migration, whose entries were built from their receipts, which they have).
// The officers' statements made here (opened, destroyed, received by hand, release: §19.4) get an
// entry of their own (`classified.statement`); rows already stored get theirs at the next start.
export const sql = `
ALTER TABLE classified_statements ADD COLUMN notice_profile TEXT;

CREATE TRIGGER log_notice_receipt_inserted AFTER INSERT ON notices WHEN NEW.direction = 'in' AND NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('notice-receipt', json_array(NEW.message_id)); END;
CREATE TRIGGER log_notice_receipt_signed AFTER UPDATE OF receipt ON notices
  WHEN NEW.direction = 'in' AND OLD.receipt = '' AND NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('notice-receipt', json_array(NEW.message_id)); END;

CREATE TRIGGER log_classified_receipt_inserted AFTER INSERT ON classified_messages
  WHEN NEW.received_at IS NOT NULL AND NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-receipt', json_array(NEW.message_id)); END;
CREATE TRIGGER log_classified_receipt_signed AFTER UPDATE OF receipt ON classified_messages
  WHEN NEW.received_at IS NOT NULL AND OLD.receipt = '' AND NEW.receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-receipt', json_array(NEW.message_id)); END;

CREATE TRIGGER log_classified_statement_receipt_inserted AFTER INSERT ON classified_statements
  WHEN NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL AND NEW.notice_receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-statement-receipt', json_array(NEW.id)); END;
CREATE TRIGGER log_classified_statement_receipt_signed AFTER UPDATE OF notice_receipt ON classified_statements
  WHEN NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL AND OLD.notice_receipt = '' AND NEW.notice_receipt <> ''
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-statement-receipt', json_array(NEW.id)); END;

CREATE TRIGGER log_classified_statement_local AFTER INSERT ON classified_statements WHEN NEW.direction = 'local'
BEGIN INSERT INTO log_pending (source, ref) VALUES ('classified-statement', json_array(NEW.id)); END;

INSERT INTO log_pending (source, ref) SELECT 'classified-statement', json_array(id) FROM classified_statements WHERE direction = 'local' ORDER BY id;
`
