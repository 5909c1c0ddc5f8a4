// src/tlog against RFC 9162 §2.1: known answers from RFC 6962's reference test data (the eight
// leaves used by certificate-transparency-go), a naive transcription of the RFC's recursive
// definitions for every size and index up to 70, and refusal of every altered proof.
import t from 'tap'
import { createHash } from 'node:crypto'
import {
  leafHash, nodeHash, EMPTY_ROOT, rootHash, inclusionProof, consistencyProof, CompactRange,
  verifyInclusion, verifyConsistency, checkpointBody, parseCheckpointBody, logOrigin, TlogFormatError, foldLeaves,
  type LeafHashes,
} from '../../src/tlog/index.js'

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'))
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

// The RFC's definitions, transcribed naively over arrays (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1).
const k = (n: number): number => { let x = 1; while (x * 2 < n) x *= 2; return x }
const sha = (...b: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(b)).digest()
function MTH(d: Buffer[]): Buffer {
  if (d.length === 0) return sha()
  if (d.length === 1) return sha(Buffer.from([0]), d[0]!)
  const s = k(d.length)
  return sha(Buffer.from([1]), MTH(d.slice(0, s)), MTH(d.slice(s)))
}
function PATH(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return []
  const s = k(d.length)
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))]
}
function SUBPROOF(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [MTH(d)]
  const s = k(d.length)
  return m <= s ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))] : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))]
}

const entries = Array.from({ length: 70 }, (_, i) => Buffer.from(`entry ${i}`))
const hashes = entries.map(leafHash)
const reader: LeafHashes = (a, b) => hashes.slice(a, b)

