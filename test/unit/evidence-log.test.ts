// Evidence bundle v2 with the letter's events in the logs (PROTOCOL.md §20.7): the sender's
// message.sent and message.delivered entries with their inclusion proofs under a checkpoint the sender
// signed, checked by verify-evidence (leaf hash, proof, checkpoint signature and origin); every altered
// piece is found and blamed on its part; an event the node could not prove is a weaker claim.
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { receiptText } from '../../src/crypto/profiles.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import type { EnvelopeProfile, ReceiptClaims } from '../../src/crypto/types.js'
import type { OutboxMessage } from '../../src/storage/outbox.js'
import type { NoticeEvidence } from '../../src/services/evidence/build.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { buildEvidenceArchive, verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { testFederation } from '../helpers/federation.js'
import { signerOf } from '../vectors/fixtures.js'
import { sendAndAcknowledge } from './evidence-fixture.js'
import { MemoryLog, RecipientLogs, senderLogFor } from './evidence-log-fixture.js'
import type { LogProofInput } from '../../src/services/evidence/log-parts.js'

const fed = await testFederation()
const profiles = defaultProfiles()
const deps = { clock: { now: () => Date.now() }, profiles, directoryJws: () => fed.directoryJws }
const verify = (archive: Buffer, strict = false) => verifyEvidence(archive, { anchors: new TrustAnchors([fed.root.cert]), profiles, strict })
const failed = (r: Awaited<ReturnType<typeof verify>>) => r.findings.filter((f) => !f.ok)

for (const profile of [joseV1, cmsV1]) {
  t.test(`${profile.id}: the sender's proofs verify; the recipient's missing proof is a weaker claim`, async (t) => {
    const sent = await sendAndAcknowledge({ fed, profile, to: ['mof', 'dga'] })
    const { logFor } = senderLogFor(fed, sent.messages, { receivedGap: 'mof did not answer the proof request' })
    const archive = await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages)
    const m = readLayout(archive).manifest!
    t.same(m.messages[0]!.log!.map((p) => p.type), ['message.sent', 'message.delivered'])
    t.equal(m.messages[0]!.log![0]!.checkpoint, m.messages[1]!.log![0]!.checkpoint, 'one checkpoint part shared by both messages')
    const r = await verify(archive)
    t.ok(r.ok, JSON.stringify(failed(r)))
    t.equal(r.findings.filter((f) => f.ok && f.part.endsWith('.proof') && /is entry \d+ of the tree/.test(f.detail)).length, 4, 'four inclusion proofs checked')
    t.ok(r.weak.some((w) => /message.received is not shown in the log of "mof": mof did not answer/.test(w)))
    t.notOk((await verify(archive, true)).ok, '--strict refuses the missing proof')
  })
}

for (const profile of [joseV1, cmsV1]) {
  t.test(`${profile.id}: all three events proven, the received one under the checkpoint its receipt carries`, async (t) => {
    const recipients = new RecipientLogs(fed)
    const sent = await sendAndAcknowledge({ fed, profile, to: ['mof', 'dga'], receiptLog: recipients.receiptLog })
    const { logFor } = senderLogFor(fed, sent.messages, { recipients })
    const archive = await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages)
    const r = await verify(archive)
    t.ok(r.ok, JSON.stringify(failed(r)))
    t.equal(r.findings.filter((f) => f.ok && f.part.endsWith('message.received.proof')).length, 2)
    t.ok(r.findings.some((f) => f.ok && /is the checkpoint the receipt carries/.test(f.detail)))
    t.strictSame(r.weak.filter((w) => /log/.test(w)), [])
  })
}

t.test('found: the received entry under a later checkpoint of the recipient than the receipt\'s', async (t) => {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof'], receiptLog: recipients.receiptLog })
  const later = recipients.logs.get('mof')!
  later.append({ v: 1, type: 'trust.directory', at: new Date(0).toISOString(), agency: 'mof', serial: 99, sha256: '00' })
  const { logFor } = senderLogFor(fed, sent.messages, {
    recipients,
    edit: (_m, p) => p.map((x) => (x.type === 'message.received' ? { ...x, size: later.entries.length, proof: later.proof(x.index), checkpoint: later.checkpoint() } : x)),
  })
  const r = await verify(await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages))
  t.notOk(r.ok)
  t.ok(failed(r).some((f) => f.part.startsWith('checkpoints/') && /is not the checkpoint and index/.test(f.detail)), JSON.stringify(failed(r)))
})

