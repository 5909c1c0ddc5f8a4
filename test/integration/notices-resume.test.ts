// Notices across restarts and failures (PROTOCOL.md §18.5), real nodes over real mTLS:
// - a notice recorded but not sealed when the node stopped (the state a crash between the act's two
//   transactions leaves) is sealed by the resume at start and delivered;
// - a notice sealed and queued while its addressee is down survives the sender's restart and is
//   delivered once the addressee is back;
// - a notice that exhausts its attempts fails: event `notice.failed`, and its status shows it.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { isoTime } from '../../src/clock.js'
import type { Notice } from '../../src/domain/notices.js'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNode } from '../helpers/nodes.js'

const recipient = async (node: TestNode, letterId: string, agency: string) =>
  (await call(node, 'GET', `/api/v1/letters/${letterId}`)).body.recipients.find((r: { agency: string }) => r.agency === agency)

const waitState = (node: TestNode, letterId: string, agency: string, state: string) =>
  waitFor(`${agency} of ${letterId} → ${state}`, async () => {
    const r = await recipient(node, letterId, agency)
    return r?.state === state ? r : undefined
  })

async function deliveredTo(moi: TestNode, subject: string): Promise<{ letterId: string; messageId: string }> {
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject }) })
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  return { letterId: sent.body.id, messageId: done.recipients[0].messageId }
}

t.test('restarts: an unsealed notice is sealed at start; a queued one is delivered after the restart', async (t) => {
  const net = await testNet(['moi', 'mof'])
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()

  // 1. Phase one of a registration without phase two: the register entry and the recorded notice,
  //    committed together, as registerLetter (services/notices/acts.ts) does before it seals.
  const first = await deliveredTo(moi, 'ลงรับแล้วเครื่องหยุด')
  const ref = mof.ctx!.notices.inboxRef(first.messageId)!
  const noticeId = randomUUID()
  await mof.ctx!.db.write(() => {
    const now = Date.now()
    const r = mof.ctx!.registers.receive({ agency: 'mof', messageId: first.messageId, at: now, entry: {} })
    const notice: Notice = { type: 'accepted', messageId: first.messageId, envelopeSha256: ref.envelopeSha256, at: isoTime(now), register: { book: r.book, year: r.year > 2400 ? r.year - 543 : r.year, number: r.number } }
    mof.ctx!.notices.insertOut({ messageId: noticeId, type: 'accepted', refersTo: first.messageId, fromAgency: 'mof', toAgency: 'moi', noticeJson: JSON.stringify(notice), createdAt: now })
  })
  const pending = (await call(mof, 'GET', `/api/v1/inbox/${first.messageId}`)).body
  t.equal(pending.state, 'registered')
  t.equal(pending.registration.notice.status, 'pending', 'recorded, not sealed')

  // 2. A rejection sealed and queued while moi is down.
  const second = await deliveredTo(moi, 'ปฏิเสธขณะผู้ส่งหยุด')
  await moi.stop()
  const rej = await call(mof, 'POST', `/api/v1/inbox/${second.messageId}/reject`, { reasonCode: 'incomplete', reason: 'สิ่งที่ส่งมาด้วยไม่ครบ' })
  t.equal(rej.status, 200, `answered ${rej.body.code ?? rej.status}`)
  const rejection = await waitFor('a failed attempt of the rejection', async () => {
    const n = (await call(mof, 'GET', `/api/v1/inbox/${second.messageId}`)).body.rejection.notice
    return n.status !== 'delivered' && n.lastError ? n : undefined
  })
  t.equal(rejection.lastError.code, 'ERR_PEER_UNREACHABLE', 'moi is down')
  t.equal(mof.ctx!.notices.get(noticeId)!.letterId, null, 'the acceptance is still unsealed when mof stops')

  await mof.stop()
  await moi.start()
  await mof.start()
  const accepted = await waitState(moi, first.letterId, 'mof', 'accepted')
  t.equal(accepted.accepted.noticeMessageId, noticeId, 'the resume sealed the recorded acceptance and it arrived')
  const rejected = await waitState(moi, second.letterId, 'mof', 'rejected')
  t.equal(rejected.rejected.reasonCode, 'incomplete', 'the queued rejection arrived after the restart')
  const atMof = await waitFor('both notices delivered', async () => {
    const a = (await call(mof, 'GET', `/api/v1/inbox/${first.messageId}`)).body.registration.notice
    const b = (await call(mof, 'GET', `/api/v1/inbox/${second.messageId}`)).body.rejection.notice
    return a.status === 'delivered' && b.status === 'delivered' ? [a, b] : undefined
  })
  t.equal(atMof.length, 2)
})

t.test('a notice past its give-up horizon: notice.failed, and its status shows failed', async (t) => {
  // Notices wait on the same circuit and give up at the same horizon as letters (PROTOCOL.md §7.2, §18.5).
  const net = await testNet(['moi', 'mof'], { delivery: { giveUpAfter: 1, initialBackoffMs: 50, maxBackoffMs: 100 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  await mof.start()
  const letter = await deliveredTo(moi, 'ลงรับแต่ผู้ส่งไม่รับแจ้ง')
  await moi.stop()
  const reg = await call(mof, 'POST', `/api/v1/inbox/${letter.messageId}/register`, {})
  t.equal(reg.status, 200, `answered ${reg.body.code ?? reg.status}`)
  const noticeId = reg.body.registration.notice.messageId
  const failed = await waitFor('the acceptance failed', async () => {
    const n = (await call(mof, 'GET', `/api/v1/inbox/${letter.messageId}`)).body.registration.notice
    return n.status === 'failed' ? n : undefined
  })
  t.equal(failed.messageId, noticeId)
  t.equal(failed.lastError.code, 'ERR_PEER_UNREACHABLE', 'with the last reason')
  t.equal((await call(mof, 'GET', `/api/v1/inbox/${letter.messageId}`)).body.state, 'registered', 'the registration itself stands')
  const events = (await call(mof, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })).body.items
  const nf = events.filter((e: { type: string }) => e.type === 'notice.failed')
  t.equal(nf.length, 1, 'one notice.failed event')
  t.match(nf[0], { agency: 'mof', messageId: noticeId, data: { to: 'moi', code: 'ERR_PEER_UNREACHABLE' } })
  t.notOk(events.some((e: { type: string }) => e.type === 'letter.failed'), 'not reported as a failed letter')
  t.match(failed.lastError.detail, /delivery\.giveUpAfter/, 'given up by time')
  t.equal(mof.ctx!.outbox.getMessage(noticeId)!.attempts, 1, 'one attempt: then it waited on the circuit, spending none')
})
