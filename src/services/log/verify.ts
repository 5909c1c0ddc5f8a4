// `saraban-node log verify` (PROTOCOL.md §20.3, issue 14 §4): offline, on a copy of the data
// directory. Rebuilds every entry from the rows it covers (leaves.ts, the same SELECTs the appender
// used) and the whole tree from the entries, and compares them with the stored entries, leaf hashes,
// subtree cache, head and our own latest checkpoints. Finds rows changed, deleted or reordered
// (an entry no longer matches or has no row), rows inserted (a row without an entry), entries
// edited, removed or truncated, and state changes that never got their entries.
import { leafHash } from '../../tlog/hash.js'
import { canonicalJson, type Canonical } from '../../domain/canonical-json.js'
import { CACHED_LEVEL, closeSubtrees, entryTime, LogStore, rangeRoot, type StoredCheckpoint } from '../../storage/log.js'
import { logOrigin, parseCheckpointBody } from '../../tlog/checkpoint.js'
import { LogRows } from '../../storage/log-rows.js'
import { buildEntry, entryBytes, entryKey, LEAVES, LEAF_TYPES, type Entry, type Leaf } from './leaves.js'
import type Database from 'better-sqlite3'

export interface Difference {
  readonly agency: string
  /** The entry's index; null for a row without an entry, or a fault of the log as a whole. */
  readonly index: number | null
  readonly type: string
  readonly what: string
}

export interface LogSummary {
  readonly agency: string
  readonly size: number
  readonly root: string
  /** Our latest stored checkpoint of this log (its size), if any. */
  readonly checkpointSize: number | null
}

export interface VerifyReport {
  readonly ok: boolean
  readonly logs: readonly LogSummary[]
  /** Every difference: per log, by index (the first one is the first entry that differs). */
  readonly differences: readonly Difference[]
  readonly entriesChecked: number
  /** Entries rebuilt from the rows they cover. */
  readonly entriesRebuilt: number
}

interface Expected {
  readonly leaf: Leaf
  readonly entry: Entry
  readonly bytes: Buffer
  readonly superseded: readonly string[]
  matched: boolean
}

const KEYS: ReadonlyMap<string, readonly string[]> = new Map(LEAVES.map((l) => [l.type, l.key]))

export function verifyLog(sqlite: Database.Database, opts: { agency?: string | undefined } = {}): VerifyReport {
  const store = new LogStore(sqlite)
  const rows = new LogRows(sqlite)
  const differences: Difference[] = []
  const logAgencies = store.agencies()
  // Node-wide rows (directory, CRLs) belong in every log that was open when they were taken into use:
  // from its earliest entry to its latest (an agency that moved away has no later entries).
  const open = new Map(logAgencies.map((a) => {
    const span = store.timeSpan(a)
    return [a, { from: Date.parse(span.first ?? ''), to: Date.parse(span.last ?? '') }]
  }))

  const expected = new Map<string, Expected>()
  for (const leaf of LEAVES) {
    for (const row of rows.all(leaf.source)) {
      const agencies = row.agency === null ? logAgencies.filter((a) => open.get(a)!.from <= row.at && row.at <= open.get(a)!.to) : [undefined]
      for (const a of agencies) {
        let entry: Entry
        try {
          entry = buildEntry(leaf, row, a)
        } catch (err) {
          differences.push({ agency: a ?? row.agency ?? '?', index: null, type: leaf.type, what: `a ${leaf.source} row cannot give its entry: ${(err as Error).message}` })
          continue
        }
        if (opts.agency !== undefined && entry.agency !== opts.agency) continue
        expected.set(entryKey(leaf.type, leaf.key, entry), { leaf, entry, bytes: entryBytes(entry), superseded: leaf.superseded?.(row) ?? [], matched: false })
      }
    }
  }

  const agencies = new Set(logAgencies)
  for (const e of expected.values()) agencies.add(e.entry.agency)
  const logs: LogSummary[] = []
  let entriesChecked = 0
  for (const agency of [...agencies].sort()) {
    if (opts.agency !== undefined && agency !== opts.agency) continue
    const r = verifyOne(store, agency, expected, differences)
    entriesChecked += r.entries
    logs.push(r.summary)
  }

  for (const e of expected.values()) {
    if (e.matched) continue
    differences.push({ agency: e.entry.agency, index: null, type: e.entry.type, what: `a row without its entry (${describeKey(e.leaf, e.entry)}): inserted, or its key changed` })
  }
  const pending = store.pendingCount()
  if (pending > 0) differences.push({ agency: '*', index: null, type: 'log', what: `${pending} state change(s) never got their entries (log_pending)` })

  differences.sort((a, b) => (a.agency < b.agency ? -1 : a.agency > b.agency ? 1 : (a.index ?? Infinity) - (b.index ?? Infinity)))
  return { ok: differences.length === 0, logs, differences, entriesChecked, entriesRebuilt: expected.size }
}

