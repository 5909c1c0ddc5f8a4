// GET /api/v1/letters/{id}/evidence between real nodes over real mTLS (PROTOCOL.md §8): a v2 archive
// with the directory the sender held from its trust history, per profile; a recipient that never
// answered makes the bundle fail for that message only.
import t from 'tap'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { testNet, call, waitFor, thaiLetter, type TestNet } from '../helpers/nodes.js'

for (const profile of ['cms-v1', 'jose-v1']) {
  t.test(profile, async (t) => {
    let net: TestNet
    t.before(async () => {
      net = await testNet(['moi', 'mof', 'dga'], { profiles: [profile] })
      await net.nodes.moi!.start()
      await net.nodes.mof!.start() // dga stays down: its message stays queued
    })
    t.teardown(async () => net?.stop())

    t.test('the archive proves delivery to mof and says dga has not answered', async (t) => {
      const moi = net.nodes.moi!
      const sent = await call(moi, 'POST', '/api/v1/letters', {
        letter: thaiLetter(['mof', 'dga']),
        attachments: [{ filename: 'คำสั่ง.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.7\nคำสั่ง\n').toString('base64') }],
      })
      t.equal(sent.status, 202, JSON.stringify(sent.body))
      await waitFor('mof delivered', async () => {
        const r = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)
        return r.body.recipients.find((x: { agency: string; status: string }) => x.agency === 'mof' && x.status === 'delivered')
      })
      const got = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
      t.equal(got.status, 200)
      t.equal(got.headers.get('content-type'), 'application/x-tar')
      t.match(got.headers.get('content-disposition'), `evidence-${sent.body.id}.tar`)
      const archive: Buffer = got.body
      const m = readLayout(archive).manifest!
      t.equal(m.sender, 'moi')
      t.strictSame(m.messages.map((x) => x.recipient).sort(), ['dga', 'mof'])
      t.ok(m.messages.every((x) => x.profile === profile))
      const history = moi.ctx!.trustHistory.directoryAt(Date.now())
      t.equal(readLayout(archive).contents.get(m.messages[0]!.directory)!.toString('utf8'), history, 'the directory comes from the trust history')

      const report = await verifyEvidence(archive, { anchors: new TrustAnchors([net.fed.root.cert]), profiles: defaultProfiles() })
      t.notOk(report.ok, 'one recipient has no receipt')
      const dga = m.messages.find((x) => x.recipient === 'dga')!
      const mof = m.messages.find((x) => x.recipient === 'mof')!
      const failing = report.findings.filter((f) => !f.ok)
      t.strictSame(failing.map((f) => f.part), [`messages/${dga.messageId}`], 'only the unanswered message fails')
      t.ok(report.findings.some((f) => f.ok && f.part === mof.receipt && /acknowledged envelope/.test(f.detail)))
      if (profile === 'cms-v1') t.ok(mof.auditorPrefix, 'cms-v1 bundles carry the auditor prefix')
    })

    t.test("another agency's key does not get the bundle", async (t) => {
      const sent = await call(net.nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
      const other = await call(net.nodes.mof!, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
      t.equal(other.status, 404)
    })
  })
}
