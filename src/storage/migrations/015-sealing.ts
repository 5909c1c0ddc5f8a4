// Migration 015 (issue 5 §4): a circular sealed per recipient (a profile without sealMany) is stored
// in batches while it is sealed, so the sender's memory does not grow with the recipients. Each
// envelope waits in outbox_contents with `sealing` = its letter id and no letter_id: nothing reads
// such a row until the letter's one final transaction adopts it (letter_id set, sealing NULL) and
// the recipients' outbox rows, heads empty, point at it (envelope = head ‖ content ‖ tail, §17).
// Rows still sealing at startup belong to a request that never finished: they are deleted.
export const sql = `
ALTER TABLE outbox_contents ADD COLUMN sealing TEXT;
CREATE INDEX outbox_contents_sealing ON outbox_contents (sealing) WHERE sealing IS NOT NULL;
`
