// The leaves this connection appended last to each log, kept in memory with the compact range before
// them (PROTOCOL.md §20.5, issue 14 §6): the proof that goes with a receipt is of an entry appended
// moments ago, in the tree of the transaction that appended it, so its path is the compact range
// before the batch and the batch's own leaves. Read from here, a proof costs no reads of log_entries
// and log_nodes. Used only inside a write (LogStore.proofReaders), and only while the log's head is
// exactly the one these appends made (same size and root): a rolled-back transaction, or another
// process's appends, leave the head elsewhere, and the readers fall back to the stored tree.
import type Database from 'better-sqlite3'
import type { LeafHashes, SubtreeCache } from '../tlog/tree.js'

/** Leaves kept per log; a longer run starts again from its latest append. */
const MAX_LEAVES = 256
/** Logs kept per connection (a hosting node appends to many): the least recently appended go. */
const MAX_LOGS = 64

interface Recent {
  /** Index of the first leaf kept. */
  readonly first: number
  /** The compact range of the tree of `first` leaves: its complete subtrees, largest first. */
  readonly before: readonly Buffer[]
  readonly hashes: Buffer[]
  /** The complete subtrees these appends closed (every level), by `level:pos`. */
  readonly nodes: Map<string, Buffer>
  size: number
  root: Buffer
}

const kept = new WeakMap<Database.Database, Map<string, Recent>>()

/** Called by appendLeaves once the head is written: `first` and `before` are the head it read,
 *  `rootBefore` its root (undefined for an empty log). */
export function noteAppended(sqlite: Database.Database, agency: string, a: {
  first: number; before: readonly Buffer[]; rootBefore: Buffer | undefined; hashes: readonly Buffer[]
  closed: ReadonlyArray<{ level: number; pos: number; hash: Buffer }>; size: number; root: Buffer
}): void {
  let logs = kept.get(sqlite)
  if (!logs) kept.set(sqlite, (logs = new Map()))
  const prev = logs.get(agency)
  logs.delete(agency) // re-inserted last: the Map's order is the order of appends
  if (prev && prev.size === a.first && a.rootBefore !== undefined && prev.root.equals(a.rootBefore) && prev.hashes.length + a.hashes.length <= MAX_LEAVES) {
    prev.hashes.push(...a.hashes)
    for (const n of a.closed) prev.nodes.set(`${n.level}:${n.pos}`, n.hash)
    prev.size = a.size
    prev.root = a.root
    logs.set(agency, prev)
  } else if (a.hashes.length <= MAX_LEAVES) {
    logs.set(agency, { first: a.first, before: [...a.before], hashes: [...a.hashes], nodes: new Map(a.closed.map((n) => [`${n.level}:${n.pos}`, n.hash])), size: a.size, root: a.root })
  }
  if (logs.size > MAX_LOGS) logs.delete(logs.keys().next().value!)
}

/** Readers for proofs in the tree of `head` that take what they can from the recent appends, and the
 *  rest from `stored`; the stored readers themselves when the head is not the one they made. */
export function recentReaders(
  sqlite: Database.Database,
  agency: string,
  head: { size: number; root: Buffer } | undefined,
  stored: { leaves: LeafHashes; subtrees: SubtreeCache },
): { leaves: LeafHashes; subtrees: SubtreeCache } {
  const r = kept.get(sqlite)?.get(agency)
  if (!r || !head || head.size !== r.size || !head.root.equals(r.root)) return stored
  // The complete subtrees of the tree of `first` leaves, as [start, end) with their hashes (made at
  // the first miss: most proofs of a recent entry find their subtrees among the appended ones).
  let peaks: Map<string, Buffer> | undefined
  const peak = (s: number, e: number): Buffer | undefined => {
    if (!peaks) {
      peaks = new Map()
      let start = 0
      let i = 0
      for (let bit = 2 ** Math.floor(Math.log2(Math.max(r.first, 1))); bit >= 1; bit /= 2) {
        if (Math.floor(r.first / bit) % 2 === 0) continue
        peaks.set(`${start}:${start + bit}`, r.before[i++]!)
        start += bit
      }
    }
    return peaks.get(`${s}:${e}`)
  }
  return {
    leaves: (s, e) => {
      if (e > r.size || s >= e) return stored.leaves(s, e)
      if (s >= r.first) return r.hashes.slice(s - r.first, e - r.first)
      const below = stored.leaves(s, Math.min(e, r.first))
      return e <= r.first ? below : below.concat(r.hashes.slice(0, e - r.first))
    },
    // A subtree closed by these appends, a complete subtree of the tree before them, or the stored one.
    subtrees: (s, e) => r.nodes.get(`${Math.log2(e - s)}:${s / (e - s)}`) ?? peak(s, e) ?? (e <= r.first ? stored.subtrees(s, e) : undefined),
  }
}
