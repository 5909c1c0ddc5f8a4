// Peers as witnesses (PROTOCOL.md §20.5, §20.6), between real nodes over real mTLS: every receipt
// carries the recipient's checkpoint including the letter's message.received entry; the sender keeps
// it; an audit proves the recipient's log consistent; a recipient restored from an older backup, and
// one whose log was rewritten, are caught at the next audit (event log.inconsistent, /healthz degraded,
// both checkpoints kept).
import tap from 'tap'
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

async function deliver(from: TestNode, to: string): Promise<string> {
  const sent = await call(from, 'POST', '/api/v1/letters', { letter: thaiLetter([to]) })
  if (sent.status !== 202) throw new Error(JSON.stringify(sent.body))
  const done = await waitForRecipient(from, sent.body.id, 'delivered')
  return done.recipients[0].receipt as string
}

const dataDir = (n: TestNode): string => join(n.configFile, '..', 'data')
const inconsistentEvents = (n: TestNode): number =>
  n.ctx!.db.sqlite.prepare(`SELECT count(*) FROM events WHERE type = 'log.inconsistent'`).pluck().get() as number

tap.test('a receipt carries the checkpoint of the recipient log that includes its entry', async (t) => {
  const net = await testNet(['moi', 'mof'], { profiles: ['jose-v1'] })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()
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
  const audits = await auditAll(moi.ctx!.logWitness.audit)
  t.match(audits, [{ agency: 'mof', outcome: 'consistent' }])
  t.equal(moi.ctx!.logWitness.peerCheckpoints.held('mof').length <= 2, true, 'proved checkpoints are forgotten but the oldest and newest')
  t.equal(inconsistentEvents(moi), 0)
})

tap.test('a peer restored from an older backup is caught at the next audit', async (t) => {
  const net: TestNet = await testNet(['moi', 'mof'], { profiles: ['jose-v1'] })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()
  await deliver(moi, 'mof')
  await deliver(moi, 'mof')
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
  // A second audit keeps the one proof and raises no second event.
  await auditAll(moi.ctx!.logWitness.audit)
  t.equal(inconsistentEvents(moi), 1)
})

tap.test('a rewritten log is caught at the next audit', async (t) => {
  const net: TestNet = await testNet(['moi', 'mof'], { profiles: ['jose-v1'] })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()
  await deliver(moi, 'mof')
  await deliver(moi, 'mof')
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