function verifyOne(store: LogStore, agency: string, expected: Map<string, Expected>, out: Difference[]): { entries: number; summary: LogSummary } {
  const head = store.head(agency)
  const checkpoints = store.checkpoints(agency)
  const latest = checkpoints.at(-1)
  const rootAt = new Map<number, Buffer>()
  const wanted = new Set(checkpoints.map((c) => c.size))
  if (wanted.has(0)) rootAt.set(0, rangeRoot(0, []))
  const diff = (index: number | null, type: string, what: string): void => {
    out.push({ agency, index, type, what })
  }

  const range: Buffer[] = []
  let n = 0
  let nodes = 0
  for (const s of store.iterateEntries(agency)) {
    if (s.index !== n) {
      diff(n, 'log', `entries ${n}…${s.index - 1} are missing (the next stored entry is ${s.index})`)
      break
    }
    checkEntry(s.entry, s.leafHash, agency, (what, t) => diff(n, t ?? 'log', what), expected)
    // Migration 051: the time the index finds the entry by is the one its bytes give.
    if (s.entryAt !== undefined && s.entryAt !== entryTime(s.entry)) diff(n, 'log', `the entry's entry_at column says "${s.entryAt}", its bytes "${entryTime(s.entry)}" (it cannot be found by its bytes)`)
    // The tree, rebuilt as appendLeaf built it, compared with the stored complete subtrees: every one
    // of CACHED_LEVEL and above, and those below it that a database written before kept.
    for (const c of closeSubtrees(range, n, leafHash(s.entry))) {
      const stored = store.node(agency, c.level, c.pos)
      if (!stored && c.level < CACHED_LEVEL) continue
      nodes++
      if (!stored || !stored.equals(c.hash)) diff(n, 'log', `the stored subtree at level ${c.level}, position ${c.pos} ${stored ? 'differs from the one the entries give' : 'is missing'}`)
    }
    n++
    if (wanted.has(n)) rootAt.set(n, rangeRoot(n, range))
  }
  const root = rangeRoot(n, range)
  if (head.size !== n) diff(null, 'log', `the head says ${head.size} entries, the log holds ${n}`)
  else if (!head.root.equals(root)) diff(null, 'log', 'the head\'s root is not the root of the entries')
  if (store.nodeCount(agency) !== nodes) diff(null, 'log', `the subtree cache holds ${store.nodeCount(agency)} nodes, the entries give ${nodes}`)
  for (const c of checkpoints) checkCheckpoint(c, agency, n, rootAt.get(c.size), diff)
  return { entries: n, summary: { agency, size: n, root: root.toString('base64'), checkpointSize: latest?.size ?? null } }
}

/** One stored entry: its leaf hash, its form, and the rows it covers. */
function checkEntry(bytes: Buffer, hash: Buffer, agency: string, diff: (what: string, type?: string) => void, expected: Map<string, Expected>): void {
  if (!leafHash(bytes).equals(hash)) diff('the stored leaf hash is not SHA-256(0x00 || entry)')
  let e: Record<string, Canonical>
  try {
    e = JSON.parse(bytes.toString('utf8')) as Record<string, Canonical>
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new Error('not an object')
  } catch {
    diff('the entry is not a JSON object')
    return
  }
  const type = typeof e['type'] === 'string' ? e['type'] : '?'
  if (canonicalJson(e) !== bytes.toString('utf8')) diff('the entry is not canonical JSON (RFC 8785)', type)
  if (e['agency'] !== agency) diff(`the entry names agency "${String(e['agency'])}" in the log of "${agency}"`, type)
  if (!LEAF_TYPES.has(type)) {
    diff(`unknown entry type "${type}"`, type)
    return
  }
  const key = entryKey(type, KEYS.get(type)!, e)
  const x = expected.get(key)
  if (!x) {
    diff(`no row gives this entry (${KEYS.get(type)!.map((k) => `${k} ${JSON.stringify(e[k] ?? null)}`).join(', ')}): the row was deleted, or its key changed`, type)
    return
  }
  if (x.matched) {
    diff('a second entry for the same row', type)
    return
  }
  x.matched = true
  if (x.bytes.equals(bytes)) return
  const members = new Set([...Object.keys(e), ...Object.keys(x.entry)])
  const differs = [...members].filter((m) => !x.superseded.includes(m) && canonicalOf(e[m]) !== canonicalOf(x.entry[m]))
  if (differs.length > 0) {
    diff(differs.map((m) => `${m}: logged ${canonicalOf(e[m]) ?? '(absent)'}, the rows give ${canonicalOf(x.entry[m]) ?? '(absent)'}`).join('; '), type)
  }
}

function checkCheckpoint(c: StoredCheckpoint, agency: string, size: number, root: Buffer | undefined, diff: (index: number | null, type: string, what: string) => void): void {
  const at = `our checkpoint of size ${c.size} (${c.time})`
  if (c.size > size) {
    diff(size, 'checkpoint', `${at} is larger than the log (${size} entries): the log was truncated`)
    return
  }
  if (!root || !root.equals(c.root)) diff(c.size - 1, 'checkpoint', `${at}: its root is not the root of the first ${c.size} entries: the log was rewritten`)
  const body = checkpointBodyOf(c.jws)
  if (body === undefined || body.origin !== logOrigin(agency) || body.size !== c.size || !body.root.equals(c.root) || body.time !== c.time) {
    diff(null, 'checkpoint', `${at}: the signed checkpoint does not say what its row says`)
  }
}

/** The C2SP body a compact JWS checkpoint signs (PROTOCOL.md §20.4); its signature is not checked here. */
function checkpointBodyOf(jws: string): ReturnType<typeof parseCheckpointBody> | undefined {
  try {
    return parseCheckpointBody(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

function canonicalOf(v: Canonical | undefined): string | undefined {
  return v === undefined ? undefined : canonicalJson(v)
}

function describeKey(leaf: Leaf, e: Entry): string {
  return `${leaf.source} ${leaf.key.map((k) => `${k} ${JSON.stringify(e[k] ?? null)}`).join(', ')}`
}