t.test('found: a received entry that is not the receipt\'s claims', async (t) => {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof'], receiptLog: recipients.receiptLog })
  const { logFor } = senderLogFor(fed, sent.messages, {
    recipients,
    edit: (_m, p) => p.map((x) => (x.type === 'message.received' ? { ...x, entry: Buffer.from(x.entry.toString().replace('"from":"moi"', '"from":"dga"')) } : x)),
  })
  const r = await verify(await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages))
  t.ok(failed(r).some((f) => f.part.endsWith('message.received.entry')), JSON.stringify(failed(r)))
})

t.test('an undelivered message proves its sending in the log', async (t) => {
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof'], undelivered: ['mof'] })
  const { logFor } = senderLogFor(fed, sent.messages)
  const r = await verify(await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages))
  t.ok(r.findings.some((f) => f.ok && f.part.endsWith('message.sent.proof')))
  t.same(failed(r).map((f) => f.part), [`messages/${sent.messages[0]!.messageId}`], 'only the missing receipt fails')
})

t.test('a bundle without log members (a node before §20) still verifies, and says so', async (t) => {
  const sent = await sendAndAcknowledge({ fed, profile: joseV1 })
  const r = await verify(await buildEvidenceArchive(deps, sent.letter, sent.messages))
  t.ok(r.ok)
  t.ok(r.findings.some((f) => /carries no log inclusion proofs/.test(f.detail)))
})

