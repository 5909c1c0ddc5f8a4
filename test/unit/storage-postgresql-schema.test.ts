// Issue 19: the PostgreSQL baseline (src/storage/postgresql/baseline.ts) is the SQLite schema at
// migration POSTGRESQL_BASELINE. Compared against an in-memory SQLite database migrated with MIGRATIONS:
// tables, columns (order, type, NOT NULL, DEFAULT), primary keys, unique constraints, indexes (columns,
// uniqueness, WHERE), triggers (table, timing, event, WHEN); then the same statements run on both
// engines side by side, and the log_pending rows, the blob_chunks left and the CHECKs must agree.
import t from 'tap'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { MIGRATIONS, POSTGRESQL_BASELINE } from '../../src/storage/migrations/index.js'
import { sql as baseline } from '../../src/storage/postgresql/baseline.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const missing = postgresMissing()
const skip = missing === undefined ? {} : { skip: `PostgreSQL tests skipped: ${missing}` }

type Sql = ReturnType<typeof postgres>
type Engine = 'sqlite' | 'pg'

const TYPES: Record<string, string> = { INTEGER: 'bigint', TEXT: 'text', BLOB: 'bytea', REAL: 'double precision' }

/** A WHEN or index WHERE clause in a form both engines' texts reduce to. */
function norm(expr: string, engine: Engine): string {
  let s = expr.toLowerCase().replace(/\s+/g, ' ')
  if (engine === 'sqlite') {
    s = s.replace(/ is not ('[^']*')/g, ' is distinct from $1')
    s = s.replace(/(\w+) in \(([^)]*)\)/g, '$1 = any array[$2]')
  } else {
    s = s.replace(/::text\[\]|::text|::bigint/g, '')
  }
  return s.replace(/[()[\]]/g, '').replace(/\s+/g, ' ').trim()
}

/** SQLite's trigger text → timing, event (with its columns), table and WHEN. */
function parseSqliteTrigger(text: string) {
  const m = /CREATE TRIGGER (\w+) (BEFORE|AFTER) (INSERT|DELETE|UPDATE(?: OF ([\w, ]+?))?) ON (\w+)\s*(?:WHEN ([\s\S]*?))?\s*BEGIN/i.exec(text)
  if (!m) throw new Error(`cannot read trigger: ${text}`)
  return { timing: m[2]!.toUpperCase(), event: m[3]!.split(' ')[0]!.toUpperCase(), columns: m[4]?.split(',').map((c) => c.trim()) ?? [], table: m[5]!, when: m[6] === undefined ? null : norm(m[6], 'sqlite') }
}

function parsePgTrigger(def: string) {
  const m = /^CREATE TRIGGER (\w+) (BEFORE|AFTER) (INSERT|DELETE|UPDATE(?: OF ([\w, ]+?))?) ON public\.(\w+) FOR EACH ROW(?: WHEN \(([\s\S]*)\))? EXECUTE FUNCTION (\w+)\(\)$/.exec(def)
  if (!m) throw new Error(`cannot read trigger: ${def}`)
  return { timing: m[2]!, event: m[3]!.split(' ')[0]!, columns: m[4]?.split(',').map((c) => c.trim()) ?? [], table: m[5]!, when: m[6] === undefined ? null : norm(m[6], 'pg'), fn: m[7]! }
}

