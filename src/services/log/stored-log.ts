// This node's own logs as the checkpoint signer and the proof endpoints read them (log-witness's
// LocalLog seam, services/log/local-log.ts there): the head, leaf hashes with the subtree cache
// (proofs in O(log n) reads), entries, and our signed checkpoints (migration 018).
import type { Db } from '../../storage/db.js'
import { LogStore } from '../../storage/log.js'
import type { LeafHashes, SubtreeCache } from '../../tlog/tree.js'
import { parseCheckpointBody } from '../../tlog/checkpoint.js'

export class StoredLog {
  readonly #db: Db
  readonly #store: LogStore

  constructor(db: Db) {
    this.#db = db
    this.#store = new LogStore(db.sqlite)
  }

  agencies(): string[] {
    return this.#store.agencies()
  }

  /** The committed head (reads see only committed transactions outside a write()). */
  head(agency: string): { size: number; root: Buffer } {
    const h = this.#store.head(agency)
    return { size: h.size, root: h.root }
  }

  /** For proofs in the current tree (the leaves appended last are read from memory, storage/log-recent.ts). */
  leafHashes(agency: string): LeafHashes {
    return this.#store.proofReaders(agency).leaves
  }

  /** Pass to tlog's rootHash / inclusionProof / consistencyProof beside leafHashes(). */
  subtrees(agency: string): SubtreeCache {
    return this.#store.proofReaders(agency).subtrees
  }

  proofReaders(agency: string): { leaves: LeafHashes; subtrees: SubtreeCache } {
    return this.#store.proofReaders(agency)
  }

  sizedProofReaders(agency: string): { size: number; leaves: LeafHashes; subtrees: SubtreeCache } {
    return this.#store.sizedProofReaders(agency)
  }

  entries(agency: string, start: number, end: number): Buffer[] {
    return this.#store.entries(agency, start, end).map((e) => e.entry)
  }

  indexOf(agency: string, entry: Buffer): number | undefined {
    return this.#store.indexOf(agency, entry)
  }

  /** The largest checkpoint kept, with its body's time (RFC 3339). */
  latestCheckpoint(agency: string): { size: number; jws: string; time: string } | undefined {
    const c = this.#store.latestCheckpoint(agency)
    return c && { size: c.size, jws: c.jws, time: c.time }
  }

  latestTime(agency: string): string | undefined {
    return this.#store.latestCheckpointTime(agency)
  }

  /** Keeps a checkpoint we signed (its own transaction); its row says what its body says. */
  async saveCheckpoint(agency: string, size: number, jws: string): Promise<void> {
    await this.#db.write(() => this.keepCheckpoint(agency, size, jws))
  }

  /** Inside a write(): the checkpoint is kept by the transaction that commits its tree (§20.4). */
  keepCheckpoint(agency: string, size: number, jws: string, signed?: { root: Buffer; time: string }): void {
    const body = signed ? { ...signed, size } : parseCheckpointBody(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'))
    if (body.size !== size) throw new Error(`log: the checkpoint's body says size ${body.size}, not ${size}`)
    this.#store.saveCheckpoint({ agency, size, root: body.root, time: body.time, jws, signedAt: Date.parse(body.time) })
  }
}
