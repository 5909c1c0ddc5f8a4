// The letter's events in both logs, between real nodes over real mTLS (PROTOCOL.md §20.7): after
// delivery the sender fetches mof's inclusion proof of the message.received entry under the checkpoint
// mof's receipt carries and keeps it; the evidence bundle then carries the sender's two proofs and the
// recipient's, and verify-evidence checks all three. While the recipient is down, the bundle says the
// proof is missing and why (a weaker claim), and the next attempt fetches it.
import { queueAsIfNoHeader } from '../helpers/received-proofs.js'
import t from 'tap'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { testNet, call, waitFor, thaiLetter, type TestNet } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], { profiles: ['jose-v1'] })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

async function sendAndDeliver(): Promise<string> {
  const moi = net.nodes.moi!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  await waitFor('delivered', async () => (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients[0].status === 'delivered')
  return sent.body.id as string
}
const verify = (archive: Buffer) => verifyEvidence(archive, { anchors: new TrustAnchors([net.fed.root.cert]), profiles: defaultProfiles() })

t.test('a bundle asked for right after delivery already carries mof\'s proof (not left in its gathering window)', async (t) => {
  const id = await sendAndDeliver()
  const moi = net.nodes.moi!
  // From a node that sends no proof with its receipt (§20.5), the proof is asked GATHER_MS (500 ms)
  // after the receipt is stored; the bundle asks for it at once instead.
  const mids = moi.ctx!.outbox.messagesForLetter(id).map((m) => m.messageId)
  await queueAsIfNoHeader(moi.ctx!, mids, moi.ctx!.clock.now())
  const queued = mids.map((mid) => moi.ctx!.logEvidence.receivedProof(mid))
  const m = readLayout((await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body).manifest!.messages[0]!
  t.same((m.log ?? []).map((p) => p.type), ['message.sent', 'message.delivered', 'message.received'], `no gap (the row was ${queued[0]?.proof ? 'fetched' : 'waiting'} when asked)`)
  t.equal(m.logGaps, undefined)
})

t.test('the bundle proves sent and delivered in moi\'s log and received in mof\'s', async (t) => {
  const id = await sendAndDeliver()
  const moi = net.nodes.moi!
  await waitFor('the recipient\'s proof fetched', async () => {
    const m = readLayout((await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body).manifest!.messages[0]!
    return (m.log ?? []).some((p) => p.type === 'message.received')
  })
  const archive: Buffer = (await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body
  const m = readLayout(archive).manifest!.messages[0]!
  t.same(m.log!.map((p) => [p.type, p.log]), [['message.sent', 'moi'], ['message.delivered', 'moi'], ['message.received', 'mof']])
  t.equal(m.logGaps, undefined)
  const r = await verify(archive)
  t.ok(r.ok, JSON.stringify(r.findings.filter((f) => !f.ok)))
  t.equal(r.findings.filter((f) => f.ok && /is entry \d+ of the tree of \d+/.test(f.detail)).length, 3, 'three inclusion proofs verify')
  t.strictSame(r.weak.filter((w) => /log/.test(w)), [])
})

t.test('while mof is down its proof is a gap with the reason; the next attempt fetches it', async (t) => {
  const id = await sendAndDeliver()
  const moi = net.nodes.moi!
  await net.nodes.mof!.stop()
  const mid = readLayout((await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body).manifest!.messages[0]!.messageId
  // Its proof came with the receipt (§20.5): forget it, as if from a node that sends none, and ask while mof is down.
  const row = moi.ctx!.db.sqlite.prepare<[string], { lastError: string | null }>('SELECT last_error AS lastError FROM log_received_proofs WHERE message_id = ?')
  await queueAsIfNoHeader(moi.ctx!, [mid])
  await moi.ctx!.logEvidence.fetcher.kick()
  t.ok(row.get(mid)?.lastError, 'the attempt failed and says why')
  const archive: Buffer = (await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body
  const m = readLayout(archive).manifest!.messages[0]!
  t.same(m.logGaps?.map((g) => [g.type, g.log]), [['message.received', 'mof']])
  t.match(m.logGaps![0]!.reason, /not fetched yet/)
  const r = await verify(archive)
  t.ok(r.ok, 'a gap is not a failure')
  t.ok(r.weak.some((w) => /message\.received is not shown in the log of "mof"/.test(w)))
  await net.nodes.mof!.start()
  moi.ctx!.db.sqlite.prepare('UPDATE log_received_proofs SET next_attempt_at = 0 WHERE message_id = ?').run(mid)
  await moi.ctx!.logEvidence.fetcher.kick()
  await waitFor('fetched once mof is back', async () => {
    const again = readLayout((await call(moi, 'GET', `/api/v1/letters/${id}/evidence`)).body).manifest!.messages[0]!
    return again.logGaps === undefined
  })
  t.pass('the proof is in the bundle')
})