const flip = (b: Buffer) => { const c = Buffer.from(b); c[31] = c[31]! ^ 1; return c }
const CASES: Array<{ name: string; edit: (p: LogProofInput[], ctx: { other: string }) => LogProofInput[]; blame: RegExp }> = [
  { name: 'a proof hash altered', edit: (p) => [{ ...p[0]!, proof: [flip(p[0]!.proof[0]!), ...p[0]!.proof.slice(1)] }, p[1]!], blame: /message\.sent\.proof$/ },
  { name: 'the index of another entry', edit: (p) => [{ ...p[0]!, index: p[0]!.index + 1 }, p[1]!], blame: /message\.sent\.proof$/ },
  { name: 'a sent entry naming another envelope', edit: (p) => [{ ...p[0]!, entry: Buffer.from(p[0]!.entry.toString().replace(/"envelopeSha256":"[0-9a-f]/, '"envelopeSha256":"x')) }, p[1]!], blame: /message\.sent\.entry$/ },
  { name: 'a delivered entry not in canonical JSON', edit: (p) => [p[0]!, { ...p[1]!, entry: Buffer.from(p[1]!.entry.toString().replace('{', '{ ')) }], blame: /message\.delivered\.entry$/ },
  { name: 'a checkpoint of another agency\'s log', edit: (p, c) => p.map((x) => ({ ...x, checkpoint: c.other })), blame: /^checkpoints\// },
  { name: 'a manifest size other than the checkpoint\'s', edit: (p) => [{ ...p[0]!, size: p[0]!.size - 1 }, p[1]!], blame: /^checkpoints\// },
  { name: 'the delivered event claimed for the recipient\'s log', edit: (p) => [p[0]!, { ...p[1]!, log: 'mof' }], blame: /^manifest\.json$/ },
]
for (const c of CASES) {
  t.test(`found: ${c.name}`, async (t) => {
    const sent = await sendAndAcknowledge({ fed, profile: joseV1 })
    const { logFor } = senderLogFor(fed, sent.messages, { edit: (_m, p) => c.edit(p, { other: new MemoryLog(fed, 'mof').checkpoint() }) })
    const r = await verify(await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages))
    t.notOk(r.ok)
    t.ok(failed(r).some((f) => c.blame.test(f.part)), JSON.stringify(failed(r)))
  })
}

t.test('found: a checkpoint signed by another agency with the sender\'s origin', async (t) => {
  const sent = await sendAndAcknowledge({ fed, profile: joseV1 })
  const { log } = senderLogFor(fed, sent.messages)
  const forged = log.checkpoint(log.entries.length, signerOf(fed, 'mof'))
  const { logFor } = senderLogFor(fed, sent.messages, { edit: (_m, p) => p.map((x) => ({ ...x, checkpoint: forged })) })
  const r = await verify(await buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages))
  t.notOk(r.ok)
  t.ok(failed(r).some((f) => f.part.startsWith('checkpoints/') && /not a signing certificate of active agency "moi"/.test(f.detail)), JSON.stringify(failed(r)))
})

t.test('stripped: a bundle without log members whose receipts carry a checkpoint is a weaker claim, refused by --strict (§8.6 step 9)', async (t) => {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof'], receiptLog: recipients.receiptLog })
  const archive = await buildEvidenceArchive(deps, sent.letter, sent.messages) // no logFor: no log, no logGaps
  t.equal(readLayout(archive).manifest!.messages[0]!.log, undefined)
  const r = await verify(archive)
  t.ok(r.ok, JSON.stringify(failed(r)))
  t.ok(r.weak.some((w) => /the receipt's signed claims carry the recipient's checkpoint: the log members were stripped/.test(w)), 'reported as stripped')
  t.notOk((await verify(archive, true)).ok, '--strict refuses it')
})

// Issue 14 gap: the jose-v2 profile (a letter sealed as for a circular, PROTOCOL.md §17.7) and a
// notice (§18.6) stripped the same way are caught as the jose-v1 letter above is.
t.test('stripped: a jose-v2 letter whose receipt carries a checkpoint is refused by --strict', async (t) => {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV2, to: ['mof', 'dga'], receiptLog: recipients.receiptLog })
  const archive = await buildEvidenceArchive(deps, sent.letter, sent.messages)
  t.equal(readLayout(archive).manifest!.messages[0]!.profile, 'jose-v2')
  const r = await verify(archive)
  t.ok(r.ok, JSON.stringify(failed(r)))
  for (const m of sent.messages) {
    t.ok(r.weak.some((w) => w.includes(m.messageId) && /the receipt's signed claims carry the recipient's checkpoint: the log members were stripped/.test(w)), `message ${m.messageId} reported as stripped`)
  }
  t.notOk((await verify(archive, true)).ok, '--strict refuses it')
})

for (const profile of [joseV1, joseV2]) {
  t.test(`stripped: a ${profile.id} notice whose receipt carries the recipient's checkpoint is refused by --strict`, async (t) => {
    const recipients = new RecipientLogs(fed)
    const sent = await sendAndAcknowledge({ fed, profile, to: ['mof'], receiptLog: recipients.receiptLog })
    const about = sent.messages[0]!
    const n = await sentNotice(profile, about, recipients)
    const withNotice = { ...deps, noticesFor: () => [n] }
    const archive = await buildEvidenceArchive(withNotice, sent.letter, sent.messages)
    t.equal(readLayout(archive).manifest!.notices?.[0]?.log, undefined, 'the notice lists no log proof or gap')
    const r = await verify(archive)
    t.ok(r.ok, JSON.stringify(failed(r)))
    t.ok(r.weak.some((w) => w.includes(`notices/${n.messageId}`) && /the log members were stripped/.test(w)), "the notice is reported as stripped")
    t.notOk((await verify(archive, true)).ok, '--strict refuses it')
  })
}

/** A withdrawal moi sent about `about`, sealed with `profile`, and mof's receipt with mof's checkpoint. */
async function sentNotice(profile: EnvelopeProfile, about: OutboxMessage, recipients: RecipientLogs): Promise<NoticeEvidence> {
  const messageId = randomUUID()
  const notice = { type: 'withdrawn', messageId: about.messageId, envelopeSha256: about.envelopeSha256, at: new Date().toISOString(), reason: 'ส่งผิด' }
  const sealed = await profile.seal({
    messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: {} as never, attachments: [], notice,
    checkpoint: new MemoryLog(fed, 'moi').checkpoint(), // the sender's, in the signed payload (§5.4, §20.5)
    signer: signerOf(fed, 'moi'), recipientCert: fed.agencies['mof']!.encryption.cert,
  })
  const claims: ReceiptClaims = { v: 1, mid: messageId, from: 'moi', to: 'mof', receivedAt: new Date().toISOString(), envelopeSha256: sealed.envelopeSha256, profile: profile.id }
  const receipt = await profile.signReceipt({ ...claims, log: recipients.receiptLog(claims) }, signerOf(fed, 'mof'))
  return { messageId, type: 'withdrawn', direction: 'sent', about: about.messageId, from: 'moi', to: 'mof', profile: profile.id, envelope: sealed.envelope, contentKey: sealed.contentKey, receipt }
}

// Issue 14 gap: a notice the bundle's maker sent shows its sending and delivery in the sender's log,
// like a letter (PROTOCOL.md §20.7), and verify-evidence checks them.
t.test('a sent notice carries its message.sent and message.delivered proofs in the sender\'s log, checked', async (t) => {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof'], receiptLog: recipients.receiptLog })
  const n = await sentNotice(joseV1, sent.messages[0]!, recipients)
  const noticeRow = asOutbox(n, sent.letter.id)
  const { logFor } = senderLogFor(fed, [...sent.messages, noticeRow], { recipients })
  const withNotice = { ...deps, logFor, noticesFor: () => [{ ...n, sent: noticeRow, log: { proofs: [recipients.proof(n.messageId)!], gaps: [] } }] }
  const archive = await buildEvidenceArchive(withNotice, sent.letter, sent.messages)
  const mn = readLayout(archive).manifest!.notices![0]!
  t.same(mn.log!.map((p) => [p.type, p.log]), [['message.sent', 'moi'], ['message.delivered', 'moi'], ['message.received', 'mof']])
  const r = await verify(archive)
  t.ok(r.ok, JSON.stringify(failed(r)))
  for (const type of ['message.sent', 'message.delivered', 'message.received']) {
    t.ok(r.findings.some((f) => f.ok && f.part === `notices/${n.messageId}/log/${type}.proof` && /is entry \d+ of the tree/.test(f.detail)), `${type} proven`)
  }
  t.strictSame(r.weak.filter((w) => w.startsWith(`notices/${n.messageId}:`)), [])

  // The notice's sent entry swapped for the letter's: found and blamed on the notice's entry.
  const swapped = { ...deps, logFor: async (m: OutboxMessage) => (m.messageId === n.messageId ? logFor(sent.messages[0]!) : logFor(m)), noticesFor: withNotice.noticesFor }
  const bad = await verify(await buildEvidenceArchive(swapped, sent.letter, sent.messages))
  t.ok(failed(bad).some((f) => f.part === `notices/${n.messageId}/log/message.sent.entry`), JSON.stringify(failed(bad)))

  // Only the received event listed (a node before this rule, or stripped): a weaker claim.
  const older = { ...deps, noticesFor: () => [{ ...n, log: { proofs: [recipients.proof(n.messageId)!], gaps: [] } }] }
  const weak = await verify(await buildEvidenceArchive(older, sent.letter, sent.messages))
  t.ok(weak.ok, JSON.stringify(failed(weak)))
  t.ok(weak.weak.some((w) => w.startsWith(`notices/${n.messageId}:`) && /neither proofs nor gaps of the notice's message.sent/.test(w)), JSON.stringify(weak.weak))
})

/** A sent notice as the outbox holds it (kind notice), for the sender's log. */
function asOutbox(n: NoticeEvidence, letterId: string): OutboxMessage {
  const now = Date.now()
  return {
    messageId: n.messageId, letterId, recipientAgency: n.to, profile: n.profile, envelope: n.envelope, envelopeSha256: createHash('sha256').update(n.envelope).digest('hex'),
    contentKey: n.contentKey!, priority: 3, nextAttemptAt: now, status: 'delivered', attempts: 1, lastErrorCode: null, lastErrorDetail: null,
    createdAt: now, updatedAt: now, deliveredAt: now, receipt: receiptText(n.profile, n.receipt!), senderAgency: n.from,
  }
}
