// `saraban-node storage copy` (issue 19 §4): a node's whole history from its SQLite file into an empty
// PostgreSQL database, then verified before anything is committed:
//   1. row for row: every table read back from PostgreSQL in primary-key order and compared, value by
//      value, with the SQLite row (integers exactly, as BigInt; bytes as bytes);
//   2. by the transparency log (PROTOCOL.md §20): each agency's tree rebuilt from the copied entries
//      (each entry's leaf hash recomputed, RFC 9162 §2.1), its size and root equal to the copied head,
//      and every checkpoint the node signed equal to the tree at its size.
// It is one PostgreSQL transaction: a failure at any step, a difference included, rolls it all back,
// so the target is never half filled. The SQLite file is read in one read transaction (a consistent
// snapshot) and never written. The log's triggers are disabled while copying (the rows already have
// their entries: a copy must not append new ones) and foreign keys are deferred to one check once every
// row is in (before the comparison), so the order in which rows arrive does not matter.
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { CompactRange, leafHash } from '../../tlog/index.js'
import { SCHEMA_VERSION } from '../migrations/index.js'
import { migratePostgres } from './migrate.js'
import { inTransaction, pgUnreachable, type PgClient } from './connect.js'

export class CopyError extends Error {}

export interface TableCopy {
  readonly table: string
  readonly rows: number
  /** SHA-256 of the table's rows in key order (the same on both sides, since they compared equal). */
  readonly sha256: string
}

export interface LogCopy {
  readonly agency: string
  readonly size: number
  readonly root: string
  readonly checkpoints: number
}

export interface CopyReport {
  readonly tables: readonly TableCopy[]
  readonly logs: readonly LogCopy[]
}

interface Table {
  readonly name: string
  readonly columns: readonly string[]
  readonly key: readonly string[]
  /** Whether a column holds bytes (BLOB): its rows may be up to a chunk (1 MiB) each. */
  readonly blobs: boolean
}

const BATCH_ROWS = 500
const BATCH_BYTES = 8 * 1024 * 1024
/** One parameter per value; the protocol allows 65 535 per statement. */
const MAX_PARAMS = 60_000

const q = (name: string) => `"${name.replace(/"/g, '""')}"`

function sqliteTables(db: Database.Database): Table[] {
  const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`).pluck().all() as string[]
  return names.map((name) => {
    const cols = (db.prepare(`SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`).all(name) as { name: string; type: string; pk: bigint }[]).map((c) => ({ name: c.name, type: c.type, pk: Number(c.pk) }))
    const key = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
    if (key.length === 0) throw new CopyError(`table ${name} has no primary key: this copy compares rows by key (a schema this version does not know?)`)
    return { name, columns: cols.map((c) => c.name), key, blobs: cols.some((c) => /BLOB/i.test(c.type)) }
  })
}

/** One value as compared and hashed: the same for equal values whichever engine read them (bytes
 *  stay bytes, with their length in the tag, so a blob is neither copied nor hex-encoded). */
function norm(v: unknown): [tag: string, bytes?: Buffer] {
  if (v === null || v === undefined) return ['n']
  if (typeof v === 'bigint') return [`i${v}`]
  if (typeof v === 'number') return [`r${v}`]
  if (typeof v === 'string') return [`s${Buffer.byteLength(v)}:${v}`]
  if (Buffer.isBuffer(v)) return [`b${v.length}:`, v]
  if (v instanceof Uint8Array) return [`b${v.length}:`, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]
  throw new CopyError(`a value of type ${typeof v} this copy does not know`)
}

function same(a: [string, Buffer?], b: [string, Buffer?]): boolean {
  return a[0] === b[0] && (a[1] === undefined ? b[1] === undefined : b[1] !== undefined && a[1].equals(b[1]))
}

const size = (v: unknown): number => (typeof v === 'string' ? v.length * 3 : Buffer.isBuffer(v) ? v.length : 8)

/** Copies and verifies; returns what was copied. The target must be empty (it is migrated first). */
export async function copySqliteToPostgres(sqliteFile: string, pg: PgClient, opts: { progress?: (line: string) => void } = {}): Promise<CopyReport> {
  const say = opts.progress ?? (() => {})
  const src = new Database(sqliteFile, { readonly: true, fileMustExist: true })
  src.defaultSafeIntegers(true)
  try {
    const version = Number(src.pragma('user_version', { simple: true }))
    if (version !== SCHEMA_VERSION) {
      throw new CopyError(version < SCHEMA_VERSION
        ? `${sqliteFile} is at migration ${version}, this software at ${SCHEMA_VERSION}: run saraban-node migrate on that node (storage.engine sqlite) first`
        : `${sqliteFile} is at migration ${version}, newer than this software (${SCHEMA_VERSION}): copy it with the saraban-node version that wrote it`)
    }
    await migratePostgres(pg)
    src.prepare('BEGIN').run() // one snapshot for the copy and the comparison
    try {
      const tables = sqliteTables(src)
      return await inTransaction(pg, async () => {
        const pgCols = await pg.query<{ t: string; c: string }>(`SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()`)
        const have = new Map<string, Set<string>>()
        for (const r of pgCols.rows) (have.get(r.t) ?? have.set(r.t, new Set()).get(r.t)!).add(r.c)
        for (const t of tables) {
          const cols = have.get(t.name)
          if (cols === undefined) throw new CopyError(`the PostgreSQL database has no table ${t.name}: it is not a saraban-node database at migration ${SCHEMA_VERSION}`)
          const missing = t.columns.filter((c) => !cols.has(c))
          if (missing.length > 0) throw new CopyError(`table ${t.name} in PostgreSQL lacks column(s) ${missing.join(', ')}: it is not a saraban-node database at migration ${SCHEMA_VERSION}`)
          const held = await pg.query<{ e: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${q(t.name)}) AS e`)
          if (held.rows[0]?.e === true) throw new CopyError(`the PostgreSQL database already holds records (table ${t.name}): copy into an empty database (createdb a new one)`)
        }
        // triggers off before the first row (a table with pending deferred checks cannot be altered)
        for (const t of tables) await pg.query(`ALTER TABLE ${q(t.name)} DISABLE TRIGGER USER`)
        await pg.query('SET CONSTRAINTS ALL DEFERRED')
        for (const t of tables) {
          const n = await copyTable(src, pg, t)
          if (n > 0) say(`copied ${t.name}: ${n} rows`)
        }
        try {
          await pg.query('SET CONSTRAINTS ALL IMMEDIATE') // every foreign key checked here, before the comparison
        } catch (err) {
          if (pgUnreachable(err)) throw err
          throw new CopyError(`a row refers to one that is not there (${(err as Error).message}): the SQLite file is inconsistent; check it with saraban-node log verify and doctor`, { cause: err })
        }
        for (const t of tables) await pg.query(`ALTER TABLE ${q(t.name)} ENABLE TRIGGER USER`)
        await carrySequences(src, pg)
        const copied: TableCopy[] = []
        for (const t of tables) copied.push(await compareTable(src, pg, t))
        say(`compared ${copied.reduce((a, t) => a + t.rows, 0)} rows of ${copied.length} tables: equal`)
        const logs = await verifyLogs(pg)
        for (const l of logs) say(`log ${l.agency}: ${l.size} entries, root ${l.root}, ${l.checkpoints} checkpoints verified`)
        return { tables: copied, logs }
      })
    } finally {
      src.prepare('COMMIT').run()
    }
  } finally {
    src.close()
  }
}

