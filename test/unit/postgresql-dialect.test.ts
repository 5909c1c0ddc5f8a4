// The stores' SQLite text in PostgreSQL's dialect (storage/postgresql/sync/dialect.ts), rule by rule:
// each case is a statement a store writes and what PostgreSQL is given for it.
import t from 'tap'
import { translate, typed, kindOf } from '../../src/storage/postgresql/sync/dialect.js'

const CASES: ReadonlyArray<{ rule: string; sqlite: string; postgresql: string; names?: string[]; positional?: number }> = [
  { rule: 'positional parameters are numbered', sqlite: 'SELECT a FROM t WHERE b = ? AND c = ?', postgresql: 'SELECT a FROM t WHERE b = $1 AND c = $2', positional: 2 },
  { rule: 'a named parameter used twice is one number', sqlite: 'UPDATE t SET a = @now WHERE b < @now AND c = :id', postgresql: 'UPDATE t SET a = $1 WHERE b < $1 AND c = $2', names: ['now', 'id'] },
  { rule: 'a cast is not a :named parameter', sqlite: "SELECT pg_get_serial_sequence('events', 'id')::regclass", postgresql: "SELECT pg_get_serial_sequence('events', 'id')::regclass" },
  { rule: 'aliases keep their case', sqlite: 'SELECT message_id AS messageId FROM m ORDER BY receivedAt', postgresql: 'SELECT message_id AS "messageId" FROM m ORDER BY "receivedAt"' },
  { rule: 'nothing changes inside a string', sqlite: "SELECT 'IS NOT x LIKE ?' AS t", postgresql: "SELECT 'IS NOT x LIKE ?' AS t" },
  { rule: 'INSERT OR IGNORE', sqlite: 'INSERT OR IGNORE INTO t (a) VALUES (?)', postgresql: 'INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING', positional: 1 },
  { rule: 'INSERT OR IGNORE … RETURNING', sqlite: 'INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id', postgresql: 'INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id', positional: 1 },
  { rule: 'IS NOT with a value', sqlite: "SELECT 1 FROM t WHERE s IS NOT 'x'", postgresql: "SELECT 1 FROM t WHERE s IS DISTINCT FROM 'x'" },
  { rule: 'IS with a parameter', sqlite: 'SELECT 1 FROM t WHERE s IS @v', postgresql: 'SELECT 1 FROM t WHERE s IS NOT DISTINCT FROM $1', names: ['v'] },
  { rule: 'IS NULL stays', sqlite: 'SELECT 1 FROM t WHERE s IS NOT NULL AND u IS NULL', postgresql: 'SELECT 1 FROM t WHERE s IS NOT NULL AND u IS NULL' },
  { rule: 'scalar max and min', sqlite: 'SELECT MAX(a, b), min(c, d), max(e) FROM t', postgresql: 'SELECT GREATEST(a, b), LEAST(c, d), max(e) FROM t' },
  { rule: 'LIKE ignores ASCII case', sqlite: "SELECT 1 FROM t WHERE s LIKE ? ESCAPE '\\'", postgresql: "SELECT 1 FROM t WHERE s ILIKE $1 ESCAPE '\\'", positional: 1 },
  { rule: 'CAST to INTEGER is bigint', sqlite: 'SELECT CAST(a AS INTEGER) FROM t', postgresql: 'SELECT CAST(a AS bigint) FROM t' },
  { rule: 'CAST text to BLOB is its UTF-8 bytes', sqlite: 'SELECT CAST(letter_json AS BLOB) AS record FROM t', postgresql: "SELECT convert_to(letter_json , 'UTF8') AS record FROM t" },
  { rule: 'INDEXED BY is dropped', sqlite: 'SELECT 1 FROM t INDEXED BY t_due WHERE a = 1', postgresql: 'SELECT 1 FROM t  WHERE a = 1' },
  { rule: 'blob literals', sqlite: "UPDATE t SET b = x'00ff'", postgresql: "UPDATE t SET b = '\\x00ff'::bytea" },
]

t.test('each rule', async (t) => {
  for (const c of CASES) {
    const out = translate(c.sqlite)
    t.equal(out.text, c.postgresql, c.rule)
    t.same(out.names, c.names, `${c.rule}: named parameters`)
    t.equal(out.positional, c.positional ?? 0, `${c.rule}: positional parameters`)
  }
})

t.test('parameters are typed by the value bound, as SQLite types it; NULL is left to inference', async (t) => {
  const tr = translate('UPDATE t SET order_key = @now + priority * @agingMs, note = @note, b = @b WHERE id = @id')
  const values = [1_700_000_000_000, 1.5, 'ข้อความ', Buffer.from([1]), null]
  t.same(values.map(kindOf), ['i', 'f', 't', 'b', 'n'])
  t.equal(typed(tr, values.map(kindOf).join('')), 'UPDATE t SET order_key = $1::bigint + priority * $2::float8, note = $3::text, b = $4::bytea WHERE id = $5')
})
