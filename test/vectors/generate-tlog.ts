// Generates the transparency-log vectors (PROTOCOL.md §20; format: test/vectors/README.md, "tlog/"):
// entry bytes → leaf hashes, the roots of the trees of sizes 0..N, every inclusion and consistency
// proof of those trees with altered copies that must fail, checkpoint bodies, and checkpoints signed
// with the jose-v1 vector keys (keys.json). Everything but the signatures is deterministic.
//   npx tsx test/vectors/generate-tlog.ts
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { leafHash, rootHash, inclusionProof, consistencyProof, checkpointBody, type LeafHashes } from '../../src/tlog/index.js'
import { signCompact } from '../../src/crypto/jose/jws.js'
import { materialFromKeysFile, type KeysFile } from './material.js'

const OUT = fileURLToPath(new URL('./tlog/', import.meta.url))
const m = materialFromKeysFile(JSON.parse(readFileSync(fileURLToPath(new URL('./jose-v1/keys.json', import.meta.url)), 'utf8')) as KeysFile)
const hex = (b: Buffer) => b.toString('hex')
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const N = 21 // sizes 1..21 cover every shape up to a complete tree of 16 and a ragged right edge

// Entries as PROTOCOL.md §20.3 writes them: canonical JSON (RFC 8785) objects, members sorted, no
// whitespace. Written here with their members already in order (plain ASCII values only).
const mid = (n: number) => `5a2a0ba0-0000-4000-8000-${String(n).padStart(12, '0')}`
const at = (n: number) => new Date(Date.UTC(2026, 10, 25, 3, 10, n)).toISOString()
const env = (n: number) => sha256(`envelope ${n}`)
function entry(i: number): string {
  const base = { agency: 'moi', at: at(i) }
  const kinds = [
    () => ({ ...base, kind: 'letter', letter: `L-${i}`, envelopeSha256: env(i), mid: mid(i), profile: 'jose-v1', to: 'mof', type: 'message.sent' }),
    () => ({ ...base, mid: mid(i - 1), receiptSha256: sha256(`receipt ${i}`), receivedAt: at(i), to: 'mof', type: 'message.delivered' }),
    () => ({ agency: 'moi', at: at(i), envelopeSha256: env(100 + i), from: 'dga', mid: mid(100 + i), profile: 'cms-v1', receivedAt: at(i), to: 'moi', type: 'message.received' }),
    () => ({ ...base, book: 'receive', letter: mid(100 + i - 1), number: i, type: 'register.taken', year: 2026 }),
  ]
  const o = kinds[i % kinds.length]!() as Record<string, unknown>
  const sorted = Object.fromEntries(Object.keys({ ...o, v: 1 }).sort().map((k) => [k, k === 'v' ? 1 : o[k]]))
  return JSON.stringify(sorted)
}
const entries = Array.from({ length: N }, (_, i) => Buffer.from(entry(i), 'utf8'))
const hashes = entries.map(leafHash)
const leaves: LeafHashes = (a, b) => hashes.slice(a, b)
const roots = Array.from({ length: N + 1 }, (_, n) => rootHash(n, leaves))

const flip = (b: Buffer, i = 0) => { const c = Buffer.from(b); c[i] = c[i]! ^ 0x01; return c }

// ---- tree.json
const tree = {
  description: 'RFC 9162 §2.1.1 over the entries below: leafHash = SHA-256(0x00 || entry bytes); roots[n] = MTH of the first n entries (n = 0: SHA-256 of nothing).',
  entries: entries.map((e, i) => ({ index: i, entry: e.toString('utf8'), entryHex: hex(e), leafHash: hex(hashes[i]!) })),
  roots: roots.map((r, size) => ({ size, root: hex(r) })),
}