t.test('known answers: the RFC 6962 reference leaves', async (t) => {
  const hs = CT_LEAVES.map(leafHash)
  for (let n = 1; n <= 8; n++) t.equal(rootHash(n, (a, b) => hs.slice(a, b)).toString('hex'), CT_ROOTS[n - 1], `root of size ${n}`)
  t.equal(EMPTY_ROOT.toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(leafHash(Buffer.alloc(0)).toString('hex'), CT_ROOTS[0])
})

t.test('roots, inclusion and consistency proofs agree with the RFC definitions for every size to 70', async (t) => {
  let checked = 0
  for (let n = 0; n <= 70; n++) {
    const root = rootHash(n, reader)
    t.ok(root.equals(MTH(entries.slice(0, n))), `root ${n}`)
    const range = new CompactRange()
    for (const h of hashes.slice(0, n)) range.append(h)
    t.ok(range.root().equals(root), `compact range ${n}`)
    t.ok(foldLeaves(hashes.slice(0, n)).equals(root))
    for (let i = 0; i < n; i++) {
      const p = inclusionProof(i, n, reader)
      if (!Buffer.concat(p).equals(Buffer.concat(PATH(i, entries.slice(0, n))))) t.fail(`inclusion ${i}/${n} differs from PATH`)
      if (!verifyInclusion(hashes[i]!, i, n, p, root)) t.fail(`inclusion ${i}/${n} does not verify`)
      checked++
    }
    for (let m = 1; m < n; m++) {
      const p = consistencyProof(m, n, reader)
      if (!Buffer.concat(p).equals(Buffer.concat(SUBPROOF(m, entries.slice(0, n), true)))) t.fail(`consistency ${m}→${n} differs from PROOF`)
      if (!verifyConsistency(m, n, rootHash(m, reader), root, p)) t.fail(`consistency ${m}→${n} does not verify`)
      checked++
    }
  }
  t.equal(checked, 4900, 'every inclusion (2485) and consistency (2415) proof up to size 70 was checked')
})

t.test('a cache of complete subtrees gives the same answers', async (t) => {
  let hits = 0
  const cache = (a: number, b: number): Buffer | undefined => { hits++; return foldLeaves(hashes.slice(a, b)) }
  for (const n of [1, 2, 5, 64, 65, 70]) {
    t.ok(rootHash(n, reader, cache).equals(rootHash(n, reader)))
    for (const i of [0, Math.floor(n / 2), n - 1]) t.same(inclusionProof(i, n, reader, cache), inclusionProof(i, n, reader))
    for (const m of [1, Math.floor(n / 2) || 1]) if (m < n) t.same(consistencyProof(m, n, reader, cache), consistencyProof(m, n, reader))
  }
  t.ok(hits > 0, 'the cache was consulted')
})

t.test('altered proofs are refused', async (t) => {
  const n = 37
  const root = rootHash(n, reader)
  for (const i of [0, 5, 31, 32, 36]) {
    const p = inclusionProof(i, n, reader)
    t.notOk(verifyInclusion(hashes[i]!, i + 1 < n ? i + 1 : i - 1, n, p, root), 'another index')
    t.notOk(verifyInclusion(hashes[(i + 1) % n]!, i, n, p, root), 'another leaf')
    t.notOk(verifyInclusion(hashes[i]!, i, 2 * n, p, root), 'a size whose path is longer') // the root binds the size; a path fits only sizes of its shape
    t.notOk(verifyInclusion(hashes[i]!, i, n, p.slice(1), root), 'a hash missing')
    t.notOk(verifyInclusion(hashes[i]!, i, n, [...p, p[0]!], root), 'a hash added')
    const bad = p.map((h, j) => (j === 0 ? Buffer.from(h).fill(h[0]! ^ 1, 0, 1) : h))
    t.notOk(verifyInclusion(hashes[i]!, i, n, bad, root), 'a hash changed')
    t.notOk(verifyInclusion(hashes[i]!, n, n, p, root), 'index = size')
  }
  for (const m of [1, 4, 16, 20, 36]) {
    const p = consistencyProof(m, n, reader)
    const r = rootHash(m, reader)
    t.ok(verifyConsistency(m, n, r, root, p))
    t.notOk(verifyConsistency(m, n, rootHash(m + 1, reader), root, p), 'a different old root (a rewritten prefix)')
    t.notOk(verifyConsistency(m, n, r, rootHash(n - 1, reader), p), 'a different new root')
    t.notOk(verifyConsistency(m, n, r, root, p.slice(0, -1)), 'a hash missing')
    t.notOk(verifyConsistency(m, 2 * n, r, root, p), 'a size whose proof is longer')
  }
  t.ok(verifyConsistency(0, n, EMPTY_ROOT, root, []), 'the empty tree is a prefix of every tree')
  t.ok(verifyConsistency(n, n, root, root, []), 'equal trees')
  t.notOk(verifyConsistency(n, n, root, rootHash(n - 1, reader), []), 'same size, another root: a fork')
  t.notOk(verifyConsistency(n, n - 1, root, root, []), 'a tree cannot shrink')
  t.throws(() => inclusionProof(n, n, reader), RangeError)
  t.throws(() => consistencyProof(n, n - 1, reader), RangeError)
})

t.test('the compact range round-trips and refuses a wrong shape', async (t) => {
  const r = new CompactRange()
  for (const h of hashes.slice(0, 13)) r.append(h)
  t.equal(r.hashes().length, 3, '13 = 8 + 4 + 1')
  const back = CompactRange.fromJSON(JSON.parse(JSON.stringify(r)))
  back.append(hashes[13]!)
  t.ok(back.root().equals(rootHash(14, reader)))
  t.throws(() => new CompactRange(13, [hashes[0]!]), RangeError)
})

t.test('checkpoint bodies: one canonical text', async (t) => {
  const body = { origin: logOrigin('moi'), size: 70, root: rootHash(70, reader), time: '2026-12-06T03:00:00.000Z' }
  const text = checkpointBody(body)
  t.equal(text, `saraban/v1/log/moi\n70\n${body.root.toString('base64')}\ntime 2026-12-06T03:00:00.000Z\n`)
  const back = parseCheckpointBody(text)
  t.same({ ...back, root: back.root.toString('hex') }, { ...body, root: body.root.toString('hex') })
  const bad = [
    text.slice(0, -1), // no final newline
    text.replace('\n70\n', '\n070\n'),
    text.replace('\n70\n', '\n-1\n'),
    text.replace('time ', 'tyme '),
    text + 'extra\n',
    text.replace('saraban/v1/log/moi', 'saraban/v1/log/moi\u0000'),
    text.replace(body.root.toString('base64'), body.root.toString('base64url')),
    text.replace('2026-12-06T03:00:00.000Z', '2026-12-06 03:00:00Z'),
  ]
  for (const b of bad) t.throws(() => parseCheckpointBody(b), TlogFormatError, JSON.stringify(b.slice(-30)))
  t.throws(() => checkpointBody({ ...body, root: Buffer.alloc(31) }), TlogFormatError)
})

t.test('nodeHash is domain-separated from leafHash', async (t) => {
  const a = leafHash(Buffer.from('a'))
  const b = leafHash(Buffer.from('b'))
  t.not(nodeHash(a, b).toString('hex'), leafHash(Buffer.concat([a, b])).toString('hex'))
})
