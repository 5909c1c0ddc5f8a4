// Runs this implementation against every transparency-log vector in test/vectors/tlog/ (format:
// test/vectors/README.md, "tlog/"; PROTOCOL.md §20): leaf hashes, roots, inclusion and consistency
// proofs (valid and altered), checkpoint bodies, and signed checkpoints checked as a receiver would.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { leafHash, rootHash, inclusionProof, consistencyProof, verifyInclusion, verifyConsistency, parseCheckpointBody, checkpointBody } from '../../src/tlog/index.js'
import { verifyCompact } from '../../src/crypto/jose/jws.js'
import { verifyCheckpoint, type VerifiedCheckpoint } from '../../src/services/log/checkpoints.js'
import type { SarabanError } from '../../src/errors.js'

const DIR = fileURLToPath(new URL('../vectors/tlog/', import.meta.url))
const load = (name: string) => JSON.parse(readFileSync(DIR + name, 'utf8'))
const hx = (s: string) => Buffer.from(s, 'hex')
const tree = load('tree.json')
const hashes: Buffer[] = tree.entries.map((e: { entry: string }) => leafHash(Buffer.from(e.entry, 'utf8')))
const leaves = (a: number, b: number) => hashes.slice(a, b)

t.test('leaf hashes and roots', async (t) => {
  for (const e of tree.entries) {
    t.equal(Buffer.from(e.entry, 'utf8').toString('hex'), e.entryHex, `entry ${e.index}: UTF-8 bytes`)
    t.equal(hashes[e.index]!.toString('hex'), e.leafHash, `entry ${e.index}: leaf hash`)
  }
  for (const r of tree.roots) t.equal(rootHash(r.size, leaves).toString('hex'), r.root, `root of size ${r.size}`)
})

t.test('inclusion proofs: ours equal the vectors, and every case verifies as it says', async (t) => {
  const cases = load('inclusion.json').cases
  t.ok(cases.filter((c: { valid: boolean }) => !c.valid).length >= 10, 'altered proofs are present')
  for (const c of cases) {
    const proof = c.proof.map(hx)
    if (c.valid) t.same(inclusionProof(c.index, c.size, leaves).map((b) => b.toString('hex')), c.proof, `proof of ${c.index} in ${c.size}`)
    t.equal(verifyInclusion(hx(c.leafHash), c.index, c.size, proof, hx(c.root)), c.valid, c.description ?? `${c.index} in ${c.size}`)
  }
})

t.test('proof/inclusions (§20.5): our answers equal the vectors byte for byte, our refusals name the same field', async (t) => {
  const { logProofs, answerLogRequest } = await import('../../src/services/log/proofs.js')
  // moi's log of the vector tree, as the node's proofs read it (leaf hashes; no subtree cache).
  const log = { head: () => ({ size: hashes.length, root: rootHash(hashes.length, leaves) }), leafHashes: () => leaves, subtrees: () => () => undefined }
  const proofs = logProofs({ log: log as never, signer: {} as never })
  for (const c of load('inclusions.json').cases) {
    const q = Object.fromEntries(new URLSearchParams(c.query))
    // A parameter given twice reaches the handler as a list (fastify's querystring parser).
    let got
    try {
      got = { status: 200, body: JSON.stringify(answerLogRequest(proofs, 'moi', 'inclusions', q)) }
    } catch (e) {
      const err = e as SarabanError
      got = { status: 400, code: err.code, field: err.field }
    }
    t.same(got, c.expect, c.description)
  }
})

t.test('Saraban-Log-Proof (§20.5): kept exactly when the vectors say, and the kept proof is what the receiver sends', async (t) => {
  const { checkLogProofHeader } = await import('../../src/federation/log-proof-header.js')
  const { logProofs } = await import('../../src/services/log/proofs.js')
  const log = { head: () => ({ size: hashes.length, root: rootHash(hashes.length, leaves) }), leafHashes: () => leaves, subtrees: () => () => undefined }
  const proofs = logProofs({ log: log as never, signer: {} as never })
  const cases = load('log-proof-header.json').cases
  t.ok(cases.filter((c: { expect: string }) => c.expect === 'asked').length >= 8, 'headers a sender must not keep are present')
  for (const c of cases) {
    const got = checkLogProofHeader(c.value, { index: c.index, size: c.size, root: rootHash(c.size, leaves), leafHash: hashes[c.index]! })
    t.equal('proof' in got ? 'kept' : 'asked', c.expect, `${c.description}${'error' in got ? ` (${got.error})` : ''}`)
  }
  // The first case is exactly what a receiver puts in the header: the proof/inclusion answer as JSON.
  t.equal(JSON.stringify(proofs.inclusion('moi', cases[0].index, cases[0].size)), cases[0].value)
})

