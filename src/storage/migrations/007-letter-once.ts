// Migration 007: a letter signed once for many recipients (payload v2, PROTOCOL.md §17.5) is received
// at most once per recipient: the sender's letter id `lid` is kept with the message, unique per
// (recipient, sender). v1 messages have none (NULL: the index skips them).
export const sql = `
ALTER TABLE inbox_messages ADD COLUMN sender_letter_id TEXT;
CREATE UNIQUE INDEX inbox_letter_once ON inbox_messages (recipient_agency, sender_agency, sender_letter_id)
  WHERE sender_letter_id IS NOT NULL;
`
