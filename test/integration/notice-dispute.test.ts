// PROTOCOL.md §18.4 (e-CMS InvalidAcceptIDNotifier): the sender disputes the receive number of a
// recipient's acceptance, POST /api/v1/letters/{id}/dispute, between two real nodes over real mTLS.
// Refused: a letter the recipient has not accepted, a second dispute; and at the receiving node, a
// dispute naming another register entry than the acceptance (sent here by writing it through moi's own
// notice store, as a misbehaving sender would; moi's restart seals it and delivers it by the ordinary path).
import t from 'tap'

const tap = t
import { randomUUID } from 'node:crypto'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'
import type { Notice } from '../../src/domain/notices.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'])
  for (const n of Object.values(net.nodes)) await n.start()
})
t.teardown(() => net.stop())

/** moi sends a letter to mof; mof registers it when `register`. The letter id and mof's inbox id. */
async function sendToMof(t: Pick<typeof tap, 'equal'>, subject: string, register: boolean): Promise<{ letterId: string; inboxId: string }> {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject }) })
  t.equal(sent.status, 202)
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  const inboxId = done.recipients[0].messageId as string
  if (register) {
    t.equal((await call(mof, 'POST', `/api/v1/inbox/${inboxId}/register`, {})).status, 200)
    await waitFor('the acceptance at moi', async () => ((await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients[0].state === 'accepted' ? true : undefined))
  }
  return { letterId: sent.body.id, inboxId }
}

const recipientOf = async (node: TestNode, letterId: string) => (await call(node, 'GET', `/api/v1/letters/${letterId}`)).body.recipients[0]

t.test('a dispute of an accepted letter reaches the recipient; a second one is refused', async (t) => {
  const { letterId, inboxId } = await sendToMof(t, 'ทดสอบแจ้งเลขรับผิด', true)
  const d = await call(net.nodes.moi!, 'POST', `/api/v1/letters/${letterId}/dispute`, { recipient: 'mof', reason: 'เลขรับไม่ตรงกับทะเบียนของผู้ส่ง' })
  t.equal(d.status, 202, JSON.stringify(d.body))
  t.equal(d.body.recipients[0].state, 'accepted', 'the acceptance stands')
  t.equal(d.body.recipients[0].disputed.reason, 'เลขรับไม่ตรงกับทะเบียนของผู้ส่ง')
  const msg = await waitFor('the dispute at mof', async () => {
    const m = (await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${inboxId}`)).body
    return m.dispute ? m : undefined
  })
  t.equal(msg.state, 'registered')
  t.match(msg.dispute, { book: 'receive', number: msg.registration.number, reason: 'เลขรับไม่ตรงกับทะเบียนของผู้ส่ง' }, 'it names exactly the acceptance\'s register entry')
  // mof stores the dispute before moi has stored mof's receipt for it: wait for moi's side too.
  const delivered = await waitFor('moi has the dispute\'s receipt', async () => {
    const r = await recipientOf(net.nodes.moi!, letterId)
    return r.disputed.notice.status === 'delivered' ? r : undefined
  })
  t.equal(delivered.disputed.notice.status, 'delivered')
  const again = await call(net.nodes.moi!, 'POST', `/api/v1/letters/${letterId}/dispute`, { recipient: 'mof', reason: 'อีกครั้ง' })
  t.equal(again.status, 409)
  t.equal(again.body.code, 'ERR_NOTICE_CONFLICT')
})

t.test('a letter not accepted cannot be disputed; nor a recipient the letter does not have', async (t) => {
  const { letterId } = await sendToMof(t, 'ทดสอบยังไม่ลงรับ', false)
  const d = await call(net.nodes.moi!, 'POST', `/api/v1/letters/${letterId}/dispute`, { recipient: 'mof', reason: 'เลขรับผิด' })
  t.equal(d.status, 422, JSON.stringify(d.body))
  t.equal(d.body.code, 'ERR_NOTICE_INVALID')
  t.match(d.body.detail, /Only an acceptance can be disputed/)
  const other = await call(net.nodes.moi!, 'POST', `/api/v1/letters/${letterId}/dispute`, { recipient: 'dga', reason: 'เลขรับผิด' })
  t.equal(other.status, 400)
  t.equal(other.body.code, 'ERR_REQUEST_INVALID')
  t.equal((await call(net.nodes.moi!, 'POST', `/api/v1/letters/${letterId}/dispute`, { recipient: 'mof' })).status, 400, 'a reason is required')
})

t.test('the recipient refuses a dispute naming another register entry than its acceptance', async (t) => {
  const { letterId, inboxId } = await sendToMof(t, 'ทดสอบเลขรับอื่น', true)
  const ctx = net.nodes.moi!.ctx!
  const m = ctx.outbox.messagesForLetter(letterId)[0]!
  const accepted = (await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${inboxId}`)).body.registration
  const notice: Notice = { type: 'disputed', messageId: m.messageId, envelopeSha256: m.envelopeSha256, at: new Date().toISOString(), register: { book: 'receive', year: accepted.year - 543, number: accepted.number + 1 }, reason: 'เลขรับผิด' }
  const noticeId = randomUUID()
  await ctx.db.write(() => ctx.notices.insertOut({ messageId: noticeId, type: 'disputed', refersTo: m.messageId, fromAgency: 'moi', toAgency: 'mof', noticeJson: JSON.stringify(notice), createdAt: Date.now() }))
  // A recorded notice not sealed yet is sealed at start (PROTOCOL.md §18.5).
  await net.nodes.moi!.stop()
  await net.nodes.moi!.start()
  const r = await waitFor('the refusal', async () => {
    const x = await recipientOf(net.nodes.moi!, letterId)
    return x.disputed?.notice.status === 'failed' ? x : undefined
  })
  t.equal(r.disputed.notice.lastError.code, 'ERR_PEER_REFUSED', 'mof refuses it at once (no retry)')
  t.match(r.disputed.notice.lastError.detail, /ERR_NOTICE_INVALID/, 'with ERR_NOTICE_INVALID (PROTOCOL.md §18.5 check 4)')
  t.equal((await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${inboxId}`)).body.dispute, undefined, 'and records nothing')
})
