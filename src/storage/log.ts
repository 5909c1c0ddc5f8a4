// The transparency log's storage (PROTOCOL.md §20; migration 018): entries, the complete-subtree
// cache, the head and our own signed checkpoints, one tree per agency. The tree math is RFC 9162
// §2.1 (src/tlog/hash.ts); what an entry holds is services/log/leaves.ts's business.
import Database from 'better-sqlite3'
import { SCHEMA_VERSION } from './migrations/index.js'
import { leafHash, nodeHash, EMPTY_ROOT } from '../tlog/hash.js'
import { CompactRange, type LeafHashes, type SubtreeCache } from '../tlog/tree.js'
import { noteAppended, recentReaders } from './log-recent.js'
import { isPostgres } from './postgresql/sync/database.js'

type Stmt<R = unknown> = Database.Statement<unknown[], R>

/** The log's first schema version (migration 018). */
const LOG_SCHEMA = 18

/** Opens a node's database (a copy of its data directory) read-only for `log verify`: no migration,
 *  no write. Throws an Error whose message says what is wrong with the file. */
export function openReadOnly(file: string): Database.Database {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const v = sqlite.pragma('user_version', { simple: true }) as number
    if (v < LOG_SCHEMA) throw new Error(`${file} is at schema version ${v}; the transparency log begins with ${LOG_SCHEMA} (start the node once to migrate it)`)
    if (v > SCHEMA_VERSION) throw new Error(`${file} is at schema version ${v}, newer than this software (${SCHEMA_VERSION})`)
    return sqlite
  } catch (err) {
    sqlite.close()
    throw err
  }
}
const HASH = 32

/** An entry's index by its bytes. INDEXED BY: without it SQLite's planner prefers the primary key
 *  (agency, idx) for ORDER BY idx and reads the whole log for every receipt (measured in `npm run bench`:
 *  the receiver's letters/s fell as its log grew). Time and leaf hash narrow to one row (migration 051),
 *  `entry` confirms it. */
export const INDEX_OF_SQL = 'SELECT idx FROM log_entries INDEXED BY log_entries_time WHERE agency = ? AND entry_at = ? AND leaf_hash = ? AND entry = ? ORDER BY idx LIMIT 1'

const INDEX_OF_SQL_BEFORE_051 = 'SELECT idx FROM log_entries INDEXED BY log_entries_leaf WHERE agency = ? AND leaf_hash = ? AND entry = ? ORDER BY idx LIMIT 1'

const AT = Buffer.from('"at":"')

/** The `entry_at` column of an entry (migration 051): the text between its first `"at":"` and the next
 *  `"` (its `at`, §20.3, in every entry the node makes), '' if there is none. Bytes alone decide it. */
export function entryTime(entry: Uint8Array): string {
  const b = Buffer.isBuffer(entry) ? entry : Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength)
  const i = b.indexOf(AT)
  if (i < 0) return ''
  const j = b.indexOf(0x22, i + AT.length)
  return j < 0 ? '' : b.toString('utf8', i + AT.length, j)
}

export interface LogHead {
  readonly agency: string
  readonly size: number
  /** The compact range: hashes of the complete subtrees `size` decomposes into, largest first. */
  readonly range: readonly Buffer[]
  readonly root: Buffer
}

export interface StoredEntry {
  readonly index: number
  readonly entry: Buffer
  readonly leafHash: Buffer
  /** The `entry_at` column (migration 051; undefined before it). */
  readonly entryAt?: string | null
}

export interface StoredCheckpoint {
  readonly agency: string
  readonly size: number
  readonly root: Buffer
  /** The checkpoint body's `time` line (RFC 3339 UTC ms). */
  readonly time: string
  /** The compact JWS as signed (PROTOCOL.md §20.4). */
  readonly jws: string
  readonly signedAt: number
}

export interface PendingChange {
  readonly seq: number
  readonly source: string
  readonly ref: readonly (string | number)[]
}

function statements(sqlite: Database.Database) {
  const p = <R>(sql: string): Stmt<R> => sqlite.prepare<unknown[], R>(sql)
  return {
    head: p<{ size: number; range: Buffer; root: Buffer }>('SELECT size, range, root FROM log_heads WHERE agency = ?'),
    putHead: p(`INSERT INTO log_heads (agency, size, range, root) VALUES (?, ?, ?, ?)
      ON CONFLICT (agency) DO UPDATE SET size = excluded.size, range = excluded.range, root = excluded.root`),
    insertEntry: p('INSERT INTO log_entries (agency, idx, entry, leaf_hash, entry_at) VALUES (?, ?, ?, ?, ?)'),
    insertNode: p('INSERT INTO log_nodes (agency, level, pos, hash) VALUES (?, ?, ?, ?)'),
  }
}
const cache = new WeakMap<Database.Database, ReturnType<typeof statements>>()

