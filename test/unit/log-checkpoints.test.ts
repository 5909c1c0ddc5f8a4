// Checkpoints (PROTOCOL.md §20.4): signed and verified as a JWS of the agency's signing key, trusted
// only as the log of the agency that signed it; receipts with `log` (§6.2) and the vector that lets
// another implementation check a receipt's checkpoint from the claims alone; the coalescing signer.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { testTrust } from '../helpers/federation.js'
import { signerOf } from '../vectors/fixtures.js'
import { craftJws, x5cOf } from '../vectors/craft.js'
import { CHECKPOINT_TYP, checkCheckpointSigner, signCheckpoint, verifyCheckpoint } from '../../src/services/log/checkpoints.js'
import { CheckpointSigner } from '../../src/services/log/checkpoint-signer.js'
import type { LocalLog } from '../../src/services/log/local-log.js'
import { receivedEntry } from '../../src/services/log/received-entry.js'
import { verifyV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { verifyCmsReceipt } from '../../src/crypto/cms/v1-receipt.js'
import { decodePayload } from '../../src/crypto/payload.js'
import { leafHash } from '../../src/tlog/hash.js'
import { foldLeaves } from '../../src/tlog/tree.js'
import { createLogger } from '../../src/log.js'
import { LOG_FILLER } from '../vectors/log-fixture.js'

const { fed, anchors, directory } = await testTrust()
const mof = signerOf(fed, 'mof')
const moi = signerOf(fed, 'moi')
const root = Buffer.alloc(32, 7)
const time = new Date().toISOString()
const code = (fn: () => unknown) => { try { fn(); return 'none' } catch (e) { return (e as { code?: string }).code } }

t.test('a checkpoint verifies as the log of the agency whose signing key signed it', async (t) => {
  for (const signer of [mof, moi]) { // ES256 and RS256
    const jws = signCheckpoint({ size: 5, root, time }, signer)
    const c = verifyCheckpoint(jws)
    t.equal(c.agency, signer.agency)
    t.same({ origin: c.body.origin, size: c.body.size, root: c.body.root, time: c.body.time }, { origin: `saraban/v1/log/${signer.agency}`, size: 5, root, time })
    await checkCheckpointSigner(c, signer.agency, { anchors, directory })
    await t.rejects(checkCheckpointSigner(c, signer.agency === 'moi' ? 'mof' : 'moi', { anchors, directory }), { code: 'ERR_CHECKPOINT_INVALID' })
  }
})

t.test('defects are ERR_CHECKPOINT_INVALID', async (t) => {
  const header = { alg: 'ES256', typ: CHECKPOINT_TYP, x5c: x5cOf(mof.chain) }
  const body = `saraban/v1/log/mof\n5\n${root.toString('base64')}\ntime ${time}\n`
  t.equal(code(() => verifyCheckpoint(craftJws(header, body, mof.key))), 'none', 'the crafted one is good')
  const bad: Array<[string, Buffer]> = [
    ['receipt typ', craftJws({ ...header, typ: 'saraban-receipt+jws' }, body, mof.key)],
    ['no final newline', craftJws(header, body.slice(0, -1), mof.key)],
    ['another origin', craftJws(header, body.replace('saraban/v1/log/', 'example.org/log/'), mof.key)],
    ['a fifth line', craftJws(header, body + 'extra\n', mof.key)],
    ['signed by another key', craftJws(header, body, moi.key)],
  ]
  for (const [what, jws] of bad) t.equal(code(() => verifyCheckpoint(jws)), 'ERR_CHECKPOINT_INVALID', what)
})

t.test('vectors: the receipt\'s checkpoint root is computed from its claims alone (PROTOCOL.md §20.5)', async (t) => {
 for (const family of ['jose-v1', 'cms-v1']) {
  const dir = new URL(`../vectors/${family}/receipts/`, import.meta.url)
  const file = readdirSync(dir).find((f) => f.endsWith('-valid-with-log.json'))!
  const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { receipt: string }
  const { claims } = family === 'jose-v1' ? verifyV1Receipt(Buffer.from(v.receipt, 'latin1')) : verifyCmsReceipt(Buffer.from(v.receipt, 'base64'))
  const c = verifyCheckpoint(claims.log!.checkpoint)
  t.equal(c.agency, claims.to)
  const leaves = [...LOG_FILLER, receivedEntry(claims)].map((e) => leafHash(e))
  t.equal(claims.log!.index, 2)
  t.ok(foldLeaves(leaves).equals(c.body.root), family)
 }
})

t.test('envelopes: "checkpoint" is optional in the signed payload and must be a compact JWS', async (t) => {
  const p = { v: 1, mid: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', from: 'moi', to: 'mof', sentAt: time, letter: {} }
  t.equal(code(() => decodePayload(Buffer.from(JSON.stringify(p)))), 'none')
  t.equal(code(() => decodePayload(Buffer.from(JSON.stringify({ ...p, checkpoint: signCheckpoint({ size: 1, root, time }, moi) })))), 'none')
  t.equal(code(() => decodePayload(Buffer.from(JSON.stringify({ ...p, checkpoint: 'not a jws' })))), 'ERR_ENVELOPE_MALFORMED')
  t.equal(code(() => decodePayload(Buffer.from(JSON.stringify({ ...p, checkpoint: 3 })))), 'ERR_ENVELOPE_MALFORMED')
})

t.test('the coalescing signer: receipts waiting together share one signature', async (t) => {
  let size = 0
  const saved: number[] = []
  const log: LocalLog = {
    agencies: () => ['mof'], head: () => ({ size, root }), leafHashes: () => () => [], subtrees: () => () => undefined,
    entries: () => [], indexOf: () => undefined, latestCheckpoint: () => undefined,
    saveCheckpoint: async (_a, s) => { saved.push(s) }, keepCheckpoint: (_a, s) => { saved.push(s) },
  }
  const signer = new CheckpointSigner({ log, signer: () => mof, clock: { now: () => Date.now() }, logger: createLogger('silent') })
  size = 10 // ten entries committed, ten receipts waiting
  const all = await Promise.all(Array.from({ length: 10 }, (_, i) => signer.covering('mof', i)))
  t.equal(new Set(all).size, 1, 'one checkpoint for all')
  t.equal(signer.signatures, 1)
  t.equal(verifyCheckpoint(all[0]!).body.size, 10)
  t.equal(await signer.covering('mof', 3), all[0], 'an entry already covered: no new signature')
  t.equal(signer.signatures, 1)
  size = 11
  t.equal(verifyCheckpoint(await signer.covering('mof', 10)).body.size, 11)
  t.equal(signer.signatures, 2)
  await t.rejects(signer.covering('mof', 11), /not committed/, 'an entry the log does not hold is never covered')
  t.equal(signer.signGrown(), 0, 'the periodic signer: nothing grew')
  size = 12
  t.equal(signer.signGrown(), 1)
  t.same(saved, [10, 11, 12])
})

t.test('the periodic signer under a leader gate (issue 19 item 2): the leader signs; another process takes up what it kept', async (t) => {
  let size = 5
  const kept = new Map<string, { size: number; jws: string }>()
  const log: LocalLog = {
    agencies: () => ['mof'], head: () => ({ size, root }), leafHashes: () => () => [], subtrees: () => () => undefined,
    entries: () => [], indexOf: () => undefined, latestCheckpoint: (a) => kept.get(a),
    saveCheckpoint: async (a, s, jws) => { kept.set(a, { size: s, jws }) }, keepCheckpoint: (a, s, jws) => { kept.set(a, { size: s, jws }) },
  }
  const deps = { log, signer: () => mof, clock: { now: () => Date.now() }, logger: createLogger('silent') }
  const leader = new CheckpointSigner(deps)
  const other = new CheckpointSigner(deps) // another process of the node: same database, its own memory
  let asked = 0
  leader.start(1, { leads: async () => true })
  other.start(1, { leads: async () => { asked++; return false } })
  t.teardown(() => { leader.close(); other.close() })
  const until = async (fn: () => boolean) => { for (const end = Date.now() + 10_000; !fn(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error('timed out') }
  await until(() => leader.signatures === 1 && kept.get('mof')?.size === 5)
  const seen = asked
  await until(() => asked > seen) // a tick of the other process after the leader kept its checkpoint
  await new Promise((r) => setImmediate(r))
  t.equal(other.signatures, 0, 'the process that does not lead signs nothing')
  t.equal(other.latest('mof'), kept.get('mof')!.jws, 'and hands out the checkpoint the leader kept')
  size = 7
  await until(() => leader.signatures === 2 && kept.get('mof')?.size === 7)
  const then = asked
  await until(() => asked > then)
  await new Promise((r) => setImmediate(r))
  t.equal(verifyCheckpoint(other.latest('mof')!).body.size, 7, 'a later tick takes up the newer one')
  t.equal(other.adoptKept(), 0, 'nothing newer is kept')
  t.equal(other.signatures, 0)
})

t.test('a larger tree never carries an earlier time: a clock stepped back, another process behind (§20.4, §20.6; issue 19 item 2)', async (t) => {
  let size = 0
  const kept = new Map<string, { size: number; jws: string; time: string }>()
  const keep = (a: string, s: number, jws: string) => { kept.set(a, { size: s, jws, time: verifyCheckpoint(jws).body.time }) }
  const log: LocalLog = {
    agencies: () => ['mof'], head: () => ({ size, root }), leafHashes: () => () => [], subtrees: () => () => undefined,
    entries: () => [], indexOf: () => undefined, latestCheckpoint: (a) => kept.get(a),
    saveCheckpoint: async (a, s, jws) => keep(a, s, jws), keepCheckpoint: keep,
  }
  let clockA = Date.parse('2026-12-07T10:00:00.000Z')
  const a = new CheckpointSigner({ log, signer: () => mof, clock: { now: () => clockA }, logger: createLogger('silent') })
  size = 1
  const first = verifyCheckpoint(a.signUncommitted('mof').jws).body
  clockA -= 60_000 // NTP steps the clock back a minute
  size = 2
  const second = verifyCheckpoint(a.signUncommitted('mof').jws).body
  t.equal(second.time, first.time, 'after the step back: not earlier than the last one')
  // Another process of the node (its own signer, same database) whose clock is 5 s behind.
  const b = new CheckpointSigner({ log, signer: () => mof, clock: { now: () => Date.parse('2026-12-07T09:59:55.000Z') }, logger: createLogger('silent') })
  size = 3
  const third = verifyCheckpoint(b.signUncommitted('mof').jws).body
  t.ok(Date.parse(third.time) >= Date.parse(second.time), `b signs size 3 at ${third.time}, not before size 2's ${second.time}`)
  clockA = Date.parse('2026-12-07T10:00:07.000Z')
  size = 4
  t.equal(verifyCheckpoint(a.current('mof')!).body.time, '2026-12-07T10:00:07.000Z', 'a clock ahead again is used as it is')
})