t.test('consistency proofs: ours equal the vectors, and every case verifies as it says', async (t) => {
  const cases = load('consistency.json').cases
  t.ok(cases.filter((c: { valid: boolean }) => !c.valid).length >= 10, 'altered proofs are present')
  for (const c of cases) {
    if (c.valid) t.same(consistencyProof(c.from, c.to, leaves).map((b) => b.toString('hex')), c.proof, `proof ${c.from} → ${c.to}`)
    t.equal(verifyConsistency(c.from, c.to, hx(c.fromRoot), hx(c.toRoot), c.proof.map(hx)), c.valid, c.description ?? `${c.from} → ${c.to}`)
  }
})

t.test('checkpoint bodies', async (t) => {
  for (const c of load('checkpoints.json').bodies) {
    if (c.expect.error !== undefined) {
      t.throws(() => parseCheckpointBody(c.body), c.description)
      continue
    }
    const b = parseCheckpointBody(c.body)
    t.same({ origin: b.origin, size: b.size, root: b.root.toString('base64'), rootHex: b.root.toString('hex'), time: b.time }, c.expect, c.description)
    t.equal(checkpointBody(b), c.body, `${c.description}: written back byte for byte`)
  }
})

/** Where a receiver refuses a signed checkpoint of `agency`'s log whose signing certificate is `cert`
 *  (PROTOCOL.md §20.4, §20.6), or undefined when it accepts it. The directory's part of §20.6 (the
 *  leaf is a signing certificate of the agency) is the comparison with keys.json here. */
function checkpointVectorStage(jws: string, agency: string, cert: Buffer): { stage?: string; code?: string; leaf?: Buffer; body?: string } {
  let v: VerifiedCheckpoint
  try {
    v = verifyCheckpoint(jws)
  } catch (e) {
    const code = (e as SarabanError).code
    // which check refused it: the JWS (header, alg, signature) or the body and its origin
    try {
      const body = verifyCompact(Buffer.from(jws, 'latin1'), 'saraban-checkpoint+jws').payload.toString('utf8')
      parseCheckpointBody(body)
      return { stage: 'origin', code }
    } catch (inner) {
      return { stage: (inner as Error).name === 'TlogFormatError' ? 'body' : 'jws', code }
    }
  }
  const leaf = v.chain[0]!.raw
  const body = checkpointBody(v.body)
  if (v.agency !== agency) return { stage: 'origin', code: 'ERR_CHECKPOINT_INVALID', leaf, body }
  if (!leaf.equals(cert)) return { stage: 'signer', code: 'ERR_CHECKPOINT_INVALID', leaf, body }
  return { leaf, body }
}

t.test('signed checkpoints', async (t) => {
  const keys = JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/jose-v1/keys.json', import.meta.url)), 'utf8'))
  for (const c of load('checkpoints.json').signed) {
    const r = checkpointVectorStage(c.jws, c.agency, Buffer.from(keys.agencies[c.agency].signing.x5c[0], 'base64'))
    t.equal(r.stage, c.expect.stage, `${c.description}: ${r.stage === undefined ? 'accepted' : `refused at ${r.stage}`}`)
    if (c.expect.error !== undefined) t.equal(r.code, c.expect.error, `${c.description}: error code`)
    if (c.expect.signerLeafSha256 !== undefined) t.equal(r.leaf && createHash('sha256').update(r.leaf).digest('hex'), c.expect.signerLeafSha256)
    if (c.expect.body !== undefined) t.equal(r.body, c.expect.body)
  }
})