function rangeOf(blob: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < blob.length; i += HASH) out.push(blob.subarray(i, i + HASH))
  return out
}

/** RFC 9162 §2.1.1: the root of a tree of `size` leaves from its compact range. */
export function rangeRoot(size: number, range: readonly Buffer[]): Buffer {
  return new CompactRange(size, range).root()
}

/** A complete subtree closed by an append: level ≥ 1, position, hash. */
export interface ClosedSubtree { readonly level: number; readonly pos: number; readonly hash: Buffer }

/** The lowest level of the subtree cache (log_nodes): subtrees of 64 leaves and more. A smaller one
 *  is folded from its leaf hashes, read in one statement (src/tlog/tree.ts reads up to 64 at once),
 *  so storing it saved no read and cost one row per entry (issue 14 §6). Databases written before
 *  keep their lower nodes; they are still verified. */
export const CACHED_LEVEL = 6

/**
 * Appends leaf `index` (its hash) to `range` in place (as CompactRange.append) and returns the complete
 * subtrees it closes, one per trailing 1 bit of the index (their left halves are the range's last
 * peaks). The log stores those of CACHED_LEVEL and above (tlog SubtreeCache).
 */
export function closeSubtrees(range: Buffer[], index: number, leaf: Buffer): ClosedSubtree[] {
  const closed: ClosedSubtree[] = []
  let hash = leaf
  let level = 0
  for (let pos = index; pos % 2 === 1; pos = Math.floor(pos / 2)) {
    hash = nodeHash(range.pop()!, hash)
    level++
    closed.push({ level, pos: Math.floor(pos / 2), hash })
  }
  range.push(hash)
  return closed
}

/**
 * Appends one entry to the agency's log and returns its index (log-design.md §4). Synchronous: call it
 * inside the db.write() fn of the state change it records, so both commit or neither does. Stores the
 * leaf hash, the complete subtrees of CACHED_LEVEL and above the new leaf closes, and the new head.
 */
export function appendLeaf(sqlite: Database.Database, agency: string, entryBytes: Uint8Array): number {
  return appendLeaves(sqlite, agency, [entryBytes])
}

/** Appends entries in order to the agency's log (as appendLeaf each) and returns the first one's
 *  index; the head is read and written once, not once per entry (issue 14 §6). */
export function appendLeaves(sqlite: Database.Database, agency: string, entries: readonly Uint8Array[]): number {
  let s = cache.get(sqlite)
  if (!s) cache.set(sqlite, (s = statements(sqlite)))
  const head = s.head.get(agency)
  const first = head?.size ?? 0
  if (entries.length === 0) return first
  const range = head ? rangeOf(head.range) : []
  const before = [...range]
  const hashes: Buffer[] = []
  const closed: ClosedSubtree[] = []
  let index = first
  for (const bytes of entries) {
    const hash = leafHash(bytes)
    hashes.push(hash)
    // A Buffer is bound as it is (the appender's are its own, fresh): no copy per entry.
    s.insertEntry.run(agency, index, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), hash, entryTime(bytes))
    for (const n of closeSubtrees(range, index, hash)) {
      closed.push(n)
      if (n.level >= CACHED_LEVEL) s.insertNode.run(agency, n.level, n.pos, n.hash)
    }
    index++
  }
  const root = rangeRoot(index, range)
  s.putHead.run(agency, index, Buffer.concat(range), root)
  noteAppended(sqlite, agency, { first, before, rootBefore: head?.root, hashes, closed, size: index, root })
  return first
}

/** Reads of the log (proofs, checkpoints, verify) and the pending state changes. */
export class LogStore {
  readonly #s
  readonly #timed: boolean

