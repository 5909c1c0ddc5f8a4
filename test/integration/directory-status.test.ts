// A suspended agency can neither send nor receive (PROTOCOL.md §1.4, §4.2 checks 4 and 6).
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { testNet, call, federationPost, thaiLetter, type TestNet } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], {
    editDirectory: (doc) => ({ ...doc, agencies: doc.agencies.map((a) => (a.id === 'mof' ? { ...a, status: 'suspended' as const } : a)) }),
  })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

function sealFor(from: string, to: string) {
  const s = net.fed.agencies[from]!
  const letter = { ...thaiLetter([to]), sender: { agency: from, name: 'x' }, attachments: [] }
  return net.nodes.moi!.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from, to, sentAt: new Date().toISOString(),
    letter,
    attachments: [], signer: { agency: from, key: s.signing.key, chain: s.signing.chain },
    recipientCert: net.fed.agencies[to]!.encryption.cert,
  })
}

t.test('the API refuses a letter to a suspended agency, naming the recipient', async (t) => {
  const res = await call(net.nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(res.status, 403)
  t.equal(res.body.code, 'ERR_AGENCY_SUSPENDED')
  t.equal(res.body.errors[0].field, '/letter/recipients/0/agency')
  t.equal((await call(net.nodes.moi!, 'GET', '/api/v1/outbox')).body.items.length, 0, 'nothing queued')
})

t.test('a node refuses envelopes addressed to a suspended agency it hosts', async (t) => {
  const moiTls = net.fed.agencies.moi!.tls
  const res = await federationPost(net.nodes.mof!.federationPort, { key: moiTls.keyPem, cert: moiTls.chainPem, ca: net.fed.root.certPem, body: (await sealFor('moi', 'mof')).envelope })
  t.equal(res.status, 403)
  t.equal(JSON.parse(res.body.toString()).code, 'ERR_AGENCY_SUSPENDED')
  t.equal(net.nodes.mof!.ctx!.inbox.list({ agencies: ['mof'], limit: 5 }).length, 0)
})

t.test('a node refuses envelopes from a suspended agency', async (t) => {
  const mofTls = net.fed.agencies.mof!.tls
  const res = await federationPost(net.nodes.moi!.federationPort, { key: mofTls.keyPem, cert: mofTls.chainPem, ca: net.fed.root.certPem, body: (await sealFor('mof', 'moi')).envelope })
  t.equal(res.status, 403)
  t.equal(JSON.parse(res.body.toString()).code, 'ERR_AGENCY_SUSPENDED')
  t.equal(net.nodes.moi!.ctx!.inbox.list({ agencies: ['moi'], limit: 5 }).length, 0)
})
