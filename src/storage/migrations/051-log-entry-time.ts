// Migration 051 (issue 14 §6): an entry is found by its bytes (the receipt's entry, §20.5; the sender's
// entries for evidence, §20.7) through an index that begins with the entry's `at` (§20.3), no longer
// with its leaf hash. A leaf hash is random, so every entry appended wrote its own page of the old
// index (agency, leaf_hash): with about four entries per letter on the sender, four more pages
// written per letter to the WAL and again to the database file. Entries are appended in about the
// order of their times, so the new index grows at its end like the log itself.
// `entry_at` is the text between the entry's first `"at":"` and the next `"` (storage/log.ts
// entryTime; '' if there is none), so that it is a function of the entry bytes alone: `log verify`
// reports a row whose column says otherwise (its entry could not be found by its bytes).
export const sql = `
ALTER TABLE log_entries ADD COLUMN entry_at TEXT NOT NULL DEFAULT '';
UPDATE log_entries SET entry_at = CASE WHEN instr(CAST(entry AS TEXT), '"at":"') = 0 THEN ''
  ELSE substr(substr(CAST(entry AS TEXT), instr(CAST(entry AS TEXT), '"at":"') + 6), 1,
    instr(substr(CAST(entry AS TEXT), instr(CAST(entry AS TEXT), '"at":"') + 6), '"') - 1) END;
DROP INDEX log_entries_leaf;
CREATE INDEX log_entries_time ON log_entries (agency, entry_at, leaf_hash);
`

/** The same change in PostgreSQL's dialect (storage/postgresql/baseline.ts: text COLLATE "C"). */
export const postgresql = `
ALTER TABLE log_entries ADD COLUMN entry_at text COLLATE "C" NOT NULL DEFAULT '';
UPDATE log_entries SET entry_at = coalesce(substring(encode(entry, 'escape') from '"at":"([^"]*)"'), '');
DROP INDEX log_entries_leaf;
CREATE INDEX log_entries_time ON log_entries (agency, entry_at, leaf_hash);
`