async function copyTable(src: Database.Database, pg: PgClient, t: Table): Promise<number> {
  const cols = t.columns.map(q).join(', ')
  const rowsPerBatch = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMS / t.columns.length)))
  let batch: unknown[][] = []
  let bytes = 0
  let n = 0
  const flush = async () => {
    if (batch.length === 0) return
    const width = t.columns.length
    const values = batch.map((_, r) => `(${t.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')
    try {
      await pg.query(`INSERT INTO ${q(t.name)} (${cols}) VALUES ${values}`, batch.flat())
    } catch (err) {
      if (pgUnreachable(err)) throw err // the server went away: not the rows' fault (the CLI says so, exit 3)
      throw new CopyError(`copying table ${t.name} failed at rows ${n - batch.length + 1}–${n}: ${(err as Error).message}`, { cause: err })
    }
    batch = []
    bytes = 0
  }
  for (const row of src.prepare(`SELECT ${cols} FROM ${q(t.name)}`).raw(true).iterate() as IterableIterator<unknown[]>) {
    batch.push(row)
    n++
    for (const v of row) bytes += size(v)
    if (batch.length >= rowsPerBatch || bytes >= BATCH_BYTES) await flush()
  }
  await flush()
  return n
}

/** An identity column continues after the last value SQLite handed out (sqlite_sequence), not after the
 *  largest row left: ids of deleted rows (pruned events) are not given again. */
async function carrySequences(src: Database.Database, pg: PgClient): Promise<void> {
  const hasSeq = src.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined
  const ids = await pg.query<{ t: string; c: string }>(`SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`)
  for (const { t: table, c: column } of ids.rows) {
    const issued = hasSeq ? (src.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).pluck().get(table) as bigint | undefined) : undefined
    const m = await pg.query<{ m: bigint }>(`SELECT coalesce(max(${q(column)}), 0)::bigint AS m FROM ${q(table)}`)
    const last = [issued ?? 0n, m.rows[0]?.m ?? 0n].reduce((a, b) => (a > b ? a : b))
    if (last > 0n) await pg.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [table, column, last])
  }
}

/** Rows of a table in key order, a page at a time (keyset paging: no cursor, no OFFSET). A page holds
 *  at most BATCH_ROWS rows and, once rows were seen, about BATCH_BYTES: a table of bytes (envelope
 *  chunks of 1 MiB) starts with small pages, so memory stays bounded whatever the rows hold. */
async function* pgRows(pg: PgClient, t: Table): AsyncGenerator<unknown[]> {
  const cols = t.columns.map(q).join(', ')
  const keys = t.key.map(q).join(', ')
  const keyAt = t.key.map((k) => t.columns.indexOf(k))
  let after: unknown[] | undefined
  let limit = t.blobs ? 4 : BATCH_ROWS
  let largest = 0
  for (;;) {
    const where = after === undefined ? '' : `WHERE (${keys}) > (${t.key.map((_, i) => `$${i + 1}`).join(', ')})`
    const r = await pg.query({ text: `SELECT ${cols} FROM ${q(t.name)} ${where} ORDER BY ${keys} LIMIT ${limit}`, values: after ?? [], rowMode: 'array' })
    const rows = r.rows as unknown[][]
    for (const row of rows) {
      largest = Math.max(largest, row.reduce<number>((a, v) => a + size(v), 0))
      yield row
    }
    if (rows.length < limit) return
    after = keyAt.map((i) => rows[rows.length - 1]![i])
    limit = Math.max(1, Math.min(BATCH_ROWS, Math.floor(BATCH_BYTES / Math.max(1, largest))))
  }
}

async function compareTable(src: Database.Database, pg: PgClient, t: Table): Promise<TableCopy> {
  const cols = t.columns.map(q).join(', ')
  const hash = createHash('sha256')
  const mine = src.prepare(`SELECT ${cols} FROM ${q(t.name)} ORDER BY ${t.key.map(q).join(', ')}`).raw(true).iterate() as IterableIterator<unknown[]>
  let n = 0
  const differ = (row: unknown[] | undefined, what: string): CopyError => {
    const key = row === undefined ? '' : ` (key ${t.key.map((k) => `${k}=${String(row[t.columns.indexOf(k)])}`).join(', ')})`
    return new CopyError(`table ${t.name} differs after the copy at row ${n + 1}${key}: ${what}`)
  }
  try {
    for await (const theirs of pgRows(pg, t)) {
      const next = mine.next()
      if (next.done === true) throw differ(theirs, 'PostgreSQL has a row SQLite does not')
      for (let c = 0; c < t.columns.length; c++) {
        const a = norm(next.value[c])
        if (!same(a, norm(theirs[c]))) throw differ(next.value, `column ${t.columns[c]}`)
        hash.update(a[0])
        if (a[1] !== undefined) hash.update(a[1])
        hash.update('\u0000')
      }
      hash.update('\n')
      n++
    }
    const rest = mine.next()
    if (rest.done !== true) throw differ(rest.value, 'SQLite has a row PostgreSQL does not')
  } finally {
    mine.return?.() // an open statement would keep the connection busy: its COMMIT and close would fail
  }
  return { table: t.name, rows: n, sha256: hash.digest('hex') }
}

/** Every agency's log rebuilt from the copied entries (§20.2): leaf hashes, head and checkpoints. */
async function verifyLogs(pg: PgClient): Promise<LogCopy[]> {
  const out: LogCopy[] = []
  const heads = await pg.query<{ agency: string; size: bigint; root: Buffer }>('SELECT agency, size, root FROM log_heads ORDER BY agency')
  for (const head of heads.rows) {
    const agency = head.agency
    const checkpoints = new Map<number, Buffer[]>()
    for (const c of (await pg.query<{ size: bigint; root: Buffer }>('SELECT size, root FROM log_checkpoints WHERE agency = $1', [agency])).rows) {
      const s = Number(c.size)
      checkpoints.set(s, [...(checkpoints.get(s) ?? []), c.root])
    }
    const tree = new CompactRange()
    const check = () => {
      for (const root of checkpoints.get(tree.size) ?? []) {
        if (!root.equals(tree.root())) throw new CopyError(`log ${agency}: a checkpoint at size ${tree.size} does not match the copied entries`)
      }
    }
    check()
    for (;;) {
      const r = await pg.query<{ idx: bigint; entry: Buffer; leaf_hash: Buffer }>(`SELECT idx, entry, leaf_hash FROM log_entries WHERE agency = $1 AND idx >= $2 ORDER BY idx LIMIT ${BATCH_ROWS}`, [agency, tree.size])
      for (const e of r.rows) {
        if (Number(e.idx) !== tree.size) throw new CopyError(`log ${agency}: entry ${tree.size} is missing after the copy`)
        const leaf = leafHash(e.entry)
        if (!leaf.equals(e.leaf_hash)) throw new CopyError(`log ${agency}: entry ${tree.size}'s leaf hash does not match its bytes`)
        tree.append(leaf)
        check()
      }
      if (r.rows.length < BATCH_ROWS) break
    }
    const size = Number(head.size)
    if (tree.size !== size || !tree.root().equals(head.root)) {
      throw new CopyError(`log ${agency}: the copied entries make a tree of ${tree.size} entries with another root than the head (${size})`)
    }
    const beyond = [...checkpoints.keys()].filter((s) => s > size)
    if (beyond.length > 0) throw new CopyError(`log ${agency}: a checkpoint at size ${beyond[0]} is larger than the log (${size})`)
    out.push({ agency, size, root: tree.root().toString('hex'), checkpoints: [...checkpoints.values()].reduce((a, r) => a + r.length, 0) })
  }
  return out
}
