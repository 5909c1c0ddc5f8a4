// Migration 044 (issue 19 item 2): console sessions in the database, not in one process's memory, so
// that a browser signed in through one process of a node stays signed in whichever process a load
// balancer sends its next request to, and a logout or a removed key ends the session everywhere.
// The row holds the SHA-256 of the session id (the cookie), never the id itself; the CSRF token; the
// SHA-256 of the API key once signed in; and the times the expiry rules read (console/session.ts).
// Not a record of correspondence: no transparency-log trigger (PROTOCOL.md §20.3).
export const sql = `
CREATE TABLE console_sessions (
  id_sha256    TEXT PRIMARY KEY,
  csrf         TEXT NOT NULL,
  key_sha256   TEXT,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_lru ON console_sessions (key_sha256 IS NOT NULL, last_seen_at);
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C"). */
export const postgresql = `
CREATE TABLE console_sessions (
  id_sha256    text COLLATE "C" PRIMARY KEY,
  csrf         text COLLATE "C" NOT NULL,
  key_sha256   text COLLATE "C",
  created_at   bigint NOT NULL,
  last_seen_at bigint NOT NULL
);
CREATE INDEX console_sessions_lru ON console_sessions ((key_sha256 IS NOT NULL), last_seen_at);
`
