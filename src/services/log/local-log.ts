// What the witness side needs from this node's own logs (PROTOCOL.md §20): the committed head of an
// agency's log, its leaf hashes (and complete subtrees) for proofs, the entry bytes, an entry's index,
// and the checkpoints already signed. log-store's StoredLog (services/log/stored-log.ts) is the one
// implementation; the seam keeps signing and serving proofs apart from how leaves are stored.
import type { LeafHashes, SubtreeCache } from '../../tlog/tree.js'

export interface LocalLog {
  /** Agencies with a log on this node. */
  agencies(): string[]
  /** The committed size and root of `agency`'s log. */
  head(agency: string): { size: number; root: Buffer }
  /** Reader of the stored leaf hashes of `agency`'s log. */
  leafHashes(agency: string): LeafHashes
  /** The stored complete subtrees of `agency`'s log (proofs in O(log n) reads). */
  subtrees(agency: string): SubtreeCache
  /** leafHashes() and subtrees() together, for one proof (one read of the head). */
  proofReaders?(agency: string): { leaves: LeafHashes; subtrees: SubtreeCache }
  /** proofReaders() and the committed size (inside a write: the size it is about to commit) from one read. */
  sizedProofReaders?(agency: string): { size: number; leaves: LeafHashes; subtrees: SubtreeCache }
  /** Entry bytes [start, end) of `agency`'s log. */
  entries(agency: string, start: number, end: number): Buffer[]
  /** The index of the leaf with these entry bytes, or undefined. */
  indexOf(agency: string, entry: Buffer): number | undefined
  /** The latest checkpoint this node signed for `agency`, if any. */
  latestCheckpoint(agency: string): { size: number; jws: string; time?: string } | undefined
  /** Keeps a checkpoint this node signed (its own transaction). */
  saveCheckpoint(agency: string, size: number, jws: string): Promise<void>
  /** The same, inside the write() whose transaction commits that tree (PROTOCOL.md §20.4); `body`: its
   *  root and time when the caller has them (it signed them), so the JWS is not read again. */
  keepCheckpoint(agency: string, size: number, jws: string, body?: { root: Buffer; time: string }): void
  /** The `time` of the latest checkpoint kept (without reading the JWS), if any. */
  latestTime?(agency: string): string | undefined
}
