// Peers as witnesses (PROTOCOL.md §20.5, §20.6), between real nodes over real mTLS: every receipt
// carries the recipient's checkpoint including the letter's message.received entry; the sender keeps
// it; an audit proves the recipient's log consistent; a recipient restored from an older backup, and
// one whose log was rewritten, are caught at the next audit (event log.inconsistent, /healthz degraded,
// both checkpoints kept).
import tap, { type Test } from 'tap'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { testNet, call, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'
import { receiptFromText } from '../../src/crypto/profiles.js'
import { verifyV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { verifyCheckpoint } from '../../src/services/log/checkpoints.js'
import { receivedEntry } from '../../src/services/log/received-entry.js'
import { auditAll } from '../../src/services/log/audit.js'
import { leafHash } from '../../src/tlog/hash.js'
import { verifyInclusion } from '../../src/tlog/verify.js'
import { appendLeaf } from '../../src/storage/log.js'
import { auditRun } from '../../src/cli/log/audit.js'

async function deliver(from: TestNode, to: string): Promise<string> {
  const sent = await call(from, 'POST', '/api/v1/letters', { letter: thaiLetter([to]) })
  if (sent.status !== 202) throw new Error(JSON.stringify(sent.body))
  const done = await waitForRecipient(from, sent.body.id, 'delivered')
  return done.recipients[0].receipt as string
}

/** moi and mof running, with `letters` letters delivered moi → mof. */
async function exchanged(t: Test, profile: string, letters: number): Promise<{ moi: TestNode; mof: TestNode }> {
  const net: TestNet = await testNet(['moi', 'mof'], { profiles: [profile] })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()
  for (let i = 0; i < letters; i++) await deliver(moi, 'mof')
  return { moi, mof }
}

/** Runs `saraban-node log audit` in this process, its lines kept off TAP's stdout. */
async function cli(argv: string[]): Promise<number> {
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    return await auditRun(argv)
  } finally {
    process.stdout.write = write
  }
}

const dataDir = (n: TestNode): string => join(n.configFile, '..', 'data')
const inconsistentEvents = (n: TestNode): number =>
  n.ctx!.db.sqlite.prepare(`SELECT count(*) FROM events WHERE type = 'log.inconsistent'`).pluck().get() as number

tap.test('a receipt carries the checkpoint of the recipient log that includes its entry', async (t) => {
  const { moi, mof } = await exchanged(t, 'jose-v1', 0)
  const receipt = verifyV1Receipt(receiptFromText('jose-v1', await deliver(moi, 'mof')))
  const log = receipt.claims.log!
  t.ok(log, 'the receipt has a log member')
  const cp = verifyCheckpoint(log.checkpoint)
  t.equal(cp.agency, 'mof')
  t.ok(log.index < cp.body.size)
  // The sender rebuilds the entry from the claims alone and checks the recipient's inclusion proof.
  const proof = mof.ctx!.logWitness.proofs.inclusion('mof', log.index, cp.body.size)
  t.ok(verifyInclusion(leafHash(receivedEntry(receipt.claims)), log.index, cp.body.size, proof.proof.map((h) => Buffer.from(h, 'base64')), cp.body.root))
  // …and the sender kept that checkpoint as a witness.
  t.ok(moi.ctx!.logWitness.peerCheckpoints.held('mof').some((h) => h.jws === log.checkpoint))
  // The recipient kept the sender's checkpoint from the envelopes.
  t.ok(mof.ctx!.logWitness.peerCheckpoints.held('moi').length > 0, 'the sender\'s checkpoint came in an envelope')
  // `saraban-node log audit` asks the node over its REST API.
  t.equal(await cli(['--api', moi.apiUrl!, '--key', moi.apiKey]), 0, 'log audit: consistent')
  t.equal(moi.ctx!.logWitness.peerCheckpoints.held('mof').length <= 2, true, 'proved checkpoints are forgotten but the oldest and newest')
  // The REST API serves the agency's own log to its key, and nobody else's.
  const cpAnswer = await fetch(new URL('/api/v1/log/mof/checkpoint', mof.apiUrl), { headers: { authorization: `Bearer ${mof.apiKey}` } })
  t.equal(cpAnswer.status, 200)
  t.equal(verifyCheckpoint(await cpAnswer.text()).agency, 'mof')
  t.equal((await call(moi, 'GET', '/api/v1/log/mof/checkpoint')).body.code, 'ERR_FORBIDDEN')
  t.equal((await call(mof, 'GET', '/api/v1/log/mof/proof/inclusion?index=0&size=100000')).body.code, 'ERR_LOG_RANGE')
  t.match((await call(moi, 'GET', '/api/v1/log/peers')).body, { peers: [{ agency: 'mof' }], misbehaviour: [] })
  t.equal(inconsistentEvents(moi), 0)
})

tap.test('a peer restored from an older backup is caught at the next audit', async (t) => {
  const { moi, mof } = await exchanged(t, 'jose-v1', 2)
  // The backup: a copy of mof's data directory, taken with the node stopped.
  await mof.stop()
  const backup = join(dataDir(mof), '..', 'data-backup')
  cpSync(dataDir(mof), backup, { recursive: true })
  await mof.start()
  await deliver(moi, 'mof')
  await deliver(moi, 'mof')
  t.match(await auditAll(moi.ctx!.logWitness.audit), [{ agency: 'mof', outcome: 'consistent' }])
  // The old copy is put back.
  await mof.stop()
  rmSync(dataDir(mof), { recursive: true, force: true })
  cpSync(backup, dataDir(mof), { recursive: true })
  await mof.start()
  const audits = await auditAll(moi.ctx!.logWitness.audit)
  t.match(audits, [{ agency: 'mof', outcome: 'inconsistent', kind: 'backwards' }])
  t.equal(inconsistentEvents(moi), 1, 'event log.inconsistent for the hosted agency')
  const kept = moi.ctx!.logWitness.peerCheckpoints.misbehaviour({ agency: 'mof' })
  t.equal(kept.length, 1)
  const [first, second] = [verifyCheckpoint(kept[0]!.firstJws), verifyCheckpoint(kept[0]!.secondJws)]
  t.ok(first.body.size > second.body.size, 'both checkpoints, as mof signed them: the larger one first')
  const health = await call(moi, 'GET', '/healthz')
  t.equal(health.body.status, 'degraded')
  t.match(health.body.checks, [{ name: 'log-witness', status: 'degraded' }])
  // A second audit (`saraban-node log audit`) keeps the one proof and raises no second event.
  t.equal(await cli(['--api', moi.apiUrl!, '--key', moi.apiKey]), 1, 'log audit: exit 1')
  t.match((await call(moi, 'GET', '/api/v1/log/peers')).body.misbehaviour, [{ agency: 'mof', kind: 'backwards' }])
  t.equal(inconsistentEvents(moi), 1)
})

tap.test('a rewritten log is caught at the next audit', async (t) => {
  const { moi, mof } = await exchanged(t, 'jose-v1', 2)
  t.match(await auditAll(moi.ctx!.logWitness.audit), [{ agency: 'mof', outcome: 'consistent' }])
  // Whoever runs mof rewrites its first entry and rebuilds the whole tree (and forgets the checkpoints
  // it signed), so that mof itself sees a well-formed log.
  await mof.stop()
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(join(dataDir(mof), 'saraban.sqlite'))
  const entries = db.prepare(`SELECT entry FROM log_entries WHERE agency = 'mof' ORDER BY idx`).pluck().all() as Buffer[]
  db.exec(`DELETE FROM log_entries WHERE agency = 'mof'; DELETE FROM log_nodes WHERE agency = 'mof'; DELETE FROM log_heads WHERE agency = 'mof'; DELETE FROM log_checkpoints WHERE agency = 'mof'`)
  entries[0] = Buffer.from(entries[0]!.toString('utf8').replace('"v":1', '"v":1 '))
  db.transaction(() => { for (const e of entries) appendLeaf(db, 'mof', e) })()
  db.close()
  await mof.start()
  await deliver(moi, 'mof') // mof signs a new, larger checkpoint of the rewritten log
  const audits = await auditAll(moi.ctx!.logWitness.audit)
  t.match(audits, [{ agency: 'mof', outcome: 'inconsistent', kind: 'inconsistent' }])
  t.equal(inconsistentEvents(moi), 1)
  t.equal((await call(moi, 'GET', '/healthz')).body.status, 'degraded')
})

tap.test('a letter\'s receipt is signed inside the transaction that stores it, with a checkpoint of the tree it commits (§20.4)', async (t) => {
  const { moi, mof } = await exchanged(t, 'jose-v2', 0)
  const signer = mof.ctx!.logWitness.signer
  // The signer after the commit is never asked: the storing transaction signs and keeps the checkpoint.
  signer.covering = () => Promise.reject(new Error('covering() after the commit must not be needed'))
  const text = await deliver(moi, 'mof')
  const receipt = verifyV1Receipt(receiptFromText('jose-v2', text))
  const cp = verifyCheckpoint(receipt.claims.log!.checkpoint)
  t.ok(receipt.claims.log!.index < cp.body.size, 'the checkpoint includes the entry')
  t.equal(mof.ctx!.inbox.peek(receipt.claims.mid)!.receipt, text, 'mof stored the receipt it answered with')
  const kept = mof.ctx!.db.sqlite.prepare(`SELECT jws FROM log_checkpoints WHERE agency = 'mof' AND size = ?`).pluck().all(cp.body.size) as string[]
  t.ok(kept.includes(receipt.claims.log!.checkpoint), 'mof kept the checkpoint its receipt carries')
  const { verifyLog } = await import('../../src/services/log/verify.js')
  t.equal(verifyLog(mof.ctx!.db.sqlite).ok, true, 'mof\'s log verifies')
})

tap.test('a letter stored before its receipt was signed gets its receipt when the sender retries', async (t) => {
  const { moi, mof } = await exchanged(t, 'cms-v1', 0)
  // The node stops signing between storing the letter and signing its receipt (as a crash would).
  const signer = mof.ctx!.logWitness.signer
  const covering = signer.covering.bind(signer)
  const uncommitted = signer.signUncommitted.bind(signer)
  let failed = 0
  let failedInCommit = 0
  // Signing inside the storing transaction (§20.4) fails first: the letter commits without its receipt.
  signer.signUncommitted = (agency) => {
    if (failedInCommit++ === 0) throw new Error('stopped before the receipt')
    return uncommitted(agency)
  }
  signer.covering = (agency, index) => (failed++ === 0 ? Promise.reject(new Error('stopped before the receipt')) : covering(agency, index))
  const text = await deliver(moi, 'mof')
  t.ok(failedInCommit >= 1 && failed >= 2, 'the first answer failed, a retry was answered')
  const { claims } = await moi.ctx!.profiles.get('cms-v1').verifyReceipt(receiptFromText('cms-v1', text))
  const cp = verifyCheckpoint(claims.log!.checkpoint)
  const proof = mof.ctx!.logWitness.proofs.inclusion('mof', claims.log!.index, cp.body.size)
  t.ok(verifyInclusion(leafHash(receivedEntry(claims)), claims.log!.index, cp.body.size, proof.proof.map((h) => Buffer.from(h, 'base64')), cp.body.root), 'the receipt signed at the replay includes the entry')
  t.equal(mof.ctx!.inbox.peek(claims.mid)!.receipt.length > 0, true, 'the receipt is stored')
  const { verifyLog } = await import('../../src/services/log/verify.js')
  t.equal(verifyLog(mof.ctx!.db.sqlite).ok, true, 'mof\'s log verifies with the receipt stored later')
})
