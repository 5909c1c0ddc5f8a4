// RFC 9162 §2.1: the Merkle Tree Hash and the proofs, computed over stored leaf hashes.
// The recursion is the RFC's own (MTH, PATH, SUBPROOF), so anyone can compare it line by line.
// Storage decides how leaf hashes are kept; a cache of complete, aligned subtrees (the only ones
// whose hash never changes) makes the root and both proofs O(log n) reads instead of O(n).
import { EMPTY_ROOT, nodeHash, splitPoint } from './hash.js'

/** Leaf hashes of entries [start, end). */
export type LeafHashes = (start: number, end: number) => Buffer[]

/** The hash of the complete subtree [start, end) when the caller has it (end - start a power of two,
 *  start a multiple of it); undefined to compute it from the leaves. */
export type SubtreeCache = (start: number, end: number) => Buffer | undefined

export class TlogRangeError extends RangeError {}

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlogRangeError(`tlog: ${name} must be a whole number ≥ 0`)
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0 // sizes stay below 2^31 in practice; see mth() for larger
}

/** MTH(D[start:end]) (RFC 9162 §2.1.1). */
function mth(start: number, end: number, leaves: LeafHashes, cache?: SubtreeCache): Buffer {
  const n = end - start
  if (n === 0) return EMPTY_ROOT
  if (n === 1) return leaves(start, end)[0]!
  if (cache && n <= 2 ** 30 && isPow2(n) && start % n === 0) {
    const hit = cache(start, end)
    if (hit) return hit
  }
  if (n <= 64) return foldLeaves(leaves(start, end)) // one read for a small subtree
  const k = splitPoint(n)
  return nodeHash(mth(start, start + k, leaves, cache), mth(start + k, end, leaves, cache))
}

/** MTH of a list of leaf hashes, in memory. */
export function foldLeaves(hashes: readonly Buffer[]): Buffer {
  const n = hashes.length
  if (n === 0) return EMPTY_ROOT
  if (n === 1) return hashes[0]!
  const k = splitPoint(n)
  return nodeHash(foldLeaves(hashes.slice(0, k)), foldLeaves(hashes.slice(k)))
}

/** The root hash of the tree of the first `size` entries. */
export function rootHash(size: number, leaves: LeafHashes, cache?: SubtreeCache): Buffer {
  checkSize('size', size)
  return mth(0, size, leaves, cache)
}

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1): the inclusion proof of entry `index` in the tree of `size`. */
export function inclusionProof(index: number, size: number, leaves: LeafHashes, cache?: SubtreeCache): Buffer[] {
  checkSize('index', index)
  checkSize('size', size)
  if (index >= size) throw new TlogRangeError(`tlog: index ${index} is not in a tree of size ${size}`)
  const out: Buffer[] = []
  const path = (m: number, start: number, end: number): void => {
    const n = end - start
    if (n === 1) return
    const k = splitPoint(n)
    if (m < k) {
      path(m, start, start + k)
      out.push(mth(start + k, end, leaves, cache))
    } else {
      path(m - k, start + k, end)
      out.push(mth(start, start + k, leaves, cache))
    }
  }
  path(index, 0, size)
  return out
}

/** PROOF(m, D[n]) (RFC 9162 §2.1.4.1): the consistency proof between the trees of `from` and `to`
 *  entries. Empty when from = 0 or from = to (nothing to prove). */
export function consistencyProof(from: number, to: number, leaves: LeafHashes, cache?: SubtreeCache): Buffer[] {
  checkSize('from', from)
  checkSize('to', to)
  if (from > to) throw new TlogRangeError(`tlog: a tree of size ${from} cannot be a prefix of one of size ${to}`)
  if (from === 0 || from === to) return []
  const out: Buffer[] = []
  const sub = (m: number, start: number, end: number, b: boolean): void => {
    const n = end - start
    if (m === n) {
      if (!b) out.push(mth(start, end, leaves, cache))
      return
    }
    const k = splitPoint(n)
    if (m <= k) {
      sub(m, start, start + k, b)
      out.push(mth(start + k, end, leaves, cache))
    } else {
      sub(m - k, start + k, end, false)
      out.push(mth(start, start + k, leaves, cache))
    }
  }
  sub(from, 0, to, true)
  return out
}

/** The O(log n) state of a growing tree: the roots of its complete subtrees, largest first
 *  (one per set bit of `size`). Appending and the root need no stored leaves. */
export class CompactRange {
  #size: number
  #hashes: Buffer[]

  constructor(size = 0, hashes: readonly Buffer[] = []) {
    checkSize('size', size)
    if (hashes.length !== popcount(size)) throw new TlogRangeError(`tlog: a compact range of size ${size} has ${popcount(size)} hashes, not ${hashes.length}`)
    this.#size = size
    this.#hashes = [...hashes]
  }

  get size(): number { return this.#size }

  /** Adds one leaf hash (RFC 9162 §2.1.1 order: leaves are appended on the right). */
  append(leaf: Buffer): void {
    let h = leaf
    let s = this.#size
    while (s % 2 === 1) {
      h = nodeHash(this.#hashes.pop()!, h)
      s = Math.floor(s / 2)
    }
    this.#hashes.push(h)
    this.#size += 1
  }

  /** MTH of the whole tree: the complete subtrees folded right to left. */
  root(): Buffer {
    if (this.#size === 0) return EMPTY_ROOT
    let r = this.#hashes[this.#hashes.length - 1]!
    for (let i = this.#hashes.length - 2; i >= 0; i--) r = nodeHash(this.#hashes[i]!, r)
    return r
  }

  /** The complete subtrees' hashes, largest first (the stored form of the head). */
  hashes(): readonly Buffer[] { return this.#hashes }

  clone(): CompactRange { return new CompactRange(this.#size, this.#hashes) }

  toJSON(): { size: number; hashes: string[] } {
    return { size: this.#size, hashes: this.#hashes.map((h) => h.toString('base64')) }
  }

  static fromJSON(j: { size: number; hashes: readonly string[] }): CompactRange {
    return new CompactRange(j.size, j.hashes.map((h) => Buffer.from(h, 'base64')))
  }
}

function popcount(n: number): number {
  let c = 0
  while (n > 0) {
    c += n % 2
    n = Math.floor(n / 2)
  }
  return c
}
