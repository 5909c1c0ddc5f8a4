// Refusals over real mTLS between two hosting nodes (issue 4 item 8; PROTOCOL.md §1.4, §4.2, §16):
// a suspended agency as recipient and as sender, an agency absent from the directory as recipient
// and as sender, and a hosting node sending for an agency it does not list. The sending node holds
// an older directory than the receiving one, so it sends and the receiver refuses: each refusal is
// coded on both sides (the receiver's problem+json, the sender's failed recipient naming that code)
// and the receiver stores nothing. With the newer directory the sending node refuses at its API.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { federationPost, thaiLetter, waitFor } from '../helpers/nodes.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'

let net: HostingNet
let s: HostingNode // sends: alpha, omega (suspended later), zeta (absent later)
let r: HostingNode // receives: beta (suspended later), gamma, delta (absent later)
let newer: string

t.before(async () => {
  net = await hostingNet([
    { id: 'node-s', mode: 'node', agencies: ['alpha', 'omega', 'zeta'] },
    { id: 'node-r', mode: 'node', agencies: ['beta', 'gamma', 'delta'] },
  ], { delivery: { maxAttempts: 3 } })
  s = net.nodes['node-s']!
  r = net.nodes['node-r']!
  const gone = new Set(['zeta', 'delta'])
  const doc: DirectoryDocument = {
    ...net.directory, serial: 2,
    agencies: net.directory.agencies
      .filter((a) => !gone.has(a.id))
      .map((a) => (a.id === 'beta' || a.id === 'omega' ? { ...a, status: 'suspended' as const } : a)),
    nodes: net.directory.nodes!.map((n) => ({ ...n, agencies: n.agencies.filter((id) => !gone.has(id)) })),
  }
  newer = await net.sign(doc)
  await r.useDirectory(newer) // node-s keeps serial 1
  await s.start()
  await r.start()
})
t.teardown(async () => net?.stop())

const letter = (from: string, to: string) => ({ letter: { ...thaiLetter([to]), sender: { agency: from } } })

async function refusedBothSides(t: Test, from: string, to: string, code: string, field: string) {
  const sent = await s.call(from, 'POST', '/api/v1/letters', letter(from, to))
  t.equal(sent.status, 202, `node-s (older directory) accepts ${from} → ${to}`)
  const rec = await waitFor(`${from} → ${to} failed`, async () => {
    const x = (await s.call(from, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients[0]
    return x.status === 'failed' ? x : undefined
  })
  t.equal(rec.lastError.code, 'ERR_PEER_REFUSED', 'sender side: the recipient failed at once, as a refusal')
  t.match(rec.lastError.detail, new RegExp(`\\b${code}\\b`), `sender side: the peer's code ${code} is recorded`)
  t.equal(r.ctx!.inbox.list({ agencies: ['beta', 'gamma', 'delta'], limit: 10 }).length, 0, 'receiver side: nothing stored')

  // The receiver's own answer, read directly over mTLS with node-s's TLS identity.
  const sender = net.keys[from]!
  const envelope = await s.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from, to, sentAt: new Date().toISOString(),
    letter: { ...thaiLetter([to]), sender: { agency: from, name: from }, attachments: [] } as never,
    attachments: [], signer: { agency: from, key: sender.signing[0]!.key, chain: sender.signing[0]!.chain },
    recipientCert: net.keys[to]!.encryption[0]!.cert,
  })
  const res = await federationPost(r.port, { key: s.tls.keyPem, cert: s.tls.chainPem, ca: net.pki.root.certPem, body: envelope.envelope })
  const problem = JSON.parse(res.body.toString())
  t.equal(problem.code, code, `receiver side: ${code}`)
  t.equal(problem.field, field)
  t.equal(res.status, code === 'ERR_UNKNOWN_AGENCY' ? 422 : 403)
  t.equal(r.ctx!.inbox.list({ agencies: ['beta', 'gamma', 'delta'], limit: 10 }).length, 0, 'receiver side: still nothing stored')
}

t.test('a suspended recipient', (t) => refusedBothSides(t, 'alpha', 'beta', 'ERR_AGENCY_SUSPENDED', 'srb_to'))
t.test('a suspended sender', (t) => refusedBothSides(t, 'omega', 'gamma', 'ERR_AGENCY_SUSPENDED', 'srb_from'))
t.test('a recipient absent from the directory (still hosted by the node)', (t) => refusedBothSides(t, 'alpha', 'delta', 'ERR_UNKNOWN_AGENCY', 'srb_to'))
t.test('a sender absent from the directory (still hosted by the node)', (t) => refusedBothSides(t, 'zeta', 'gamma', 'ERR_UNKNOWN_AGENCY', 'srb_from'))

t.test('a hosting node may not send for an agency it does not list', async (t) => {
  const gamma = net.keys.gamma!
  const envelope = await s.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from: 'gamma', to: 'gamma', sentAt: new Date().toISOString(),
    letter: { ...thaiLetter(['gamma']), sender: { agency: 'gamma', name: 'gamma' }, attachments: [] } as never,
    attachments: [], signer: { agency: 'gamma', key: gamma.signing[0]!.key, chain: gamma.signing[0]!.chain },
    recipientCert: gamma.encryption[0]!.cert,
  })
  // node-s's TLS identity, a letter signed with gamma's own key (gamma is hosted by node-r): refused at check 6.
  const res = await federationPost(r.port, { key: s.tls.keyPem, cert: s.tls.chainPem, ca: net.pki.root.certPem, body: envelope.envelope })
  t.equal(res.status, 403)
  t.equal(JSON.parse(res.body.toString()).code, 'ERR_SENDER_MISMATCH')
  t.equal(r.ctx!.inbox.list({ agencies: ['beta', 'gamma', 'delta'], limit: 10 }).length, 0)
})

t.test('with the newer directory the sending node refuses at its API, queueing nothing', async (t) => {
  await s.useDirectory(newer)
  const before = s.ctx!.outbox.counts()
  for (const [from, to, code, field] of [
    ['alpha', 'beta', 'ERR_AGENCY_SUSPENDED', '/letter/recipients/0/agency'],
    ['alpha', 'delta', 'ERR_UNKNOWN_AGENCY', '/letter/recipients/0/agency'],
    ['omega', 'gamma', 'ERR_AGENCY_SUSPENDED', '/letter/sender/agency'],
    ['zeta', 'gamma', 'ERR_UNKNOWN_AGENCY', '/letter/sender/agency'],
  ] as const) {
    const res = await s.call(from, 'POST', '/api/v1/letters', letter(from, to))
    t.equal(res.body.code, code, `${from} → ${to}: ${code}`)
    t.equal(res.body.errors?.[0]?.field ?? res.body.field, field)
  }
  t.same(s.ctx!.outbox.counts(), before, 'nothing queued')
})
