// Withdrawing before delivery (PROTOCOL.md §18.4), over real mTLS: a recipient whose message is
// still queued (its node is down) is withdrawn by cancelling the message, which then never goes out,
// not even once the node is back; a recipient with an attempt in flight (its endpoint hangs) is
// refused with ERR_WITHDRAW_IN_FLIGHT, and once that attempt has ended and the letter is delivered,
// the same request sends the signed withdrawal.
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { testNet, call, waitFor, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  // Retries 0–2 s apart, so that a queued message is mostly waiting, not in flight.
  net = await testNet(['moi', 'mof', 'dga'], { delivery: { initialBackoffMs: 2000, maxBackoffMs: 2000 } })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const recipient = async (node: TestNode, letterId: string, agency: string) =>
  (await call(node, 'GET', `/api/v1/letters/${letterId}`)).body.recipients.find((r: { agency: string }) => r.agency === agency)

/** The withdrawal, asked again while an attempt is in flight, as the refusal tells the caller to. */
async function withdrawWhenNotInFlight(node: TestNode, letterId: string, body: object) {
  return waitFor('a withdrawal not refused as in flight', async () => {
    const r = await call(node, 'POST', `/api/v1/letters/${letterId}/withdraw`, body)
    return r.body.code === 'ERR_WITHDRAW_IN_FLIGHT' ? undefined : r
  })
}

t.test('a queued recipient is cancelled: never sent, not even after its node comes back', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!, dga = net.nodes.dga!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof', 'dga'], { subject: 'ถอนก่อนส่งถึง' }) })
  t.equal(sent.status, 202)
  const id = sent.body.id
  await waitFor('mof delivered', async () => ((await recipient(moi, id, 'mof')).status === 'delivered' ? true : undefined))
  const before = await waitFor('a failed attempt to dga', async () => {
    const r = await recipient(moi, id, 'dga')
    return r.attempts >= 1 ? r : undefined
  })
  t.equal(before.lastError.code, 'ERR_PEER_UNREACHABLE', 'dga is down')

  const w = await withdrawWhenNotInFlight(moi, id, { reason: 'ขอลบหนังสือเพื่อส่งใหม่' })
  t.equal(w.status, 202, `answered ${w.body.code ?? w.status}`)
  const byAgency = Object.fromEntries(w.body.recipients.map((r: { agency: string }) => [r.agency, r]))
  t.equal(byAgency.mof.state, 'withdrawn', 'mof had it: a withdrawal notice goes out')
  t.ok(byAgency.mof.withdrawn.notice, 'with its notice')
  t.match(byAgency.dga, { state: 'withdrawn', status: 'cancelled', withdrawn: { reason: 'ขอลบหนังสือเพื่อส่งใหม่', cancelled: true } }, 'dga is cancelled')
  t.notOk(byAgency.dga.withdrawn.notice, 'no notice for a letter dga never had')
  t.equal(byAgency.dga.lastError.code, 'ERR_DELIVERY_CANCELLED')
  t.equal(w.body.status, 'delivered', 'the letter aggregate leaves the cancelled recipient out')
  const attempts = byAgency.dga.attempts

  const events = (await call(moi, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })).body.items
  const cancelled = events.filter((e: { type: string }) => e.type === 'letter.cancelled')
  t.equal(cancelled.length, 1, 'one letter.cancelled event for the sender')
  t.match(cancelled[0], { letterId: id, data: { recipient: 'dga', reason: 'ขอลบหนังสือเพื่อส่งใหม่' } })
  t.notOk(events.some((e: { type: string }) => e.type === 'letter.failed'), 'a cancellation is not a failure')
  const again = await call(moi, 'POST', `/api/v1/letters/${id}/withdraw`, { reason: 'x', recipients: ['dga'] })
  t.equal(again.body.code, 'ERR_ALREADY_WITHDRAWN', 'withdrawn once')

  // dga comes back; a later letter to it is delivered, the cancelled one never is.
  await dga.start()
  const later = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['dga'], { subject: 'หนังสือฉบับใหม่' }) })
  await waitFor('the later letter delivered', async () => ((await recipient(moi, later.body.id, 'dga')).status === 'delivered' ? true : undefined))
  const inbox = (await call(dga, 'GET', '/api/v1/inbox')).body.items
  t.same(inbox.map((i: { subject: string }) => i.subject), ['หนังสือฉบับใหม่'], 'dga has only the later letter')
  const after = await recipient(moi, id, 'dga')
  t.equal(after.status, 'cancelled')
  t.equal(after.attempts, attempts, 'no attempt after the cancellation')
  t.equal(moi.ctx!.notices.unsealed().length, 0, 'and no withdrawal waits to be sent to dga')
  await waitFor('the withdrawal at mof', async () => ((await call(mof, 'GET', `/api/v1/inbox/${byAgency.mof.messageId}`)).body.state === 'withdrawn' ? true : undefined))
})

t.test('an attempt in flight: refused clearly; once delivered, the withdrawal notice follows', async (t) => {
  const moi = net.nodes.moi!, dga = net.nodes.dga!
  await dga.stop()
  // dga's endpoint accepts connections and never answers: the attempt hangs in flight.
  const sockets = new Set<Socket>()
  const hang = createServer((s) => { sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>((resolve) => hang.listen(dga.federationPort, '127.0.0.1', resolve))
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['dga'], { subject: 'ถอนระหว่างส่ง' }) })
  const id = sent.body.id
  await waitFor('an attempt in flight', async () => ((await recipient(moi, id, 'dga')).status === 'sending' ? true : undefined))
  const all = await call(moi, 'POST', `/api/v1/letters/${id}/withdraw`, { reason: 'ขอลบหนังสือเพื่อส่งใหม่' })
  t.equal(all.status, 409)
  t.equal(all.body.code, 'ERR_WITHDRAW_IN_FLIGHT', 'without a list')
  t.match(all.body.detail, /in a moment/)
  const named = await call(moi, 'POST', `/api/v1/letters/${id}/withdraw`, { reason: 'x', recipients: ['dga'] })
  t.equal(named.body.code, 'ERR_WITHDRAW_IN_FLIGHT', 'named')
  t.equal(named.body.field, '/recipients/0')
  t.equal((await recipient(moi, id, 'dga')).state, 'sending', 'a refused withdrawal leaves nothing behind')

  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => hang.close(() => resolve()))
  await dga.start()
  const done = await waitFor('delivered after all', async () => {
    const r = await recipient(moi, id, 'dga')
    return r.status === 'delivered' ? r : undefined
  })
  const w = await call(moi, 'POST', `/api/v1/letters/${id}/withdraw`, { reason: 'ขอลบหนังสือเพื่อส่งใหม่' })
  t.equal(w.status, 202, `answered ${w.body.code ?? w.status}`)
  t.match(w.body.recipients[0], { state: 'withdrawn', status: 'delivered' })
  t.ok(w.body.recipients[0].withdrawn.notice, 'a signed withdrawal goes out')
  await waitFor('the withdrawal at dga', async () => ((await call(dga, 'GET', `/api/v1/inbox/${done.messageId}`)).body.state === 'withdrawn' ? true : undefined))
})
