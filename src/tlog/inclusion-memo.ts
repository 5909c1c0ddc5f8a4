// RFC 9162 §2.1.3.2 inclusion proofs checked many at a time against one tree (issue 14 §6): a sender
// checks the proof sent with every receipt (PROTOCOL.md §20.5), and the receipts of one batch share
// one checkpoint, so their proofs climb the same tree and, above the node where their paths meet, hash
// the same pairs again. verifyInclusion's step 4 from step k on depends only on (fn, sn, r) and the
// proof's hashes from k on; when all four equal a state of a proof that reached this tree's root, the
// rest is the same computation with the same outcome, so it is not done again. Pure, like verify.ts.
import { nodeHash } from './hash.js'

/** States remembered per tree: each proof adds at most its length (64); past this, start again. */
const MAX_STATES = 4096
/** Trees remembered (a sender delivers to several peers at once, each batch of receipts a new tree). */
const MAX_TREES = 16

interface State {
  /** r before step k. */
  readonly r: Buffer
  /** The proof that reached the root from this state, and k. */
  readonly proof: readonly Buffer[]
  readonly k: number
}

const lsb = (x: number): boolean => x % 2 === 1
const shr = (x: number): number => Math.floor(x / 2)

/** verifyInclusion with the states of proofs that verified in the same tree (size and root) kept.
 *  What it keeps are copies: a caller changing its buffers afterwards changes nothing here. */
export class InclusionMemo {
  /** By `size:root`, least recently used first. */
  readonly #trees = new Map<string, Map<string, State>>()

  /** Exactly verifyInclusion(leafHash, index, size, proof, root) (src/tlog/verify.ts). */
  verify(leafHash: Buffer, index: number, size: number, proof: readonly Buffer[], root: Buffer): boolean {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false
    const tree = `${size}:${root.toString('hex')}`
    const states = this.#trees.get(tree) ?? new Map<string, State>()
    this.#trees.delete(tree)
    this.#trees.set(tree, states)
    if (this.#trees.size > MAX_TREES) this.#trees.delete(this.#trees.keys().next().value!)
    // RFC 9162 §2.1.3.2 as verify.ts writes it, with a look at the remembered states before each step.
    const seen: Array<{ key: string; r: Buffer; k: number }> = []
    let fn = index
    let sn = size - 1
    let r = leafHash
    for (let k = 0; k < proof.length; k++) {
      const key = `${fn}:${sn}:${proof.length - k}`
      const s = states.get(key)
      if (s !== undefined && s.r.equals(r) && sameFrom(s.proof, s.k, proof, k)) {
        keep(states, seen, proof)
        return true
      }
      seen.push({ key, r, k })
      const p = proof[k]!
      if (p.length !== 32 || sn === 0) return false
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
      fn = shr(fn)
      sn = shr(sn)
    }
    const ok = sn === 0 && r.equals(root)
    if (ok) keep(states, seen, proof)
    return ok
  }
}

function keep(states: Map<string, State>, seen: ReadonlyArray<{ key: string; r: Buffer; k: number }>, proof: readonly Buffer[]): void {
  if (seen.length === 0) return
  if (states.size + seen.length > MAX_STATES) states.clear()
  const own = proof.map((h) => Buffer.from(h))
  // r from step 1 on is a hash made here; before it, the caller's leaf hash.
  for (const s of seen) if (!states.has(s.key)) states.set(s.key, { r: s.k === 0 ? Buffer.from(s.r) : s.r, proof: own, k: s.k })
}

/** a[i..] and b[j..] hold the same hashes (the caller's key makes their lengths equal). */
function sameFrom(a: readonly Buffer[], i: number, b: readonly Buffer[], j: number): boolean {
  if (a.length - i !== b.length - j) return false
  for (; i < a.length; i++, j++) if (a[i] !== b[j] && !a[i]!.equals(b[j]!)) return false
  return true
}
