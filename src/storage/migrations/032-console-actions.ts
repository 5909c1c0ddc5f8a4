// Migration 026 (issue 17 item 2): what was done in the admin console (/console) and by whom: the API
// key's name and the agencies it acted for, never the key or its digest. Append only.
export const sql = `
CREATE TABLE console_actions (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  key_name  TEXT NOT NULL,
  agencies  TEXT NOT NULL, -- JSON array: the key's agencies when it acted
  action    TEXT NOT NULL, -- login, login-refused, logout, retry, cancel, export, evidence, evidence-check
  target    TEXT,          -- a letter id, a register series, …
  outcome   TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
  detail    TEXT
);
CREATE INDEX console_actions_by_time ON console_actions (at, id);
`
