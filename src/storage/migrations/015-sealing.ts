// Migration 015 (issue 5 §4): a circular sealed per recipient (a profile without sealMany) is stored
// in batches while it is sealed, so the sender's memory does not grow with the recipients. Each
// envelope is stored in outbox_contents with `sealing` = its letter id and no letter_id, before the
// letter row exists (letter_id references letters). The letter's one final transaction adopts its
// rows by pointing the recipients' outbox rows at them (heads empty; envelope = head ‖ content ‖
// tail, §17). The content rows themselves are not updated: giving a row a letter_id shifts every byte
// of its blob, and SQLite then rewrites all its overflow pages (measured: 4.8 s for 500 × 1.4 MB).
// So a content row with `sealing` set and no outbox envelope pointing at it belongs to a request that
// never finished; those are deleted at startup (the index below finds whether a content is used).
export const sql = `
ALTER TABLE outbox_contents ADD COLUMN sealing TEXT;
CREATE INDEX outbox_contents_sealing ON outbox_contents (sealing) WHERE sealing IS NOT NULL;
CREATE INDEX outbox_envelopes_by_content ON outbox_envelopes (content_id) WHERE content_id IS NOT NULL;
`