// ---- inclusion.json
interface Inc { description?: string; index: number; size: number; leafHash: string; root: string; proof: string[]; valid: boolean }
const inclusion: Inc[] = []
for (let size = 1; size <= N; size++) {
  for (let index = 0; index < size; index++) {
    inclusion.push({ index, size, leafHash: hex(hashes[index]!), root: hex(roots[size]!), proof: inclusionProof(index, size, leaves).map(hex), valid: true })
  }
}
const base = (index: number, size: number) => ({ index, size, leafHash: hex(hashes[index]!), root: hex(roots[size]!), proof: inclusionProof(index, size, leaves) })
const badInclusion = (description: string, index: number, size: number, edit: (c: ReturnType<typeof base>) => { index?: number; size?: number; leafHash?: string; root?: string; proof?: Buffer[] }): Inc => {
  const c = base(index, size)
  const e = { ...c, ...edit(c) }
  return { description, index: e.index, size: e.size, leafHash: e.leafHash, root: e.root, proof: e.proof.map(hex), valid: false }
}
inclusion.push(
  badInclusion('one bit of a proof hash flipped', 5, 13, (c) => ({ proof: [c.proof[0]!, flip(c.proof[1]!), ...c.proof.slice(2)] })),
  badInclusion('the last proof hash missing', 5, 13, (c) => ({ proof: c.proof.slice(0, -1) })),
  badInclusion('an extra proof hash', 5, 13, (c) => ({ proof: [...c.proof, c.proof[0]!] })),
  badInclusion('two proof hashes swapped', 5, 13, (c) => ({ proof: [c.proof[1]!, c.proof[0]!, ...c.proof.slice(2)] })),
  badInclusion('the proof of the neighbouring index', 5, 13, () => ({ index: 4 })),
  badInclusion('the right proof and root with the size of a deeper tree (25); note that some wrong sizes (e.g. 9 or 14 here) give the same path: the size must come from the signed checkpoint', 5, 13, () => ({ size: 25 })),
  badInclusion('the root of another size', 5, 13, () => ({ root: hex(roots[12]!) })),
  badInclusion('the entry hashed without the 0x00 prefix (SHA-256 of the entry alone)', 5, 13, () => ({ leafHash: sha256(entries[5]!) })),
  badInclusion('the leaf hash of another entry', 5, 13, () => ({ leafHash: hex(hashes[6]!) })),
  badInclusion('index equal to the size', 12, 13, () => ({ index: 13 })),
  badInclusion('a one-entry tree with a proof hash', 0, 1, () => ({ proof: [hashes[1]!] })),
  badInclusion('a proof hash of 31 bytes', 5, 13, (c) => ({ proof: [c.proof[0]!.subarray(0, 31), ...c.proof.slice(1)] })),
  badInclusion('the last entry of a ragged tree with the proof of a complete one', 20, 21, () => ({ proof: inclusionProof(20, 21, leaves).slice(1) })),
)

// ---- consistency.json
interface Con { description?: string; from: number; to: number; fromRoot: string; toRoot: string; proof: string[]; valid: boolean }
const consistency: Con[] = []
for (let to = 1; to <= N; to++) {
  for (let from = 1; from <= to; from++) {
    consistency.push({ from, to, fromRoot: hex(roots[from]!), toRoot: hex(roots[to]!), proof: consistencyProof(from, to, leaves).map(hex), valid: true })
  }
}
const badConsistency = (description: string, from: number, to: number, edit: (p: Buffer[]) => { from?: number; to?: number; fromRoot?: string; toRoot?: string; proof?: Buffer[] }): Con => {
  const p = consistencyProof(from, to, leaves)
  const e = { from, to, fromRoot: hex(roots[from]!), toRoot: hex(roots[to]!), proof: p, ...edit(p) }
  return { description, from: e.from, to: e.to, fromRoot: e.fromRoot, toRoot: e.toRoot, proof: e.proof.map(hex), valid: false }
}
const forked = (() => { // the same 13 first entries with entry 7 rewritten: a fork
  const h = [...hashes]
  h[7] = leafHash(Buffer.from(entry(7).replace('"number":7', '"number":8'), 'utf8'))
  return rootHash(13, (a, b) => h.slice(a, b))
})()
consistency.push(
  badConsistency('one bit of a proof hash flipped', 7, 13, (p) => ({ proof: [flip(p[0]!), ...p.slice(1)] })),
  badConsistency('the last proof hash missing', 7, 13, (p) => ({ proof: p.slice(0, -1) })),
  badConsistency('an extra proof hash', 7, 13, (p) => ({ proof: [...p, p[0]!] })),
  badConsistency('a rewritten history: the old root of a tree whose entry 7 differs (a fork)', 13, 21, () => ({ fromRoot: hex(forked) })),
  badConsistency('the new tree smaller than the old (a truncation)', 13, 13, () => ({ from: 13, to: 12, toRoot: hex(roots[12]!) })),
  badConsistency('equal sizes with different roots', 13, 13, () => ({ toRoot: hex(forked) })),
  badConsistency('equal sizes with a non-empty proof', 13, 13, () => ({ proof: [hashes[0]!] })),
  badConsistency('an old size that is a power of two, with the old root prepended to the proof', 8, 13, (p) => ({ proof: [roots[8]!, ...p] })),
  badConsistency('the right proof for the wrong old size', 6, 13, () => ({ from: 5, fromRoot: hex(roots[5]!) })),
  badConsistency('from 0 with a proof hash (the empty tree needs none)', 1, 13, (p) => ({ from: 0, fromRoot: hex(roots[0]!), proof: p })),
)

