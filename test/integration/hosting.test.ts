// One node hosting 200 agencies (PROTOCOL.md §16, issue 4 item 7): each with its own keys, inbox,
// outbox and API key; letters among them (through the node's own federation endpoint, over mTLS
// with the node's TLS identity) and with a one-agency node; an agency added and removed without restart.
import t from 'tap'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'

const N = 200
const ids = Array.from({ length: N }, (_, i) => `t${String(i + 1).padStart(3, '0')}`)
let net: HostingNet
let host: HostingNode
let city: HostingNode

t.before(async () => {
  const t0 = Date.now()
  net = await hostingNet([
    { id: 'host-1', mode: 'node', agencies: ids, later: ['late'] },
    { id: 'city-node', mode: 'agency', agencies: ['city'] },
  ])
  host = net.nodes['host-1']!
  city = net.nodes['city-node']!
  await host.start()
  await city.start()
  t.comment(`federation of ${N + 2} agencies made and both nodes started in ${Date.now() - t0} ms`)
})
t.teardown(async () => net?.stop())

const letterFrom = (from: string, to: string[], n: number) => ({
  letter: { ...thaiLetter(to), number: `ทต ${n}/2569`, sender: { agency: from } },
  attachments: [{ filename: `${from}.txt`, mediaType: 'text/plain', content: Buffer.from(`จาก ${from} ถึง ${to.join(',')}`).toString('base64') }],
})

async function outboxSettled(node: HostingNode, delivered: number) {
  return waitFor(`${node.spec.id}: ${delivered} delivered`, async () => {
    const c = node.ctx!.outbox.counts()
    if (c.failed > 0) throw new Error(`${node.spec.id}: ${c.failed} failed`)
    return c.delivered >= delivered ? c : undefined
  }, 45_000)
}

t.test('200 hosted agencies exchange letters among themselves and with another node', async (t) => {
  t.equal(host.ctx!.hosted.ids().length, N, 'every agency file loaded')
  const t0 = Date.now()
  const sent = await Promise.all(ids.map(async (from, i) => {
    const to = ids[(i + 1) % N]!
    const res = await host.call(from, 'POST', '/api/v1/letters', letterFrom(from, i % 10 === 0 ? [to, 'city'] : [to], i))
    if (res.status !== 202) throw new Error(`${from}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.id as string
  }))
  const fromCity = await city.call('city', 'POST', '/api/v1/letters', letterFrom('city', ids.slice(0, 20), 9999))
  t.equal(fromCity.status, 202)
  await outboxSettled(host, N + N / 10)
  await outboxSettled(city, 20)
  t.comment(`${N + N / 10 + 20} envelopes delivered in ${Date.now() - t0} ms`)
  t.equal(sent.length, N)

  // Each agency sees its own letters only, through its own API key.
  for (const [i, id] of ids.entries()) {
    const inbox = await host.call(id, 'GET', '/api/v1/inbox')
    const expected = [ids[(i + N - 1) % N], ...(i < 20 ? ['city'] : [])].sort()
    t.same(inbox.body.items.map((m: { from: string }) => m.from).sort(), expected, `${id} received from ${expected.join(', ')}`)
    t.ok(inbox.body.items.every((m: { to: string }) => m.to === id), `${id}'s inbox holds only its letters`)
    const outbox = await host.call(id, 'GET', '/api/v1/outbox')
    t.equal(outbox.body.items.length, 1, `${id}'s outbox holds only its letter`)
  }
  const cityInbox = await city.call('city', 'GET', '/api/v1/inbox')
  t.equal(cityInbox.body.items.length, N / 10, 'city received from every tenth hosted agency')
})

t.test('an API key of one hosted agency cannot see another agency\'s letters', async (t) => {
  const theirs = (await host.call('t003', 'GET', '/api/v1/inbox')).body.items.find((m: { from: string }) => m.from === 't002')
  const mine = await host.call('t001', 'GET', `/api/v1/inbox/${theirs.id}`)
  t.equal(mine.status, 404)
  t.equal(mine.body.code, 'ERR_NOT_FOUND')
  const listed = await host.call('t001', 'GET', '/api/v1/inbox?agency=t003')
  t.equal(listed.status, 403)
  t.equal(listed.body.code, 'ERR_FORBIDDEN')
  const ownRead = await host.call('t003', 'GET', `/api/v1/inbox/${theirs.id}/attachments/a1`)
  t.equal(ownRead.status, 200, 'the recipient reads its attachment (decrypted with its own key)')
  t.equal(ownRead.body.toString(), 'จาก t002 ถึง t003')
  const forged = await host.call('t001', 'POST', '/api/v1/letters', letterFrom('t003', ['t004'], 1))
  t.equal(forged.status, 403)
  t.equal(forged.body.code, 'ERR_FORBIDDEN', 't001 may not send for t003')
})

t.test('an agency is added and removed without a restart', async (t) => {
  t.equal((await host.call('late', 'GET', '/api/v1/inbox')).status, 401, 'not hosted yet: its key is unknown')
  host.writeAgency('late')
  const report = host.ctx!.reloadAgencies()!
  t.same(report.added, ['late'])
  t.same(report.failed, [])

  const toLate = await city.call('city', 'POST', '/api/v1/letters', letterFrom('city', ['late'], 1))
  const fromLate = await host.call('late', 'POST', '/api/v1/letters', letterFrom('late', ['city', 't100'], 2))
  t.equal(toLate.status, 202)
  t.equal(fromLate.status, 202)
  await waitFor('late ↔ city', async () => {
    const a = (await city.call('city', 'GET', `/api/v1/letters/${toLate.body.id}`)).body
    const b = (await host.call('late', 'GET', `/api/v1/letters/${fromLate.body.id}`)).body
    return [...a.recipients, ...b.recipients].every((r: { status: string }) => r.status === 'delivered') || undefined
  })
  t.equal((await host.call('late', 'GET', '/api/v1/inbox')).body.items.length, 1)

  host.removeAgency('late')
  t.same(host.ctx!.reloadAgencies()!.removed, ['late'])
  t.equal((await host.call('late', 'GET', '/api/v1/inbox')).status, 401, 'its API key stops working at once')
  const again = await city.call('city', 'POST', '/api/v1/letters', letterFrom('city', ['late'], 3))
  t.equal(again.status, 202, 'city still sees late in the directory')
  const failed = await waitFor('refusal recorded', async () => {
    const r = (await city.call('city', 'GET', `/api/v1/letters/${again.body.id}`)).body.recipients[0]
    return r.status === 'failed' ? r : undefined
  })
  t.equal(failed.lastError.code, 'ERR_PEER_REFUSED')
  t.match(failed.lastError.detail, /ERR_RECIPIENT_NOT_HOSTED/, 'the sender records the hosting node\'s code')
  t.equal(host.ctx!.inbox.list({ agencies: ['late'], limit: 10 }).length, 1, 'nothing more stored for late')
})

t.test('the folder is watched: a new file is picked up without SIGHUP', async (t) => {
  host.writeAgency('late')
  await waitFor('late hosted again', () => host.ctx!.hosted.has('late') || undefined, 5_000)
  t.pass('fs.watch rescanned the folder')
})
