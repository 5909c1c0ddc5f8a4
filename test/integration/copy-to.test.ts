// Copies are delivered (issue 15 item 8; PROTOCOL.md §17.3, §18.1): a letter's copyTo agencies
// (สำเนาส่ง) are addressees. Over real mTLS, a letter to mof with a copy to dga reaches both, each
// with its own message, receipt, status and evidence; the copy addressee registers it like a
// recipient and the sender sees the acceptance; the sender's register names the copy. A copyTo
// agency the directory does not know is refused before anything is sealed, with its own field.
import t from 'tap'
import { readLayout } from '../../src/evidence/layout.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof', 'dga'])
  for (const n of Object.values(net.nodes)) await n.start()
})
t.teardown(async () => net?.stop())

const recipientOf = async (node: TestNode, letterId: string, agency: string) =>
  (await call(node, 'GET', `/api/v1/letters/${letterId}`)).body.recipients.find((r: { agency: string }) => r.agency === agency)

t.test('a copy is delivered, receipted, registered and in the evidence', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!, dga = net.nodes.dga!
  const letter = thaiLetter(['mof'], { subject: 'แจ้งผลการประชุม (สำเนาถึง สพร.)', copyTo: [{ agency: 'dga', title: 'ผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล' }] })
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter })
  t.equal(sent.status, 202, `answered ${sent.body.code ?? sent.status}`)
  t.same(sent.body.recipients.map((r: { agency: string }) => r.agency), ['mof', 'dga'], 'one message per addressee: recipients, then copyTo')
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  t.same(done.recipients.map((r: { agency: string; status: string }) => [r.agency, r.status]), [['mof', 'delivered'], ['dga', 'delivered']], 'both delivered with a verified receipt')
  const toDga = done.recipients.find((r: { agency: string }) => r.agency === 'dga')
  t.not(toDga.messageId, done.recipients[0].messageId, 'the copy has its own message id')

  // The copy addressee holds it and answers it like a recipient (PROTOCOL.md §17.3).
  const held = await call(dga, 'GET', `/api/v1/inbox/${toDga.messageId}`)
  t.equal(held.status, 200)
  t.equal(held.body.state, 'received')
  const reg = await call(dga, 'POST', `/api/v1/inbox/${toDga.messageId}/register`, {})
  t.equal(reg.status, 200, `answered ${reg.body.code ?? reg.status}`)
  const accepted = await waitFor('the copy accepted at the sender', async () => {
    const r = await recipientOf(moi, sent.body.id, 'dga')
    return r.state === 'accepted' ? r : undefined
  })
  t.equal(accepted.accepted.number, reg.body.registration.number, 'the sender sees the copy addressee\'s receive number')
  t.equal((await call(mof, 'GET', `/api/v1/inbox/${done.recipients[0].messageId}`)).body.state, 'received', 'the recipient is untouched')

  // The sender's register names the copy (สำเนา) beside the recipient.
  const yearBE = reg.body.registration.year
  const sendBook = await call(moi, 'GET', `/api/v1/registers/send?year=${yearBE}&agency=moi`)
  const entry = sendBook.body.entries.find((e: { letterId?: string }) => e.letterId === sent.body.id)
  t.match(entry.to, /สำเนา ผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล/, 'the send register shows the copy')

  // Evidence: one message per addressee, each verified.
  const ev = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
  t.equal(ev.status, 200)
  const manifest = readLayout(ev.body).manifest!
  t.same(manifest.messages.map((m: { recipient: string }) => m.recipient).sort(), ['dga', 'mof'], 'the bundle holds the copy\'s delivery too')
  const report = await verifyEvidence(ev.body, { anchors: moi.ctx!.anchors, profiles: moi.ctx!.profiles })
  t.ok(report.ok, JSON.stringify(report.findings.filter((f) => !f.ok)))
})

t.test('a copy addressee may reject the copy', async (t) => {
  const moi = net.nodes.moi!, dga = net.nodes.dga!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'สำเนาที่ส่งผิด', copyTo: [{ agency: 'dga' }] }) })
  t.equal(sent.status, 202)
  const toDga = (await waitFor('the copy delivered', async () => {
    const r = await recipientOf(moi, sent.body.id, 'dga')
    return r?.status === 'delivered' ? r : undefined
  }))
  const rej = await call(dga, 'POST', `/api/v1/inbox/${toDga.messageId}/reject`, { reasonCode: 'misaddressed', reason: 'ไม่เกี่ยวข้องกับ สพร.' })
  t.equal(rej.status, 200, `answered ${rej.body.code ?? rej.status}`)
  const r = await waitFor('the rejection at the sender', async () => {
    const x = await recipientOf(moi, sent.body.id, 'dga')
    return x.state === 'rejected' ? x : undefined
  })
  t.equal(r.rejected.reasonCode, 'misaddressed')
})

t.test('a copyTo agency outside the directory is refused with its field, and nothing is queued', async (t) => {
  const moi = net.nodes.moi!
  const bad = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'สำเนาถึงหน่วยงานที่ไม่มี', copyTo: [{ agency: 'dga' }, { agency: 'nowhere' }] }) })
  t.equal(bad.body.code, 'ERR_UNKNOWN_AGENCY', `answered ${bad.body.code ?? bad.status}`)
  t.same(bad.body.errors.map((e: { field: string }) => e.field), ['/letter/copyTo/1/agency'], 'the field names the copy agency')
  const outbox = await call(moi, 'GET', '/api/v1/outbox')
  t.notOk(JSON.stringify(outbox.body).includes('สำเนาถึงหน่วยงานที่ไม่มี'), 'no letter stored')
})
