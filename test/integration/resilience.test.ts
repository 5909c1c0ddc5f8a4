// A receiver that is down and comes back; a sender restarted with letters queued (issue 2 §13).
import t from 'tap'
import { testNet, call, waitFor, waitForRecipient, thaiLetter } from '../helpers/nodes.js'

t.test('a receiver that is down, then comes up: the letter waits on its circuit and is delivered', async (t) => {
  const net = await testNet(['moi', 'mof'])
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202)
  // PROTOCOL.md §7.2 "Patience": one attempt, then probes of the peer, not attempts of the letter.
  await waitFor('several probes', async () => (await call(moi, 'GET', '/api/v1/peers')).body.peers.find((p: { failures: number }) => p.failures >= 4))
  const waiting = (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients[0]
  t.equal(waiting.lastError.code, 'ERR_PEER_UNREACHABLE', 'the reason is shown while it waits')
  t.equal(waiting.attempts, 1, 'while the peer is down the letter spends no attempts')
  await mof.start()
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  t.equal(done.recipients[0].attempts, 2, 'delivered by the attempt after the probe that found the peer up')
  t.equal((await call(mof, 'GET', '/api/v1/inbox')).body.items.length, 1)
})

t.test('a sender restarted with letters queued delivers them all after the restart', async (t) => {
  const net = await testNet(['moi', 'mof'], { delivery: { initialBackoffMs: 100, maxBackoffMs: 200 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start()
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const r = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `หนังสือที่ ${i + 1}` }) })
    t.equal(r.status, 202)
    ids.push(r.body.id)
  }
  await moi.stop()
  await mof.start()
  await moi.start()
  for (const id of ids) await waitForRecipient(moi, id, 'delivered')
  const inbox = (await call(mof, 'GET', '/api/v1/inbox?limit=50')).body.items
  t.equal(inbox.length, 5, 'every queued letter arrived, once')
  t.same(new Set(inbox.map((i: { subject: string }) => i.subject)), new Set(ids.map((_, i) => `หนังสือที่ ${i + 1}`)))
})

t.test('a refusal fails the recipient at once, with the peer reason, without retrying', async (t) => {
  // The directory sends mof's letters to dga's node, which does not host mof: 421, a refusal.
  let dgaEndpoint = ''
  const net = await testNet(['moi', 'dga'], {
    editDirectory: (doc) => {
      dgaEndpoint = doc.agencies.find((a) => a.id === 'dga')!.endpoints[0]!
      return { ...doc, agencies: doc.agencies.map((a) => (a.id === 'mof' ? { ...a, endpoints: [dgaEndpoint] } : a)) }
    },
  })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  await moi.start()
  await net.nodes.dga!.start()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  const done = await waitForRecipient(moi, sent.body.id, 'failed')
  const r = done.recipients[0]
  t.equal(r.attempts, 1, 'no retry')
  t.equal(r.lastError.code, 'ERR_PEER_REFUSED')
  t.match(r.lastError.detail, /421 ERR_RECIPIENT_NOT_HOSTED/, "the peer's code is kept")
})