t.test('the PostgreSQL baseline is the SQLite schema at its version', skip, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  // The default collation of this database sorts as Thai (ICU), not as bytes: the baseline's
  // COLLATE "C" must make ordering independent of it. Without ICU, the cluster's C locale.
  let url: string
  try {
    cluster.psql('postgres', `CREATE DATABASE schema_test TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'th-TH'`)
    url = cluster.url('schema_test')
  } catch {
    url = cluster.createDatabase('schema_test')
    t.comment('no ICU collations: the database uses the C locale, the ordering check proves less')
  }
  const pg: Sql = postgres(url, { onnotice: () => {} })
  t.teardown(() => pg.end())
  await pg.unsafe(baseline)

  const lite = new Database(':memory:')
  t.teardown(() => lite.close())
  lite.pragma('foreign_keys = ON') // as storage/connection.ts
  lite.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version <= POSTGRESQL_BASELINE)) lite.exec(m.sql) })()

  t.equal(MIGRATIONS.find((m) => m.version === POSTGRESQL_BASELINE)?.postgresql, baseline, 'the baseline is carried by migration 39')
  t.notMatch(baseline.replace(/--[^\n]*/g, ''), /INSERT OR|PRAGMA|AUTOINCREMENT|WITHOUT ROWID|json_array|ifnull|\bBLOB\b|\bIS NOT '/i, 'no SQLite-only syntax')

  const liteTables = (lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name`).pluck().all() as string[])
  const pgTables = (await pg`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`).map((r) => r['table_name'] as string)
  t.same([...pgTables].sort(), [...liteTables].sort(), 'the same tables')
  t.equal(liteTables.length, 42)

  t.test('columns and primary keys', async (t) => {
    const pgCols = await pg`SELECT table_name, column_name, ordinal_position, is_nullable, data_type, collation_name, column_default, is_identity
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
    const pgPk = await pg`SELECT kcu.table_name, kcu.column_name FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
      WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' ORDER BY kcu.table_name, kcu.ordinal_position`
    for (const table of liteTables) {
      const lc = lite.prepare('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[]
      const pc = pgCols.filter((c) => c['table_name'] === table)
      t.same(pc.map((c) => c['column_name']), lc.map((c) => c.name), `${table}: the same columns in the same order`)
      const pkCols = lc.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
      t.same(pgPk.filter((r) => r['table_name'] === table).map((r) => r['column_name']), pkCols, `${table}: the same primary key`)
      const rowidAlias = pkCols.length === 1 && lc.find((c) => c.name === pkCols[0])!.type === 'INTEGER'
      for (const c of lc) {
        const p = pc.find((x) => x['column_name'] === c.name)
        if (!p) continue
        t.ok(c.type in TYPES, `${table}.${c.name}: SQLite declares a type (${c.type})`)
        t.equal(p['data_type'], TYPES[c.type], `${table}.${c.name}: ${c.type} is ${TYPES[c.type]}`)
        t.equal(p['collation_name'], c.type === 'TEXT' ? 'C' : null, `${table}.${c.name}: collation`)
        // A primary key column is NOT NULL in PostgreSQL; SQLite only says so when declared (a TEXT
        // key of a rowid table would even take NULL, which no store writes).
        t.equal(p['is_nullable'] === 'NO', c.notnull === 1 || c.pk > 0, `${table}.${c.name}: NOT NULL`)
        const pgDefault = p['is_identity'] === 'YES' ? null : (p['column_default'] as string | null)?.replace(/::(text|bigint)$/, '') ?? null
        t.equal(pgDefault, c.dflt_value, `${table}.${c.name}: default`)
      }
      // SQLite gives an INTEGER PRIMARY KEY its value when the insert does not; the identity does so
      // here. directory_history.serial and events_pruned.one always come from the node.
      const identity = pc.filter((c) => c['is_identity'] === 'YES').map((c) => c['column_name'])
      const expected = rowidAlias && !['directory_history', 'events_pruned'].includes(table) ? pkCols : []
      t.same(identity, expected, `${table}: identity columns`)
    }
  })

  const pgIndexes = await pg`SELECT i.relname AS name, tb.relname AS tbl, ix.indisunique AS unique, ix.indisprimary AS primary,
      pg_get_expr(ix.indpred, ix.indrelid) AS pred,
      array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = tb.oid AND a.attnum = k.attnum ORDER BY k.n) AS cols
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class tb ON tb.oid = ix.indrelid
    JOIN pg_namespace ns ON ns.oid = tb.relnamespace WHERE ns.nspname = 'public'`

  t.test('indexes and unique constraints', async (t) => {
    let named = 0
    let auto = 0
    const accounted = new Set<string>()
    for (const table of liteTables) {
      const list = lite.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?)').all(table) as { name: string; unique: number; origin: string; partial: number }[]
      for (const ix of list) {
        const cols = (lite.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck().all(ix.name) as string[])
        if (ix.origin === 'c') {
          named++
          const p = pgIndexes.find((x) => x['name'] === ix.name)
          if (!p) { t.fail(`index ${ix.name} exists`); continue }
          accounted.add(ix.name)
          t.equal(p['tbl'], table, `${ix.name}: on ${table}`)
          t.same(p['cols'], cols, `${ix.name}: columns ${cols.join(', ')}`)
          t.equal(p['unique'], ix.unique === 1, `${ix.name}: uniqueness`)
          t.equal(p['pred'] !== null, ix.partial === 1, `${ix.name}: partial-ness`)
          if (ix.partial === 1) {
            const text = lite.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(ix.name) as string
            t.equal(norm(p['pred'] as string, 'pg'), norm(text.slice(text.search(/\sWHERE\s/i) + 7), 'sqlite'), `${ix.name}: the same WHERE`)
          }
        } else {
          // sqlite_autoindex_*: a UNIQUE or PRIMARY KEY constraint; PostgreSQL names its own index.
          auto++
          const p = pgIndexes.find((x) => x['tbl'] === table && x['unique'] && x['pred'] === null && JSON.stringify(x['cols']) === JSON.stringify(cols))
          if (t.ok(p, `${table}: a unique index on (${cols.join(', ')}) for ${ix.origin === 'pk' ? 'the primary key' : 'a UNIQUE constraint'}`)) accounted.add(p!['name'] as string)
        }
      }
    }
    // sqlite_master's 75 indexes are 47 named and 28 sqlite_autoindex_*; index_list adds the primary
    // keys of the 8 WITHOUT ROWID tables, which sqlite_master does not list.
    t.same([named, auto], [47, 28 + 8], 'every index of SQLite: 47 named, 36 for keys and UNIQUE constraints')
    const extra = pgIndexes.filter((x) => !accounted.has(x['name'] as string) && !(x['primary'] as boolean))
    t.same(extra.map((x) => x['name']), [], 'PostgreSQL has no index SQLite has not (besides the rowid tables\' primary keys)')
  })

  t.test('triggers', async (t) => {
    const liteTriggers = lite.prepare(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all() as { name: string; tbl_name: string; sql: string }[]
    const pgTriggers = await pg`SELECT t.tgname AS name, c.relname AS tbl, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY t.tgname`
    t.equal(liteTriggers.length, 29, 'SQLite has 29 triggers')
    t.same(pgTriggers.map((x) => x['name']).sort(), liteTriggers.map((x) => x.name).sort(), 'the same trigger names')
    for (const lt of liteTriggers) {
      const p = pgTriggers.find((x) => x['name'] === lt.name)
      if (!p) continue
      const l = parseSqliteTrigger(lt.sql)
      const q = parsePgTrigger(p['def'] as string)
      t.equal(q.table, lt.tbl_name, `${lt.name}: on ${lt.tbl_name}`)
      t.same([q.timing, q.event, q.columns], [l.timing, l.event, l.columns], `${lt.name}: ${l.timing} ${l.event}${l.columns.length ? ' OF ' + l.columns.join(', ') : ''}`)
      t.equal(q.when, l.when, `${lt.name}: the same WHEN`)
      t.equal(q.fn, `${lt.name}_fn`, `${lt.name}: its function is ${lt.name}_fn`)
    }
  })

  // --- behaviour, side by side ---------------------------------------------------------------------
  const blob = (e: Engine, hex: string) => (e === 'sqlite' ? `X'${hex}'` : `'\\x${hex}'::bytea`)
  const run = async (stmt: string | ((e: Engine) => string)) => {
    const text = (e: Engine) => (typeof stmt === 'string' ? stmt : stmt(e))
    lite.exec(text('sqlite'))
    await pg.unsafe(text('pg'))
  }
  const rowsOf = async (select: string) => {
    const l = (lite.prepare(select).raw().all() as unknown[][]).map((r) => r.map(cell))
    const p = (await pg.unsafe(select).values()).map((r) => (r as unknown[]).map(cell))
    return { l, p }
  }
  const cell = (v: unknown) => (Buffer.isBuffer(v) ? `x${v.toString('hex')}` : v === null ? null : String(v))

  t.test('the log triggers write the same log_pending rows', async (t) => {
    const fired = new Set<string>()
    let seen = 0
    const L = `INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES`
    const OM = `INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256, priority, status, next_attempt_at, created_at, updated_at) VALUES`
    const IM = `INSERT INTO inbox_messages (message_id, recipient_agency, sender_agency, profile, envelope_sha256, letter_json, signer_json, received_at, receipt) VALUES`
    const RE = `INSERT INTO register_entries (agency, book, year, number, recorded_at, letter_id) VALUES`
    const CI = `INSERT INTO classified_items (id, direction, agency, sender_agency, control_number, urgency, dispatch, created_at, register_year, register_number) VALUES`
    const CM = `INSERT INTO classified_messages (message_id, item_id, from_agency, to_agency, cover_json, received_at, receipt) VALUES`
    const CS = (e: Engine, dir: string, env: string, receipt: string, mid: string) =>
      `INSERT INTO classified_statements (item_id, type, direction, officer_agency, officer_id, cert_sha256, at, statement_json, der, message_id, created_at, notice_envelope_sha256, notice_receipt)
       VALUES ('ci1', 'opened', '${dir}', 'moi', 'o1', 'c', '2026', '{}', ${blob(e, '3082')}, ${mid}, 1, ${env}, ${receipt})`
    const N = `INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at, receipt) VALUES`
    // [what, statement, the sources SQLite writes (in order), the sources PostgreSQL writes when they differ, triggers it fires]
    const steps: [string, string | ((e: Engine) => string), string[], string[] | null, string[]][] = [
      ['a letter alone', `${L} ('L1', 'moi', '{}', 1), ('L2', 'moi', '{}', 2)`, [], null, []],
      ['an outbox message', `${OM} ('om1', 'L1', 'mof', 'jose-v1', 'e', 0, 'queued', 1, 1, 1), ('om2', 'L1', 'mot', 'jose-v1', 'e', 0, 'queued', 1, 1, 1), ('o"m\\3', 'L1', 'mof', 'jose-v1', 'e', 0, 'queued', 1, 1, 1)`, ['outbox-message', 'outbox-message', 'outbox-message'], null, ['log_outbox_sent']],
      ['queued → sending: not delivered', `UPDATE outbox_messages SET status = 'sending' WHERE message_id = 'om1'`, [], null, []],
      ['sending → delivered', `UPDATE outbox_messages SET status = 'delivered' WHERE message_id = 'om1'`, ['outbox-delivered'], null, ['log_outbox_delivered']],
      ['delivered → delivered: already', `UPDATE outbox_messages SET status = 'delivered' WHERE message_id = 'om1'`, [], null, []],
      ['an inbox message without its receipt', `${IM} ('im1', 'mof', 'moi', 'jose-v1', 'e', '{}', '{}', 1, '')`, ['inbox-message'], null, ['log_inbox_received']],
      ['its receipt stays empty', `UPDATE inbox_messages SET receipt = '' WHERE message_id = 'im1'`, [], null, []],
      ['its receipt signed', `UPDATE inbox_messages SET receipt = 'r1' WHERE message_id = 'im1'`, ['inbox-receipt'], null, ['log_inbox_receipt_signed']],
      ['its receipt changed after', `UPDATE inbox_messages SET receipt = 'r2' WHERE message_id = 'im1'`, [], null, []],
      ['an inbox message with its receipt, and an id JSON must escape', `${IM} ('im2', 'mof', 'moi', 'jose-v1', 'e', '{}', '{}', 2, 'r'), ('a"b\\c/ไทย', 'mof', 'moi', 'jose-v1', 'e', '{}', '{}', 3, '')`,
        ['inbox-receipt', 'inbox-message', 'inbox-message'], null, ['log_inbox_receipt_inserted', 'log_inbox_received']],
      ['register numbers, one with its letter', `${RE} ('moi', 'send', 2026, 1, 1, NULL), ('moi', 'send', 2026, 2, 1, 'L1'), ('moi', 'send', 2026, 3, 1, NULL)`,
        ['register-entry', 'register-entry', 'register-link', 'register-entry'], null, ['log_register_taken']],
      ['a number linked', `UPDATE register_entries SET letter_id = 'L2' WHERE number = 1`, ['register-link'], null, ['log_register_linked']],
      ['a linked number linked again', `UPDATE register_entries SET letter_id = 'L1' WHERE number = 1`, [], null, []],
      ['a number cancelled', `UPDATE register_entries SET status = 'cancelled', cancelled_at = 5 WHERE number = 2`, ['register-cancel'], null, ['log_register_cancelled']],
      ['a cancelled number cancelled again', `UPDATE register_entries SET status = 'cancelled' WHERE number = 2`, [], null, []],
      ['a number linked and cancelled at once', `UPDATE register_entries SET letter_id = 'L2', status = 'cancelled' WHERE number = 3`, ['register-cancel', 'register-link'], null, []],
      ['a classified item', `${CI} ('ci1', 'out', 'moi', 'moi', 'C1', 'normal', 'electronic', 1, 2569, 1), ('ci2', 'in', 'mof', 'moi', 'C2', 'normal', 'electronic', 1, 2569, 1)`, ['classified-item', 'classified-item'], null, ['log_classified_item']],
      ['it is destroyed', `UPDATE classified_items SET destroyed_at = 9 WHERE id = 'ci2'`, ['classified-destroyed'], null, ['log_classified_destroyed']],
      ['destroyed again', `UPDATE classified_items SET destroyed_at = 10 WHERE id = 'ci2'`, [], null, []],
      ['an outgoing outer envelope', `${CM} ('cm1', 'ci1', 'moi', 'mof', '{}', NULL, '')`, [], null, []],
      ['its receipt column filled (not received here)', `UPDATE classified_messages SET receipt = 'r' WHERE message_id = 'cm1'`, [], null, []],
      ['a received outer envelope without its receipt', `${CM} ('cm2', 'ci2', 'mof', 'moi', '{}', 5, '')`, ['classified-in'], null, ['log_classified_in']],
      ['its receipt signed', `UPDATE classified_messages SET receipt = 'r' WHERE message_id = 'cm2'`, ['classified-receipt'], null, ['log_classified_receipt_signed']],
      ['its receipt changed after', `UPDATE classified_messages SET receipt = 's' WHERE message_id = 'cm2'`, [], null, []],
      ['a received outer envelope with its receipt', `${CM} ('cm3', 'ci2', 'mof', 'moi', '{}', 6, 'r')`,
        ['classified-receipt', 'classified-in'], ['classified-in', 'classified-receipt'], ['log_classified_receipt_inserted', 'log_classified_in']],
      ['a statement made here', (e) => CS(e, 'local', 'NULL', 'NULL', `'sm1'`), ['classified-statement'], null, ['log_classified_statement_local']],
      ['a statement received without its receipt', (e) => CS(e, 'in', `'h'`, `''`, `'sm2'`), ['classified-statement-in'], null, ['log_classified_statement_in']],
      ['its receipt signed', `UPDATE classified_statements SET notice_receipt = 'r' WHERE message_id = 'sm2'`, ['classified-statement-receipt'], null, ['log_classified_statement_receipt_signed']],
      ['its receipt changed after', `UPDATE classified_statements SET notice_receipt = 's' WHERE message_id = 'sm2'`, [], null, []],
      ['a statement received with its receipt', (e) => CS(e, 'in', `'h'`, `'r'`, `'sm3'`),
        ['classified-statement-receipt', 'classified-statement-in'], ['classified-statement-in', 'classified-statement-receipt'], ['log_classified_statement_receipt_inserted', 'log_classified_statement_in']],
      ['a statement "in" without its notice envelope', (e) => CS(e, 'in', 'NULL', `'r'`, `'sm4'`), [], null, []],
      ['a receipt on that one', `UPDATE classified_statements SET notice_receipt = 't' WHERE message_id = 'sm4'`, [], null, []],
      ['an access record', `INSERT INTO classified_access (agency, item_id, at, record, record_sha256) VALUES ('moi', 'ci1', 1, '{}', 'h')`, ['classified-access'], null, ['log_classified_access']],
      ['a key in use', `INSERT INTO log_keys (agency, role, cert_sha256, first_used) VALUES ('moi', 'signing', 'ab', 1)`, ['key'], null, ['log_key_in_use']],
      ['a directory', `INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at) VALUES (42, 1, 2, 'p', 'j', 3)`, ['directory'], null, ['log_directory']],
      ['a CRL', (e) => `INSERT INTO crl_history (issuer_fp, crl_number, this_update, der, fetched_at) VALUES ('fp', '18446744073709551616', 1, ${blob(e, '30')}, 2)`, ['crl'], null, ['log_crl']],
      ['an outgoing notice', `${N} ('n1', 'out', 'accepted', 'om9', 'moi', 'mof', '{}', 1, NULL)`, ['notice-out'], null, ['log_notice']],
      ['a receipt on an outgoing notice', `UPDATE notices SET receipt = '' WHERE message_id = 'n1'; UPDATE notices SET receipt = 'r' WHERE message_id = 'n1'`, [], null, []],
      ['an incoming notice without its receipt', `${N} ('n2', 'in', 'accepted', 'om1', 'mof', 'moi', '{}', 1, '')`, ['notice-in'], null, []],
      ['its receipt signed', `UPDATE notices SET receipt = 'r' WHERE message_id = 'n2'`, ['notice-receipt'], null, ['log_notice_receipt_signed']],
      ['its receipt changed after', `UPDATE notices SET receipt = 's' WHERE message_id = 'n2'`, [], null, []],
      ['an incoming notice with its receipt', `${N} ('n3', 'in', 'withdrawn', 'om1', 'mof', 'moi', '{}', 1, 'r')`,
        ['notice-receipt', 'notice-in'], ['notice-in', 'notice-receipt'], ['log_notice_receipt_inserted']],
    ]
    for (const [what, stmt, sources, pgSources, fires] of steps) {
      await run(stmt)
      const { l, p } = await rowsOf(`SELECT seq, source, ref FROM log_pending WHERE seq > ${seen} ORDER BY seq`)
      t.same(l.map((r) => r[1]), sources, `${what}: SQLite writes ${sources.join(', ') || 'nothing'}`)
      if (pgSources === null) {
        t.same(p, l, `${what}: the same rows on both`)
      } else {
        // Triggers of one event: SQLite fires the newest first, PostgreSQL in name order (baseline.ts).
        t.same(p.map((r) => r[1]), pgSources, `${what}: PostgreSQL writes them in its trigger order`)
        const key = (r: (string | null)[]) => `${r[1]} ${r[2]}`
        t.same([...p].sort((a, b) => key(a).localeCompare(key(b))).map((r) => r.slice(1)), [...l].sort((a, b) => key(a).localeCompare(key(b))).map((r) => r.slice(1)), `${what}: the same rows`)
        t.same(p.map((r) => r[0]), l.map((r) => r[0]), `${what}: the same seqs`)
      }
      seen += l.length
      for (const f of fires) fired.add(f)
    }
    const { l, p } = await rowsOf('SELECT seq, source, ref FROM log_pending ORDER BY seq')
    t.equal(p.length, l.length, 'the same number of pending rows in all')
    t.equal(l.find((r) => r[2]!.includes('ไทย'))?.[2], '["a\\"b\\\\c/ไทย"]', 'a ref is SQLite\'s compact json_array text')
    t.same(p.find((r) => r[2]!.includes('ไทย')), l.find((r) => r[2]!.includes('ไทย')), '… on both')
    const logTriggers = (lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'log\\_%' ESCAPE '\\' ORDER BY name`).pluck().all() as string[])
    t.equal(logTriggers.length, 24)
    t.same(logTriggers.filter((n) => !fired.has(n)), [], 'every log trigger fired in some step')
  })

  t.test('the chunk triggers leave the same blob_chunks rows', async (t) => {
    await run((e) => `
      INSERT INTO outbox_envelopes (message_id, content_key, bytes) VALUES ('om1', ${blob(e, '01')}, ${blob(e, '')}), ('om2', ${blob(e, '01')}, ${blob(e, '')});
      INSERT INTO outbox_contents (id, letter_id, profile, bytes) VALUES (7, 'L1', 'jose-v1', ${blob(e, '')});
      INSERT INTO inbox_contents (sha256, bytes) VALUES ('s1', ${blob(e, '')});
      INSERT INTO inbox_envelopes (message_id, bytes, content_sha256) VALUES ('im1', ${blob(e, '')}, NULL), ('im2', ${blob(e, '')}, NULL);
      INSERT INTO blob_chunks (id, owner, seq, bytes) VALUES
        (1, 'oe:om1', 0, ${blob(e, 'aa')}), (2, 'oe:om1', 1, ${blob(e, 'bb')}), (3, 'oe:om2', 0, ${blob(e, 'cc')}),
        (4, 'oc:7', 0, ${blob(e, 'dd')}), (5, 'ie:im1', 0, ${blob(e, 'ee')}), (6, 'ie:im2', 0, ${blob(e, 'ef')}),
        (7, 'ic:s1', 0, ${blob(e, 'ff')}), (8, 'oe:om3', 0, ${blob(e, '00')})`)
    const steps: [string, string | ((e: Engine) => string), string[]][] = [
      ['an outbox envelope emptied (classified destruction)', (e) => `UPDATE outbox_envelopes SET bytes = ${blob(e, '')} WHERE message_id = 'om1'`, ['oe:om2', 'oc:7', 'ie:im1', 'ie:im2', 'ic:s1', 'oe:om3']],
      ['an outbox message deleted: its envelope cascades', `DELETE FROM outbox_messages WHERE message_id = 'om2'`, ['oc:7', 'ie:im1', 'ie:im2', 'ic:s1', 'oe:om3']],
      ['an outbox content deleted', `DELETE FROM outbox_contents WHERE id = 7`, ['ie:im1', 'ie:im2', 'ic:s1', 'oe:om3']],
      ['an inbox envelope deleted', `DELETE FROM inbox_envelopes WHERE message_id = 'im2'`, ['ie:im1', 'ic:s1', 'oe:om3']],
      ['an inbox message deleted: its envelope cascades', `DELETE FROM inbox_messages WHERE message_id = 'im1'`, ['ic:s1', 'oe:om3']],
      ['an inbox content deleted', `DELETE FROM inbox_contents WHERE sha256 = 's1'`, ['oe:om3']],
    ]
    for (const [what, stmt, owners] of steps) {
      await run(stmt)
      const { l, p } = await rowsOf('SELECT id, owner, seq, bytes FROM blob_chunks ORDER BY id')
      t.same(l.map((r) => r[1]), owners, `${what}: SQLite keeps ${owners.join(', ')}`)
      t.same(p, l, `${what}: the same rows on both`)
    }
  })

  t.test('constraints refuse the same rows', async (t) => {
    const both = async (what: string, stmt: (e: Engine) => string, accepted: boolean) => {
      let l = true
      let p = true
      try { lite.exec(stmt('sqlite')) } catch { l = false }
      try { await pg.unsafe(stmt('pg')) } catch { p = false }
      t.same([l, p], [accepted, accepted], `${what}: ${accepted ? 'accepted' : 'refused'} by both`)
    }
    const leaf = (n: number) => (e: Engine) => `INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES ('moi', ${n}, ${blob(e, '7b7d')}, ${blob(e, '11'.repeat(n))})`
    await both('a 31-byte leaf hash', leaf(31), false)
    await both('a 33-byte leaf hash', leaf(33), false)
    await both('a 32-byte leaf hash', leaf(32), true)
    await both('a negative index', (e) => `INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES ('moi', -1, ${blob(e, '00')}, ${blob(e, '11'.repeat(32))})`, false)
    await both('an outbox message of an unknown letter (foreign key)', () => `INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256, priority, status, next_attempt_at, created_at, updated_at) VALUES ('x', 'nope', 'a', 'p', 'e', 0, 'queued', 1, 1, 1)`, false)
    await both('an unknown status', () => `INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256, priority, status, next_attempt_at, created_at, updated_at) VALUES ('x', 'L1', 'a', 'p', 'e', 0, 'lost', 1, 1, 1)`, false)
    await both('an incoming notice with a letter', () => `INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at, letter_id) VALUES ('nx', 'in', 'accepted', 'zz', 'a', 'b', '{}', 1, 'L1')`, false)
    await both('a second answer to one message', () => `INSERT INTO notices (message_id, direction, type, refers_to, from_agency, to_agency, notice_json, created_at) VALUES ('ny', 'in', 'rejected', 'om1', 'a', 'b', '{}', 1)`, false)
    await both('a register number 0', () => `INSERT INTO register_entries (agency, book, year, number, recorded_at) VALUES ('moi', 'send', 2026, 0, 1)`, false)
    await both('a second events_pruned row', () => `INSERT INTO events_pruned (one, through_id) VALUES (1, 5); INSERT INTO events_pruned (one, through_id) VALUES (2, 5)`, false)
  })

  t.test('text orders as bytes on both, whatever the database locale', async (t) => {
    const keys = ['b', 'B', 'a', '_', 'ก', 'Z', 'a b', 'ab', 'เก', '1']
    await run(`INSERT INTO expiry_alerts (alert_key, raised_at) VALUES ${keys.map((k) => `('${k}', 1)`).join(', ')}`)
    const { l, p } = await rowsOf('SELECT alert_key FROM expiry_alerts ORDER BY alert_key')
    t.same(l.flat(), [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'SQLite: byte order')
    t.same(p, l, 'PostgreSQL: the same order')
    const cursor = await rowsOf(`SELECT alert_key FROM expiry_alerts WHERE alert_key > 'Z' ORDER BY alert_key`)
    t.same(cursor.p, cursor.l, 'a cursor comparison selects the same rows')
  })
})
