// What the witness side needs from this node's own logs (PROTOCOL.md §20): the committed head of an
// agency's log, its leaf hashes for proofs, the entry bytes, and the checkpoints already signed. The
// storage behind it is log-store's (migration 018); this seam keeps signing and serving proofs apart
// from how leaves are stored.
import type { LeafHashes } from '../../tlog/tree.js'

export interface LocalLog {
  /** Agencies with a log on this node (the hosted agencies). */
  agencies(): string[]
  /** The committed size and root of `agency`'s log. */
  head(agency: string): { size: number; root: Buffer }
  /** Reader of the stored leaf hashes of `agency`'s log. */
  leafHashes(agency: string): LeafHashes
  /** Entry bytes [start, end) of `agency`'s log. */
  entries(agency: string, start: number, end: number): Buffer[]
  /** The index of the leaf with these entry bytes, or undefined (a replayed envelope, §20.5). */
  indexOf(agency: string, entry: Buffer): number | undefined
  /** The latest checkpoint this node signed for `agency`, if any. */
  latestCheckpoint(agency: string): { size: number; jws: string } | undefined
  /** Keeps a signed checkpoint (its own transaction). */
  saveCheckpoint(agency: string, size: number, jws: string): Promise<void>
}
