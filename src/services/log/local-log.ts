// What the witness side needs from this node's own logs (PROTOCOL.md §20): the committed head of an
// agency's log, its leaf hashes (and complete subtrees) for proofs, the entry bytes, an entry's index,
// and the checkpoints already signed. Storage is log-store's (migration 018, storage/log.ts).
import type { Db } from '../../storage/db.js'
import type { LogStore } from '../../storage/log.js'
import { leafIndex } from '../../storage/log-lookup.js'
import { leafHash } from '../../tlog/hash.js'
import type { LeafHashes, SubtreeCache } from '../../tlog/tree.js'

/** How far back a recent entry is looked for before the whole log is searched. */
const RECENT = 4096

export interface LocalLog {
  /** Agencies with a log on this node (the hosted agencies). */
  agencies(): string[]
  /** The committed size and root of `agency`'s log. */
  head(agency: string): { size: number; root: Buffer }
  /** Reader of the stored leaf hashes of `agency`'s log. */
  leafHashes(agency: string): LeafHashes
  /** The stored complete subtrees of `agency`'s log (proofs in O(log n) reads). */
  subtrees(agency: string): SubtreeCache
  /** Entry bytes [start, end) of `agency`'s log. */
  entries(agency: string, start: number, end: number): Buffer[]
  /** The index of the newest leaf with these entry bytes, or undefined. */
  indexOf(agency: string, entry: Buffer): number | undefined
  /** The latest checkpoint this node signed for `agency`, if any. */
  latestCheckpoint(agency: string): { size: number; jws: string } | undefined
  /** Keeps a checkpoint this node signed (its own transaction). */
  saveCheckpoint(agency: string, c: SignedCheckpoint): Promise<void>
}

export interface SignedCheckpoint { size: number; root: Buffer; time: string; jws: string; signedAt: number }

export function localLog(db: Db, store: LogStore, hosted: () => string[]): LocalLog {
  return {
    agencies: hosted,
    head: (agency) => {
      const h = store.head(agency)
      return { size: h.size, root: h.root }
    },
    leafHashes: (agency) => (start, end) => store.leafHashes(agency, start, end),
    subtrees: (agency) => (start, end) => {
      const n = end - start
      return store.node(agency, Math.log2(n), start / n)
    },
    entries: (agency, start, end) => store.entries(agency, start, end).map((e) => e.entry),
    indexOf(agency, entry) {
      const hash = leafHash(entry)
      const size = store.head(agency).size
      return leafIndex(db.sqlite, agency, hash, Math.max(0, size - RECENT)) ?? (size > RECENT ? leafIndex(db.sqlite, agency, hash) : undefined)
    },
    latestCheckpoint(agency) {
      const c = store.latestCheckpoint(agency)
      return c && { size: c.size, jws: c.jws }
    },
    async saveCheckpoint(agency, c) {
      await db.write(() => store.saveCheckpoint({ agency, ...c }))
    },
  }
}
