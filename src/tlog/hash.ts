// RFC 9162 §2.1.1: the hashes of a Merkle tree. Domain-separated so that a leaf can never be
// passed off as an interior node (second-preimage defence): 0x00 before a leaf, 0x01 before a node.
import { createHash } from 'node:crypto'

const LEAF = Buffer.from([0x00])
const NODE = Buffer.from([0x01])

/** The hash of a leaf: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(entry).digest()
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest()
}

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest()

/** RFC 9162 §2.1.1: the largest power of two smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