// ---- checkpoints.json
const T = '2026-11-25T03:11:00.000Z'
const bodies = [
  { origin: 'saraban/v1/log/moi', size: 13, root: roots[13]!, time: T },
  { origin: 'saraban/v1/log/mof', size: 0, root: roots[0]!, time: '2026-11-25T00:00:00.000Z' },
  { origin: 'saraban/v1/log/dga', size: 21, root: roots[21]!, time: '2026-11-25T03:11:59.999Z' },
]
const bodyCases = [
  ...bodies.map((b) => ({ description: `${b.origin} at size ${b.size}`, body: checkpointBody(b), expect: { origin: b.origin, size: b.size, root: b.root.toString('base64'), rootHex: hex(b.root), time: b.time } })),
  ...[
    ['no final newline', checkpointBody(bodies[0]!).slice(0, -1)],
    ['the size with a leading zero', checkpointBody(bodies[0]!).replace('\n13\n', '\n013\n')],
    ['the root in base64url', checkpointBody({ ...bodies[0]!, root: Buffer.alloc(32, 0xfb) }).replace(/[+/]/g, (c) => (c === '+' ? '-' : '_'))],
    ['the root without its padding', checkpointBody(bodies[0]!).replace(/=\n/, '\n')],
    ['a root of 31 bytes', `saraban/v1/log/moi\n13\n${Buffer.alloc(31).toString('base64')}\ntime ${T}\n`],
    ['no time line', `saraban/v1/log/moi\n13\n${roots[13]!.toString('base64')}\n`],
    ['a fifth line', checkpointBody(bodies[0]!) + 'other extension\n'],
    ['CR LF line ends', checkpointBody(bodies[0]!).replace(/\n/g, '\r\n')],
    ['a time with an offset instead of Z', checkpointBody(bodies[0]!).replace('Z\n', '+07:00\n')],
    ['a negative size', checkpointBody(bodies[0]!).replace('\n13\n', '\n-13\n')],
  ].map(([description, body]) => ({ description, body, expect: { error: 'malformed' } })),
]

