// Happy path and duplicate delivery between real nodes over real mTLS (issue 2 §13), run once per
// envelope profile (issue 3: one suite, run twice): every agency of the directory accepts only that profile.
import tap from 'tap'
import { createHash } from 'node:crypto'
import { samplePdf } from '../../src/cli/sample-pdf.js'
import { receiptFromText } from '../../src/crypto/profiles.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { testNet, call, waitForRecipient, federationPost, thaiLetter, type TestNet } from '../helpers/nodes.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

for (const profileId of ['jose-v1', 'cms-v1']) {
  tap.test(`profile ${profileId}`, async (t) => {
    let net: TestNet
    t.before(async () => {
      net = await testNet(['moi', 'mof'], { profiles: [profileId] })
      await net.nodes.moi!.start()
      await net.nodes.mof!.start()
    })
    t.teardown(async () => net?.stop())

    t.test('a Thai letter with a PDF travels moi → mof, is verified, stored, and receipted', async (t) => {
      const moi = net.nodes.moi!, mof = net.nodes.mof!
      const pdf = samplePdf('test', ['hello'], 150_000)
      const sent = await call(moi, 'POST', '/api/v1/letters', {
        letter: thaiLetter(['mof']),
        attachments: [{ filename: 'หนังสือเชิญประชุม.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }],
      })
      t.equal(sent.status, 202, JSON.stringify(sent.body))
      t.match(sent.headers.get('location'), `/api/v1/letters/${sent.body.id}`)
      t.equal(sent.body.recipients[0].agency, 'mof')

      const done = await waitForRecipient(moi, sent.body.id, 'delivered')
      const r = done.recipients[0]
      t.equal(r.status, 'delivered')
      t.ok(r.receipt, 'the receipt is shown with ?include=receipts')
      const light = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)
      t.equal(light.body.recipients[0].status, 'delivered')
      t.notOk('receipt' in light.body.recipients[0], 'the status is light by default (issue 20 §8)')
      t.equal((await call(moi, 'GET', `/api/v1/letters/${sent.body.id}?include=everything`)).status, 400, 'include takes known values only')
      t.equal(r.profile, profileId, 'sealed with the profile the recipient accepts')
      const { claims } = await moi.ctx!.profiles.get(profileId).verifyReceipt(receiptFromText(profileId, r.receipt))
      t.equal(claims.profile, profileId)
      t.equal(claims.mid, r.messageId)
      t.equal(claims.from, 'moi')
      t.equal(claims.to, 'mof')
      t.equal(claims.envelopeSha256, r.envelopeSha256, 'the receipt binds the bytes that were sent')

      const inbox = await call(mof, 'GET', '/api/v1/inbox')
      t.equal(inbox.body.items.length, 1)
      const got = await call(mof, 'GET', `/api/v1/inbox/${r.messageId}`)
      t.equal(got.status, 200)
      t.equal(got.body.letter.subject, thaiLetter([]).subject, 'Thai text arrives intact')
      t.equal(got.body.from, 'moi')
      t.equal(got.body.signer.agency, 'moi')
      t.equal(got.body.envelopeSha256, r.envelopeSha256)
      t.equal(got.body.attachments.length, 1)
      t.equal(got.body.attachments[0].sha256, sha(pdf))
      t.equal(got.body.attachments[0].filename, 'หนังสือเชิญประชุม.pdf')
      const bytes = await call(mof, 'GET', `/api/v1/inbox/${r.messageId}/attachments/${got.body.attachments[0].id}`)
      t.equal(bytes.status, 200)
      t.equal(bytes.headers.get('content-type'), 'application/pdf')
      t.ok(Buffer.compare(bytes.body, pdf) === 0, 'the PDF bytes are exactly those sent')

      t.equal((await call(moi, 'GET', `/api/v1/inbox/${r.messageId}`)).status, 404, 'the sender cannot read the recipient inbox')
      t.equal((await call(mof, 'GET', `/api/v1/letters/${sent.body.id}`)).status, 404, "another agency's key cannot see the letter")

      const evidence = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
      t.equal(evidence.status, 200)
      const report = await verifyEvidence(evidence.body, { anchors: moi.ctx!.anchors, profiles: moi.ctx!.profiles })
      t.ok(report.ok, JSON.stringify(report.findings))
    })

    t.test('a duplicate delivery gets the original receipt and is stored once; other bytes under the same id are refused', async (t) => {
      const moi = net.nodes.moi!, mof = net.nodes.mof!
      const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'ทดสอบส่งซ้ำ' }) })
      const done = await waitForRecipient(moi, sent.body.id, 'delivered')
      const msg = moi.ctx!.outbox.getMessage(done.recipients[0].messageId)!
      const tls = net.fed.agencies.moi!.tls
      const before = (await call(mof, 'GET', '/api/v1/inbox?limit=500')).body.items.length

      const profile = moi.ctx!.profiles.get(msg.profile)
      const post = (body: Buffer) => federationPost(mof.federationPort, {
        key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body, contentType: profile.mediaType,
        routing: { messageId: msg.messageId, from: 'moi', to: 'mof' },
      })
      const again = await post(msg.envelope)
      t.equal(again.status, 200, 'a replay is answered 200, not 201')
      t.equal(again.contentType, profile.receiptMediaType)
      t.ok(again.body.equals(receiptFromText(msg.profile, done.recipients[0].receipt)), 'with the very same receipt bytes')
      t.equal((await call(mof, 'GET', '/api/v1/inbox?limit=500')).body.items.length, before, 'and nothing is stored twice')

      // Same message id, different bytes: re-seal the same letter under the same id.
      const letter = JSON.parse(moi.ctx!.outbox.getLetter(msg.letterId)!.letterJson)
      const resealed = await profile.seal({
        messageId: msg.messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter, attachments: [],
        signer: moi.ctx!.hosted.get('moi')!.signer, recipientCert: moi.ctx!.directory().encryptionCertFor('mof')!,
      })
      const conflict = await post(resealed.envelope)
      t.equal(conflict.status, 409)
      t.equal(JSON.parse(conflict.body.toString()).code, 'ERR_MESSAGE_ID_CONFLICT')
    })

    t.test('Idempotency-Key: a retried POST returns the same letter; a different body under the key is refused', async (t) => {
      const moi = net.nodes.moi!
      const body = { letter: thaiLetter(['mof'], { subject: 'ทดสอบ Idempotency-Key' }) }
      const a = await call(moi, 'POST', '/api/v1/letters', body, { 'idempotency-key': 'k-1' })
      const b = await call(moi, 'POST', '/api/v1/letters', body, { 'idempotency-key': 'k-1' })
      t.equal(a.status, 202)
      t.equal(b.status, 202)
      t.equal(b.headers.get('idempotent-replayed'), 'true')
      t.equal(b.body.id, a.body.id)
      const c = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'อื่น' }) }, { 'idempotency-key': 'k-1' })
      t.equal(c.status, 422)
      t.equal(c.body.code, 'ERR_IDEMPOTENCY_KEY_REUSED')
    })
  })
}
