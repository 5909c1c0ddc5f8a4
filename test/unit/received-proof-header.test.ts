// The recipient's inclusion proof sent with the receipt (PROTOCOL.md §20.5 "The proof with the
// receipt", §20.7): the sender keeps it only when it is for the receipt's index and checkpoint size
// and leads to the checkpoint's root; otherwise it says why, and the fetch is queued exactly as
// without a header. Real store, real signed checkpoint.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { ReceivedProofStore } from '../../src/storage/received-proofs.js'
import { checkSentProof, queueReceivedProof } from '../../src/services/evidence/received-proofs.js'
import { receivedEntry } from '../../src/services/log/received-entry.js'
import { signCheckpoint } from '../../src/services/log/checkpoints.js'
import { leafHash, rootHash, inclusionProof } from '../../src/tlog/index.js'
import type { ReceiptClaims } from '../../src/crypto/types.js'
import { testTrust } from '../helpers/federation.js'
import { signerOf } from '../vectors/fixtures.js'

const { fed } = await testTrust()
const dir = mkdtempSync(join(tmpdir(), 'saraban-proof-header-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const db = Db.open(join(dir, 'saraban.sqlite'))
t.teardown(() => db.close())
const store = new ReceivedProofStore(db)

// mof's log of 6 entries; entry 3 is the message.received entry of the receipt's claims.
const claimsOf = (mid: string): ReceiptClaims => ({ v: 1, mid, from: 'moi', to: 'mof', receivedAt: '2026-12-07T06:00:00.000Z', envelopeSha256: 'ab'.repeat(32), profile: 'jose-v1' })
const base = claimsOf('00000000-0000-4000-8000-000000000001')
const hashes = [0, 1, 2].map((i) => leafHash(Buffer.from(`filler ${i}`)))
  .concat([leafHash(receivedEntry(base))], [4, 5].map((i) => leafHash(Buffer.from(`filler ${i}`))))
const leaves = (a: number, b: number) => hashes.slice(a, b)
const checkpoint = signCheckpoint({ size: 6, root: rootHash(6, leaves), time: '2026-12-07T06:00:01.000Z' }, signerOf(fed, 'mof'))
const claims: ReceiptClaims = { ...base, log: { checkpoint, index: 3 } }
const b64 = (p: Buffer[]) => p.map((h) => h.toString('base64'))
const header = (index: number, size: number, proof = inclusionProof(index, size, leaves)) => JSON.stringify({ size, index, proof: b64(proof) })

t.test('a header that checks gives the proof', async (t) => {
  t.same(b64(checkSentProof(claims, header(3, 6)).proof!), b64(inclusionProof(3, 6, leaves)))
  t.equal(checkSentProof(claims, header(3, 6)).refused, undefined)
})

t.test('no header, or one that does not check: no proof, and why', async (t) => {
  const flipped = inclusionProof(3, 6, leaves).map((h, i) => (i === 0 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h))
  t.same(checkSentProof(claims, undefined), {}, 'no header: nothing to say')
  t.same(checkSentProof(base, header(3, 6)), {}, 'a receipt without log: nothing to check against')
  const cases: Array<[string, string, RegExp]> = [
    ['a valid proof of another entry', header(2, 6), /entry 2, the receipt's is 3/],
    ['a valid proof in a smaller tree', header(3, 5), /tree of 5, the receipt's checkpoint signs 6/],
    ['a flipped bit', header(3, 6, flipped), /does not lead to the root/],
    ['not JSON', 'abc', /not JSON/],
    ['a member more', JSON.stringify({ size: 6, index: 3, proof: b64(inclusionProof(3, 6, leaves)), root: 'x' }), /exactly the members/],
  ]
  for (const [what, value, reason] of cases) {
    const r = checkSentProof(claims, value)
    t.equal(r.proof, undefined, `${what}: no proof`)
    t.match(r.refused, reason, `${what}: says why`)
  }
})

t.test('without a proof that checks, the fetch is queued, due after the gathering window', async (t) => {
  t.equal(await db.write(() => queueReceivedProof(store, claims.mid, claims, 1000)), true)
  const row = store.get(claims.mid)!
  t.same([row.agency, row.index, row.size, row.proof, row.checkpoint], ['mof', 3, 6, undefined, checkpoint])
  t.ok(row.entry.equals(receivedEntry(base)), 'the entry rebuilt from the claims')
  t.same(store.due(1499, 10), [], 'not due inside the window')
  t.same(store.due(1500, 10).map((d) => d.messageId), [claims.mid])
  t.equal(await db.write(() => queueReceivedProof(store, 'no-log', base, 1000)), false, 'a receipt without log: nothing to queue')
  t.equal(store.get('no-log'), undefined)
})