  constructor(readonly sqlite: Database.Database) {
    const p = <R>(sql: string): Stmt<R> => sqlite.prepare<unknown[], R>(sql)
    // `log verify` reads copies at any version from 018 on: before 051, entries have no time column.
    // (A PostgreSQL database is always at this version's schema: it migrates as it opens.)
    const pg = isPostgres(sqlite)
    const timed = pg || sqlite.prepare(`SELECT 1 FROM pragma_table_info('log_entries') WHERE name = 'entry_at'`).get() !== undefined
    this.#timed = timed
    this.#s = {
      agencies: p<string>('SELECT agency FROM log_heads ORDER BY agency').pluck(),
      head: p<{ size: number; range: Buffer; root: Buffer }>('SELECT size, range, root FROM log_heads WHERE agency = ?'),
      indexOf: p<number>(timed ? INDEX_OF_SQL : INDEX_OF_SQL_BEFORE_051).pluck(),
      leafHashes: p<Buffer>('SELECT leaf_hash FROM log_entries WHERE agency = ? AND idx >= ? AND idx < ? ORDER BY idx').pluck(),
      entries: p<StoredEntry>('SELECT idx AS "index", entry, leaf_hash AS leafHash FROM log_entries WHERE agency = ? AND idx >= ? AND idx < ? ORDER BY idx'),
      allEntries: p<StoredEntry>(`SELECT idx AS "index", entry, leaf_hash AS leafHash${timed ? ', entry_at AS entryAt' : ''} FROM log_entries WHERE agency = ? ORDER BY idx`),
      // An entry that is not JSON (a tampered row, which `log verify` reports as such) has no time here:
      // json_extract would stop the whole statement with "malformed JSON".
      span: p<{ first: string | null; last: string | null }>(`SELECT min(at) AS first, max(at) AS last FROM (
        SELECT CASE WHEN json_valid(${pg ? 'entry' : 'CAST(entry AS TEXT)'}) THEN json_extract(${pg ? "convert_from(entry, 'UTF8')" : 'CAST(entry AS TEXT)'}, '$.at') END AS at
        FROM log_entries WHERE agency = ?) AS spans`),
      node: p<Buffer>('SELECT hash FROM log_nodes WHERE agency = ? AND level = ? AND pos = ?').pluck(),
      nodeCount: p<number>('SELECT count(*) FROM log_nodes WHERE agency = ?').pluck(),
      putCheckpoint: p(`INSERT INTO log_checkpoints (agency, size, root, time, jws, signed_at) VALUES (@agency, @size, @root, @time, @jws, @signedAt)
        ON CONFLICT DO NOTHING`),
      latestTime: p<string>('SELECT time FROM log_checkpoints WHERE agency = ? ORDER BY size DESC, signed_at DESC LIMIT 1').pluck(),
      latestCheckpoint: p<StoredCheckpoint>(`SELECT agency, size, root, time, jws, signed_at AS signedAt FROM log_checkpoints
        WHERE agency = ? ORDER BY size DESC, signed_at DESC LIMIT 1`),
      checkpoints: p<StoredCheckpoint>(`SELECT agency, size, root, time, jws, signed_at AS signedAt FROM log_checkpoints
        WHERE agency = ? ORDER BY size, signed_at`),
      // One statement takes the pending changes and clears them (RETURNING gives no order: sorted below).
      takePending: p<{ seq: number; source: string; ref: string }>('DELETE FROM log_pending RETURNING seq, source, ref'),
      keyInUse: p('INSERT INTO log_keys (agency, role, cert_sha256, first_used) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      pendingCount: p<number>('SELECT count(*) FROM log_pending').pluck(),
      discardPending: p('DELETE FROM log_pending'),
    }
  }

  /** Agencies that have a log on this node (at least one entry). */
  agencies(): string[] {
    return this.#s.agencies.all()
  }

  head(agency: string): LogHead {
    const h = this.#s.head.get(agency)
    if (!h) return { agency, size: 0, range: [], root: EMPTY_ROOT }
    return { agency, size: h.size, range: rangeOf(h.range), root: h.root }
  }

  /** Leaf hashes [start, end): the `LeafHashes` reader of src/tlog/tree.ts. */
  leafHashes(agency: string, start: number, end: number): Buffer[] {
    return this.#s.leafHashes.all(agency, start, end)
  }

  /** The tlog reader of leaf hashes of one log. */
  leafReader(agency: string): LeafHashes {
    return (start, end) => this.leafHashes(agency, start, end)
  }

