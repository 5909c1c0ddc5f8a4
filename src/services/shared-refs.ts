// Which peers already hold which shared content (PROTOCOL.md §17.8), so that the shared bytes of a
// letter sealed for many cross the wire once per receiving node instead of once per recipient. In
// memory only and bounded: after a restart, or when the peer says it does not hold them (412), the
// next part simply goes whole again. The receiver's answer is authoritative; this is a hint.
import { createHash } from 'node:crypto'

/** Below this, a reference saves too little to be worth a round of bookkeeping (PROTOCOL.md §17.8). */
export const MIN_SHARED_BYTES = 64 * 1024
const MAX_ENTRIES = 10_000

export class SharedRefs {
  readonly #held = new Set<string>()
  readonly #first = new Map<string, Promise<void>>()
  // By the Buffer itself (the envelope cache hands out one per content): a content id may be reused
  // after a delete, a Buffer's bytes never change under it.
  readonly #sha = new WeakMap<Buffer, string>()

  /** SHA-256 (hex) of shared bytes, computed once per Buffer. */
  sha256Of(shared: Buffer): string {
    let sha = this.#sha.get(shared)
    if (sha === undefined) {
      sha = createHash('sha256').update(shared).digest('hex')
      this.#sha.set(shared, sha)
    }
    return sha
  }

  holds(origin: string, sha256: string): boolean {
    return this.#held.has(origin + ' ' + sha256)
  }

  learn(origin: string, sha256: string): void {
    const k = origin + ' ' + sha256
    this.#held.delete(k)
    if (this.#held.size >= MAX_ENTRIES) this.#held.delete(this.#held.values().next().value!)
    this.#held.add(k)
  }

  forget(origin: string, sha256: string): void {
    this.#held.delete(origin + ' ' + sha256)
  }

  /** The first whole send of `sha256` to `origin` in flight, if any: parts that come meanwhile wait
   *  for its answer, then go by reference if it taught us that the peer holds the content. */
  pending(origin: string, sha256: string): Promise<void> | undefined {
    return this.#first.get(origin + ' ' + sha256)
  }

  /** Marks the first whole send as in flight (synchronously, so that parts started in the same turn
   *  see it); call the returned function when its answer (or failure) is known. */
  begin(origin: string, sha256: string): () => void {
    const k = origin + ' ' + sha256
    let done!: () => void
    this.#first.set(k, new Promise<void>((r) => { done = r }))
    return () => {
      this.#first.delete(k)
      done()
    }
  }
}

/** The pieces of one stored envelope (PROTOCOL.md §17.1): head ‖ shared ‖ tail; shared is empty for
 *  an envelope sealed for one recipient. */
export interface EnvelopePieces {
  readonly head: Buffer
  readonly shared: Buffer
  readonly tail: Buffer
}
