// Migration 043 (issue 19 item 2): an envelope staged while its letter is sealed (migration 015)
// names the process sealing it and when it was staged. At start a process deleted every staged
// envelope no letter adopted, so a second process starting while the first sealed a circular
// deleted what the first was still sealing (its letter then failed to store). Now a process deletes
// at start what it staged itself in an earlier life (its owner name is stable across restarts),
// rows staged before 043, and rows older than a day (a process that died and never came back: no
// sealing takes a day).
export const sql = `
ALTER TABLE outbox_contents ADD COLUMN sealed_by TEXT;
ALTER TABLE outbox_contents ADD COLUMN staged_at INTEGER;
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C"). */
export const postgresql = `
ALTER TABLE outbox_contents ADD COLUMN sealed_by text COLLATE "C";
ALTER TABLE outbox_contents ADD COLUMN staged_at bigint;
`
