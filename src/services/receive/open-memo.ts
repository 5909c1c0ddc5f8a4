// What this node already opened of content shared by many envelopes (PROTOCOL.md §17.1; issue 16
// item 3): a hosting node that receives one circular for 1,000 of its agencies decrypts, verifies and
// frames the shared content once, not 1,000 times (base64, AES-GCM, the signature, the strict JSON of
// a signed letter that names every addressee). Memory only, bounded in bytes and in time: an entry
// is the decrypted bundle of one letter, kept while its parts arrive and never written anywhere.
// A letter larger than the budget is not kept (it is opened per envelope, as before). An entry holds
// a copy of the ciphertext it was opened from, compared on every hit: not views into the envelope,
// whose bytes a hosting node lends to the next part once its receive is over (federation/shared-ref.ts
// SharedEnvelopes overwrites a frame's head and tail, and a reference may name any span as shared).
import type { Clock } from '../../clock.js'
import type { HeldOpening, OpenMemo } from '../../crypto/types.js'

export const OPEN_MEMO_BYTES = 32 * 1024 * 1024
export const OPEN_MEMO_MS = 5 * 60_000

interface Held { held: HeldOpening; bytes: number; at: number }

export class OpenedContents implements OpenMemo {
  readonly #held = new Map<string, Held>()
  readonly #clock: Clock
  readonly #maxBytes: number
  readonly #ttlMs: number
  #bytes = 0

  constructor(clock: Clock, opts: { maxBytes?: number; ttlMs?: number } = {}) {
    this.#clock = clock
    this.#maxBytes = opts.maxBytes ?? OPEN_MEMO_BYTES
    this.#ttlMs = opts.ttlMs ?? OPEN_MEMO_MS
  }

  get(key: string): HeldOpening | undefined {
    this.#expire()
    return this.#held.get(key)?.held
  }

  set(key: string, held: HeldOpening, bytes: number): void {
    if (bytes > this.#maxBytes || this.#held.has(key)) return
    this.#expire()
    // The oldest go first (a Map keeps insertion order).
    for (const [k, h] of this.#held) {
      if (this.#bytes + bytes <= this.#maxBytes) break
      this.#drop(k, h)
    }
    // One copy per letter, not per envelope (the views kept the first envelope alive, as large).
    const own: HeldOpening = {
      opened: held.opened, ciphertext: held.ciphertext.map((c) => Buffer.from(c)),
      ...(held.ciphertextSha256 !== undefined ? { ciphertextSha256: held.ciphertextSha256 } : {}),
    }
    this.#held.set(key, { held: own, bytes, at: this.#clock.now() })
    this.#bytes += bytes
  }

  /** Entries and bytes held (tests, metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#held.size, bytes: this.#bytes }
  }

  #expire(): void {
    const before = this.#clock.now() - this.#ttlMs
    for (const [k, h] of this.#held) {
      if (h.at >= before) break
      this.#drop(k, h)
    }
  }

  #drop(key: string, h: Held): void {
    this.#held.delete(key)
    this.#bytes -= h.bytes
  }
}