const moi = m.agencies['moi']!.signer
const mof = m.agencies['mof']!.signer
const sign = (body: string, signer = moi, alg?: string, typ = 'saraban-checkpoint+jws') => signCompact(typ, Buffer.from(body, 'utf8'), signer, alg === undefined ? {} : { alg }).toString('latin1')
const tamperSig = (jws: string) => { const [h, p, s] = jws.split('.'); return `${h}.${p}.${flip(Buffer.from(s!, 'base64url'), 5).toString('base64url')}` }
const withHeader = (header: object, body: string, signer = moi) => {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(body).toString('base64url')}`
  const probe = sign(body, signer, 'RS256')
  return `${input}.${probe.split('.')[2]}` // a signature over another header: must fail whatever the header says
}
const x5c = (s: typeof moi) => s.chain.map((c) => c.raw.toString('base64'))
const leaf = (s: typeof moi) => sha256(s.chain[0]!.raw)
const moiBody = checkpointBody(bodies[0]!)
const mofBody = checkpointBody({ origin: 'saraban/v1/log/mof', size: 21, root: roots[21]!, time: T })
const signed = [
  { description: 'moi, RS256', agency: 'moi', jws: sign(moiBody, moi, 'RS256'), expect: { body: moiBody, signerLeafSha256: leaf(moi) } },
  { description: 'moi, PS256', agency: 'moi', jws: sign(moiBody, moi, 'PS256'), expect: { body: moiBody, signerLeafSha256: leaf(moi) } },
  { description: 'mof, ES256', agency: 'mof', jws: sign(mofBody, mof), expect: { body: mofBody, signerLeafSha256: leaf(mof) } },
  { description: 'one bit of the signature flipped', agency: 'moi', jws: tamperSig(sign(moiBody, moi, 'RS256')), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'jws' } },
  { description: 'the typ of a receipt', agency: 'moi', jws: sign(moiBody, moi, 'RS256', 'saraban-receipt+jws'), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'jws' } },
  { description: 'alg none', agency: 'moi', jws: `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'saraban-checkpoint+jws', x5c: x5c(moi) })).toString('base64url')}.${Buffer.from(moiBody).toString('base64url')}.`, expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'jws' } },
  { description: 'a header member the format does not define (kid)', agency: 'moi', jws: withHeader({ alg: 'RS256', typ: 'saraban-checkpoint+jws', x5c: x5c(moi), kid: 'x' }, moiBody), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'jws' } },
  { description: 'a valid signature over a body that is not a checkpoint (size with a leading zero)', agency: 'moi', jws: sign(moiBody.replace('\n13\n', '\n013\n'), moi, 'RS256'), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'body' } },
  { description: 'signed by mof with the origin of moi\'s log: valid as a JWS, refused as a checkpoint of moi (the signer is not of the origin\'s agency)', agency: 'moi', jws: sign(moiBody, mof), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'signer', signerLeafSha256: leaf(mof) } },
  { description: 'moi\'s own checkpoint presented as mof\'s log', agency: 'mof', jws: sign(moiBody, moi, 'RS256'), expect: { error: 'ERR_CHECKPOINT_INVALID', stage: 'origin', signerLeafSha256: leaf(moi) } },
]

const checkpoints = {
  description: 'PROTOCOL.md §20.4. bodies: the C2SP tlog-checkpoint text (expect.error "malformed": a verifier refuses it). signed: compact JWS, protected header exactly {alg, typ "saraban-checkpoint+jws", x5c} (keys: ../jose-v1/keys.json); "agency" is whose log the verifier expects. stage says which check refuses an invalid one: jws (header, alg, signature), body (not a checkpoint body), origin (the origin is not saraban/v1/log/<agency>), signer (the x5c leaf is not a signing certificate of <agency>: keys.json agencies[agency].signing.x5c[0] here, the directory in a real federation).',
  bodies: bodyCases,
  signed,
}

// ---- inclusions.json: `proof/inclusions` (§20.5) of moi's log holding the first N entries of tree.json,
// each request's query string and the exact answer body (or the refusal: status, code, field).
const b64 = (b: Buffer) => b.toString('base64')
const answer = (pairs: Array<[number, number]>) => JSON.stringify({ proofs: pairs.map(([index, size]) => ({ size, index, proof: inclusionProof(index, size, leaves).map(b64) })) })
const query = (pairs: Array<[number, number]>) => `index=${pairs.map((p) => p[0]).join(',')}&size=${pairs.map((p) => p[1]).join(',')}`
const asked: Array<[string, Array<[number, number]>]> = [
  ['one pair: as proof/inclusion answers it, in a list', [[5, 13]]],
  ['pairs of different sizes, in the order asked (not sorted)', [[20, 21], [0, 1], [7, 8], [7, 21], [12, 16]]],
  ['the same pair twice', [[3, 4], [3, 4]]],
]
const refused = [
  { description: 'a size beyond the head (the second pair)', query: 'index=0,0&size=1,22', expect: { status: 400, code: 'ERR_LOG_RANGE', field: 'size' } },
  { description: 'an index not below its size', query: 'index=4&size=4', expect: { status: 400, code: 'ERR_LOG_RANGE', field: 'index' } },
  { description: 'fewer sizes than indices', query: 'index=0,1&size=2', expect: { status: 400, code: 'ERR_REQUEST_INVALID', field: 'size' } },
  { description: '65 pairs', query: `index=${Array(65).fill(0).join(',')}&size=${Array(65).fill(1).join(',')}`, expect: { status: 400, code: 'ERR_REQUEST_INVALID', field: 'index' } },
  { description: 'an empty item', query: 'index=0,,1&size=2,2,2', expect: { status: 400, code: 'ERR_REQUEST_INVALID', field: 'index' } },
  { description: 'a leading zero', query: 'index=01&size=2', expect: { status: 400, code: 'ERR_REQUEST_INVALID', field: 'index' } },
]
const inclusions = {
  description: `PROTOCOL.md §20.5 GET /federation/v1/log/moi/proof/inclusions?<query> against moi's log holding the first ${N} entries of tree.json: the exact answer body (application/json), or the refusal (problem+json status, code, field). Proofs are standard base64 here, as on the wire.`,
  cases: [
    ...asked.map(([description, pairs]) => ({ description, query: query(pairs), expect: { status: 200, body: answer(pairs) } })),
    ...refused,
  ],
}

