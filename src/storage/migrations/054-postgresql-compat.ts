// Migration 054 (issue 19 §1): what the stores' SQL needs of PostgreSQL to run there as written for
// SQLite (postgresql/sync/dialect.ts rewrites the rest). Nothing changes on SQLite, which has these.
//   - rowid: SQLite numbers every row of a table that is not WITHOUT ROWID, and the stores read
//     insertion order by it (a letter's messages in the order they were addressed, the log's rows).
//     The tables they read it from get an identity column of that name; existing rows (a storage copy)
//     are numbered in their physical order, which is the copy's order (postgresql/copy.ts).
//   - json_each(text) (the `value` of each element of a JSON array, as text: every list the stores
//     pass is of names), json_extract(text, '$.a.b') (the value at that path as text),
//     json_valid(text or the UTF-8 bytes of a text), instr(text, text).
export const sql = `
-- nothing: SQLite has rowid and these functions of its own
`

const ROWID_TABLES = ['outbox_messages', 'inbox_messages', 'notices', 'classified_items', 'classified_messages', 'crl_history']

export const postgresql = `
${ROWID_TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY;`).join('\n')}
CREATE FUNCTION json_each(list text) RETURNS TABLE (value text) LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT e COLLATE "C" FROM json_array_elements_text(list::json) AS e $$;
CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT (doc::jsonb #>> string_to_array(substr(path, 3), '.')) COLLATE "C" $$;
CREATE FUNCTION json_valid(doc text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT
  AS $$ BEGIN PERFORM doc::jsonb; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$;
CREATE FUNCTION json_valid(doc bytea) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT
  AS $$ BEGIN PERFORM convert_from(doc, 'UTF8')::jsonb; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$;
CREATE FUNCTION instr(haystack text, needle text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT strpos(haystack, needle)::bigint $$;
`
