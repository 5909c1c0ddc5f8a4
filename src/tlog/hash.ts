// RFC 9162 §2.1.1: the hashes of a Merkle tree. Domain-separated so that a leaf can never be
// passed off as an interior node (second-preimage defence): 0x00 before a leaf, 0x01 before a node.
// crypto.hash (one shot, Node ≥ 20.12) rather than createHash: a log append hashes about log2(n)
// 65-byte nodes, where a Hash object's setup costs more than the hashing (issue 14 §6).
import { createHash, hash } from 'node:crypto'

/** Scratch for 0x01 || left || right: hash() copies its input before it returns. */
const pair = Buffer.alloc(65)

/** The hash of a leaf: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(entry.length + 1)
  b[0] = 0x00
  b.set(entry, 1)
  return hash('sha256', b, 'buffer')
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) {
    return createHash('sha256').update(Buffer.from([0x01])).update(left).update(right).digest()
  }
  pair[0] = 0x01
  pair.set(left, 1)
  pair.set(right, 33)
  return hash('sha256', pair, 'buffer')
}

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest()

/** RFC 9162 §2.1.1: the largest power of two smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