// ---- log-proof-header.json: the Saraban-Log-Proof response header (§20.5) against the trees of tree.json:
// a receipt whose log.index is `index` and whose checkpoint signs `size` and roots[size]; the header's
// value as sent, and whether the sender keeps it (else it asks for the proof, with the reason).
const header = (index: number, size: number, proof = inclusionProof(index, size, leaves)) => JSON.stringify({ size, index, proof: proof.map(b64) })
const flipped = (p: Buffer[]) => p.map((h, i) => (i === 0 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h))
const proofHeader = {
  description: 'PROTOCOL.md §20.5 "The proof with the receipt": a receipt whose log.index is `index` and whose checkpoint signs `size` with root roots[size] of tree.json, answered with response header Saraban-Log-Proof: `value`. The sender keeps the proof (expect "kept") only when the value is the proof/inclusion answer for exactly that index and size and the proof leads from leafHash(entries[index]) to that root; otherwise it asks GET proof/inclusion as before (expect "asked"). The header never refuses the receipt.',
  cases: [
    { description: 'the proof of entry 5 in the tree of 13', index: 5, size: 13, value: header(5, 13), expect: 'kept' },
    { description: 'the first entry of a tree of one: no hashes', index: 0, size: 1, value: header(0, 1), expect: 'kept' },
    { description: 'the last entry of a ragged tree', index: 20, size: 21, value: header(20, 21), expect: 'kept' },
    { description: 'members in another order (any JSON object with exactly these members)', index: 5, size: 13, value: JSON.stringify({ proof: inclusionProof(5, 13, leaves).map(b64), index: 5, size: 13 }), expect: 'kept' },
    { description: 'a valid proof of another entry', index: 5, size: 13, value: header(4, 13), expect: 'asked' },
    { description: 'a valid proof in a smaller tree than the checkpoint\'s', index: 5, size: 13, value: header(5, 12), expect: 'asked' },
    { description: 'one bit of the first hash flipped', index: 5, size: 13, value: header(5, 13, flipped(inclusionProof(5, 13, leaves))), expect: 'asked' },
    { description: 'the last hash missing', index: 5, size: 13, value: header(5, 13, inclusionProof(5, 13, leaves).slice(0, -1)), expect: 'asked' },
    { description: 'hashes in hex, not base64', index: 5, size: 13, value: JSON.stringify({ size: 13, index: 5, proof: inclusionProof(5, 13, leaves).map(hex) }), expect: 'asked' },
    { description: 'a member more', index: 5, size: 13, value: JSON.stringify({ size: 13, index: 5, proof: inclusionProof(5, 13, leaves).map(b64), root: b64(roots[13]!) }), expect: 'asked' },
    { description: 'numbers as strings', index: 5, size: 13, value: JSON.stringify({ size: '13', index: '5', proof: inclusionProof(5, 13, leaves).map(b64) }), expect: 'asked' },
    { description: 'not JSON', index: 5, size: 13, value: inclusionProof(5, 13, leaves).map(b64).join(','), expect: 'asked' },
  ],
}

rmSync(OUT, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })
const files: Record<string, unknown> = {
  'tree.json': tree,
  'inclusion.json': { description: 'RFC 9162 §2.1.3: every (index, size) of the trees of tree.json up to size ' + N + ', then altered proofs (valid: false). Hashes are lowercase hex.', cases: inclusion },
  'consistency.json': { description: 'RFC 9162 §2.1.4: every (from, to) with 1 ≤ from ≤ to ≤ ' + N + ' of the trees of tree.json, then altered proofs (valid: false).', cases: consistency },
  'checkpoints.json': checkpoints,
  'inclusions.json': inclusions,
  'log-proof-header.json': proofHeader,
}
for (const [name, v] of Object.entries(files)) writeFileSync(OUT + name, JSON.stringify(v, null, 2) + '\n')
console.log(`wrote ${Object.keys(files).length} files to ${OUT}: ${inclusion.length} inclusion, ${consistency.length} consistency, ${bodyCases.length} bodies, ${signed.length} signed checkpoints`)
