// src/tlog/inclusion-memo.ts: inclusion proofs checked against one tree with the states of proofs that
// verified kept (issue 14 §6). It must answer exactly as verifyInclusion (RFC 9162 §2.1.3.2) for every
// input, whatever it checked before: proofs of every leaf of several trees in random order, altered
// proofs that share their lower path with one that verified, other roots, and the caller's buffers
// changed after a check.
import t from 'tap'
import { leafHash, inclusionProof, rootHash, verifyInclusion } from '../../src/tlog/index.js'
import { InclusionMemo } from '../../src/tlog/inclusion-memo.js'
import { mulberry32 } from '../helpers/prng.js'

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)))
const reader = (s: number, e: number) => leaves.slice(s, e)

t.test('the same answers as verifyInclusion, altered and unaltered, in random order', async (t) => {
  const rng = mulberry32(146)
  const rnd = () => rng.next()
  const memo = new InclusionMemo()
  const sizes = [1, 2, 3, 7, 64, 65, 200, 201, 255, 300]
  const roots = new Map(sizes.map((n) => [n, rootHash(n, reader)]))
  let agreed = 0
  let accepted = 0
  for (let round = 0; round < 4000; round++) {
    const size = sizes[Math.floor(rnd() * sizes.length)]!
    const index = Math.floor(rnd() * size)
    let proof = inclusionProof(index, size, reader)
    let leaf = leaves[index]!
    let root = roots.get(size)!
    let claimedIndex = index
    let claimedSize = size
    switch (Math.floor(rnd() * 8)) {
      case 0: if (proof.length > 0) { const i = Math.floor(rnd() * proof.length); proof = proof.map((h, j) => (j === i ? Buffer.from(h.map((b) => b ^ 1)) : h)) } break // one hash altered (often above the meeting point)
      case 1: if (proof.length > 0) proof = proof.slice(0, -1); break
      case 2: proof = [...proof, leaves[0]!]; break
      case 3: leaf = leaves[(index + 1) % leaves.length]!; break
      case 4: root = roots.get(sizes[Math.floor(rnd() * sizes.length)]!)!; break // another tree's root
      case 5: claimedIndex = Math.floor(rnd() * size); break
      case 6: claimedSize = sizes[Math.floor(rnd() * sizes.length)]!; break
      default: break // unaltered
    }
    const want = verifyInclusion(leaf, claimedIndex, claimedSize, proof, root)
    const got = memo.verify(leaf, claimedIndex, claimedSize, proof, root)
    if (got !== want) {
      t.fail(`round ${round}: size ${claimedSize} index ${claimedIndex}: memo ${got}, verifyInclusion ${want}`)
      return
    }
    agreed++
    if (got) accepted++
  }
  t.equal(agreed, 4000, 'every answer agreed')
  t.ok(accepted > 500 && accepted < 3900, `both answers were given (${accepted} accepted)`)
})

t.test('a proof sharing its lower path with one that verified, with an upper hash altered, fails', async (t) => {
  const memo = new InclusionMemo()
  const size = 200
  const root = rootHash(size, reader)
  t.ok(memo.verify(leaves[120]!, 120, size, inclusionProof(120, size, reader), root))
  const p = inclusionProof(121, size, reader) // meets 120's path at the first step
  for (let i = 1; i < p.length; i++) {
    const bad = p.map((h, j) => (j === i ? Buffer.alloc(32, 7) : h))
    t.notOk(memo.verify(leaves[121]!, 121, size, bad, root), `hash ${i} altered`)
  }
  t.ok(memo.verify(leaves[121]!, 121, size, p, root), 'unaltered: verifies')
  t.notOk(memo.verify(leaves[121]!, 121, size, p, rootHash(201, reader)), 'the same proof against another tree')
  t.equal(memo.verify(leaves[121]!, 121, 201, p, root), verifyInclusion(leaves[121]!, 121, 201, p, root), 'the same root with another size')
})

t.test('changing the buffers of a checked proof afterwards changes no later answer', async (t) => {
  const memo = new InclusionMemo()
  const size = 65
  const root = rootHash(size, reader)
  // Copies: a proof's hashes may be the fixture's own leaf hashes.
  const p = inclusionProof(10, size, reader).map((h) => Buffer.from(h))
  const leaf = Buffer.from(leaves[10]!)
  t.ok(memo.verify(leaf, 10, size, p, root))
  const q = inclusionProof(11, size, reader)
  // The caller reuses its buffers: the kept states must not follow them.
  for (const h of p) h.fill(0)
  leaf.fill(0)
  t.ok(memo.verify(leaves[11]!, 11, size, q, root), 'a neighbour still verifies')
  t.notOk(memo.verify(leaf, 10, size, p, root), 'the zeroed proof does not')
  t.equal(memo.verify(leaves[10]!, 10, size, inclusionProof(10, size, reader), root), true)
})
