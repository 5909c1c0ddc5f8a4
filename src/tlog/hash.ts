// TEMPORARY stand-in for the lead's src/tlog/hash.ts (log-design.md "The pure core"): the same
// exported names and signatures, removed by log-store before `git merge main`.
import { createHash } from 'node:crypto'

export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(entry).digest()
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest()
}

export const EMPTY_ROOT: Buffer = createHash('sha256').digest()
