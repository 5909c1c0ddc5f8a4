// RFC 9162 §2.1.3.2 and §2.1.4.2: verifying proofs, step by step as the RFC writes them (the step
// numbers in the comments are the RFC's). Arithmetic instead of bit operators so that sizes above
// 2^31 stay exact. A verifier needs nothing but SHA-256: these functions are what an auditor runs.
import { nodeHash } from './hash.js'

const lsb = (x: number): boolean => x % 2 === 1
const shr = (x: number): number => Math.floor(x / 2)
const isWhole = (x: number): boolean => Number.isSafeInteger(x) && x >= 0

function isPow2(x: number): boolean {
  if (x < 1) return false
  while (x % 2 === 0) x /= 2
  return x === 1
}

/** True when `proof` shows that the leaf hash is entry `index` of the tree of `size` with `root`. */
export function verifyInclusion(leafHash: Buffer, index: number, size: number, proof: readonly Buffer[], root: Buffer): boolean {
  if (!isWhole(index) || !isWhole(size)) return false
  // 1. leaf_index must be inside the tree.
  if (index >= size) return false
  // 2.
  let fn = index
  let sn = size - 1
  // 3.
  let r = leafHash
  // 4.
  for (const p of proof) {
    if (p.length !== 32) return false
    // 4a.
    if (sn === 0) return false
    // 4b.
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r)
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shr(fn)
          sn = shr(sn)
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    // 4c.
    fn = shr(fn)
    sn = shr(sn)
  }
  // 5.
  return sn === 0 && r.equals(root)
}

/** True when `proof` shows that the tree of `from` entries with `fromRoot` is a prefix of the tree
 *  of `to` entries with `toRoot`. The RFC leaves from = 0 and from = to out; here the empty tree is a
 *  prefix of every tree, and equal sizes are consistent only with an empty proof and equal roots. */
export function verifyConsistency(from: number, to: number, fromRoot: Buffer, toRoot: Buffer, proof: readonly Buffer[]): boolean {
  if (!isWhole(from) || !isWhole(to) || from > to) return false
  if (proof.some((p) => p.length !== 32)) return false
  if (from === 0) return proof.length === 0
  if (from === to) return proof.length === 0 && fromRoot.equals(toRoot)
  // 1.
  if (proof.length === 0) return false
  // 2.
  const path = isPow2(from) ? [fromRoot, ...proof] : [...proof]
  // 3.
  let fn = from - 1
  let sn = to - 1
  // 4.
  while (lsb(fn)) {
    fn = shr(fn)
    sn = shr(sn)
  }
  // 5.
  let fr = path[0]!
  let sr = path[0]!
  // 6.
  for (const c of path.slice(1)) {
    // 6a.
    if (sn === 0) return false
    // 6b.
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shr(fn)
          sn = shr(sn)
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    // 6c.
    fn = shr(fn)
    sn = shr(sn)
  }
  // 7.
  return fr.equals(fromRoot) && sr.equals(toRoot) && sn === 0
}