  /** The readers of one log for proofs. Inside a write (the proof that goes with a receipt, §20.5), the
   *  leaves this connection appended last are read from memory while the head is the one they made
   *  (storage/log-recent.ts); outside, what peers and the API are served is read from the stored tree. */
  proofReaders(agency: string): { leaves: LeafHashes; subtrees: SubtreeCache } {
    const stored = { leaves: this.leafReader(agency), subtrees: this.subtreeCache(agency) }
    return this.sqlite.inTransaction ? recentReaders(this.sqlite, agency, this.#s.head.get(agency), stored) : stored
  }

  /** proofReaders() with the size of the tree they read, from one read of the head (the proof sent
   *  with a receipt checked its size against a second read, issue 14 §6). */
  sizedProofReaders(agency: string): { size: number; leaves: LeafHashes; subtrees: SubtreeCache } {
    const head = this.#s.head.get(agency)
    const stored = { leaves: this.leafReader(agency), subtrees: this.subtreeCache(agency) }
    return { size: head?.size ?? 0, ...(this.sqlite.inTransaction ? recentReaders(this.sqlite, agency, head, stored) : stored) }
  }

  /** The tlog subtree cache of one log: an aligned complete subtree of 2^CACHED_LEVEL+ leaves is one
   *  read; a smaller one is not asked for (it is folded from at most 64 leaf hashes, src/tlog/tree.ts). */
  subtreeCache(agency: string): SubtreeCache {
    return (start, end) => {
      const n = end - start
      if (n < 2 ** CACHED_LEVEL || (n & (n - 1)) !== 0 || start % n !== 0) return undefined
      return this.node(agency, Math.log2(n), start / n)
    }
  }

  /** The index of an entry with exactly these bytes (a replayed envelope's entry, PROTOCOL.md §20.5). */
  indexOf(agency: string, entry: Uint8Array): number | undefined {
    const hash = leafHash(entry)
    const bytes = Buffer.isBuffer(entry) ? entry : Buffer.from(entry)
    return this.#timed ? this.#s.indexOf.get(agency, entryTime(entry), hash, bytes) : this.#s.indexOf.get(agency, hash, bytes)
  }

  entries(agency: string, start: number, end: number): StoredEntry[] {
    return this.#s.entries.all(agency, start, end)
  }

  /** Every entry, in index order, without holding them all in memory (verify). */
  *iterateEntries(agency: string): IterableIterator<StoredEntry> {
    yield* this.#s.allEntries.iterate(agency)
  }

  /** The earliest and latest `at` of the log's entries (RFC 3339 strings sort as times); null when empty. */
  timeSpan(agency: string): { first: string | null; last: string | null } {
    return this.#s.span.get(agency) ?? { first: null, last: null }
  }

  /** The complete subtree at `level` ≥ 1 and position `pos` (leaves [pos·2^level, (pos+1)·2^level)). */
  node(agency: string, level: number, pos: number): Buffer | undefined {
    return this.#s.node.get(agency, level, pos)
  }

  nodeCount(agency: string): number {
    return this.#s.nodeCount.get(agency) ?? 0
  }

  /** Stores a checkpoint we signed (inside db.write()); the same (agency, size, time) twice is kept once. */
  saveCheckpoint(c: StoredCheckpoint): void {
    this.#s.putCheckpoint.run({ ...c })
  }

  latestCheckpoint(agency: string): StoredCheckpoint | undefined {
    return this.#s.latestCheckpoint.get(agency)
  }

  /** The `time` of latestCheckpoint() alone: its JWS (several KB, on overflow pages) is not read. */
  latestCheckpointTime(agency: string): string | undefined {
    return this.#s.latestTime.get(agency)
  }

  checkpoints(agency: string): StoredCheckpoint[] {
    return this.#s.checkpoints.all(agency)
  }

  /** A key seen in use by an agency (inside db.write()); true the first time (a key.in-use entry follows). */
  recordKeyInUse(agency: string, role: 'signing' | 'encryption', certSha256: string, at: number): boolean {
    return this.#s.keyInUse.run(agency, role, certSha256, at).changes === 1
  }

  /** Takes every state change waiting for its entries (migration 018's triggers), oldest first, and
   *  clears them in the same statement: call it inside the write whose entries are built from them, so
   *  that a failure rolls the clearing back with the rest (issue 14 §6: a SELECT and a DELETE per write
   *  cost the log about a sixth of its own time on each side in `npm run bench`). */
  takePending(): PendingChange[] {
    const rows = this.#s.takePending.all()
    if (rows.length > 1) rows.sort((a, b) => a.seq - b.seq)
    return rows.map((r) => ({ seq: r.seq, source: r.source, ref: JSON.parse(r.ref) as (string | number)[] }))
  }

  /** transparencyLog.enabled false (bench only): the state changes are not logged; their pending rows go. */
  discardPending(): void {
    this.#s.discardPending.run()
  }

  pendingCount(): number {
    return this.#s.pendingCount.get() ?? 0
  }
}
