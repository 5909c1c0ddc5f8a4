// Migration 040 (issue 16 item 3, issue 14 §6): the receipt of each received letter in a row of its
// own. A node that keeps a log signs it after the letter is stored (PROTOCOL.md §20.5: store, then
// checkpoint, then receipt), and storing it with an UPDATE of inbox_messages rewrote the whole row,
// letter included, and zeroed the first copy (secure_delete): a national circular's letter names every
// addressee, about 200 KB per envelope for 7,850 of them. The receipt is now inserted beside its row,
// once. The log's `message.stored` entry is appended when it is (was: when the column was filled).
export const sql = `
CREATE TABLE inbox_receipts (
  message_id TEXT PRIMARY KEY REFERENCES inbox_messages (message_id) ON DELETE CASCADE,
  receipt    TEXT NOT NULL CHECK (receipt <> '')
);
INSERT INTO inbox_receipts (message_id, receipt) SELECT message_id, receipt FROM inbox_messages WHERE receipt <> '' ORDER BY rowid;
DROP TRIGGER log_inbox_receipt_inserted;
DROP TRIGGER log_inbox_receipt_signed;
ALTER TABLE inbox_messages DROP COLUMN receipt;
CREATE TRIGGER log_inbox_receipt AFTER INSERT ON inbox_receipts
BEGIN INSERT INTO log_pending (source, ref) VALUES ('inbox-receipt', json_array(NEW.message_id)); END;
`
