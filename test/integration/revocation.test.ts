// Revocation and expiry over real mTLS (issue 4 items 4 and 8; PROTOCOL.md §15): a revoked TLS client
// certificate, a revoked signing certificate, a revoked recipient encryption certificate and expired
// certificates are refused with a coded error on both sides and nothing stored; a CRL republished
// while the node runs takes effect; hard fail refuses what soft fail lets through (loudly).
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { Client } from 'undici'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testNet, federationPost, thaiLetter, call, waitFor, type TestNet } from '../helpers/nodes.js'
import { testFederation } from '../helpers/federation.js'
import { federationCrls, issueCertificate, type Issued } from '../../src/pki/dev-ca.js'
import { toBase64Der } from '../../src/pki/cert.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'
import type { SignerIdentity } from '../../src/crypto/types.js'

const MIN = 60_000
const subjectOf = (id: string) => ({ commonName: `${id} (revocation test)`, agencyId: id })

// Extra certificates, listed in the directory beside the agencies' own ones.
let extra: {
  tlsRevoked: Issued; tlsExpired: Issued; tlsLate: Issued; tlsKeepAlive: Issued
  signRevoked: Issued; signExpired: Issued; encRevoked: Issued; signLate: Issued
}
let net: TestNet

function listExtra(shared: DirectoryDocument): DirectoryDocument {
  const doc = structuredClone(shared) // the entries are shared with the memoised federation
  const add = (id: string, role: 'tls' | 'signing' | 'encryption', certs: Issued[]) => {
    const a = doc.agencies.find((x) => x.id === id)!
    a.certificates[role] = [...a.certificates[role], ...certs.map((c) => toBase64Der(c.cert))]
  }
  add('moi', 'tls', [extra.tlsRevoked, extra.tlsExpired, extra.tlsLate, extra.tlsKeepAlive])
  add('moi', 'signing', [extra.signRevoked, extra.signExpired, extra.signLate])
  add('dga', 'encryption', [extra.encRevoked]) // the newest: senders pick it (PROTOCOL.md §1.4)
  return doc
}

t.before(async () => {
  const fed = await testFederation()
  const ca = fed.intermediate
  const now = Date.now()
  const expired = { notBefore: new Date(now - 50 * MIN), notAfter: new Date(now - 10 * MIN) }
  extra = {
    tlsRevoked: await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subjectOf('moi') }),
    tlsExpired: await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subjectOf('moi'), ...expired }),
    tlsLate: await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subjectOf('moi') }), // revoked mid-test
    tlsKeepAlive: await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subjectOf('moi') }), // revoked while connected
    signRevoked: await issueCertificate(ca, { role: 'signing', keyType: 'rsa', subject: subjectOf('moi') }),
    signExpired: await issueCertificate(ca, { role: 'signing', keyType: 'ec', subject: subjectOf('moi'), ...expired }),
    encRevoked: await issueCertificate(ca, { role: 'encryption', keyType: 'ec', subject: subjectOf('dga'), notBefore: new Date(now) }),
    signLate: await issueCertificate(ca, { role: 'signing', keyType: 'rsa', subject: subjectOf('moi') }), // revoked while both nodes are down
  }
  const crls = await federationCrls(fed, {
    revoked: [
      { cert: extra.tlsRevoked.cert, reason: 'keyCompromise' },
      { cert: extra.signRevoked.cert, reason: 'keyCompromise' },
      { cert: extra.encRevoked.cert, reason: 'superseded' },
    ],
    number: 2,
    now: new Date(now - 1000),
  })
  net = await testNet(['moi', 'mof'], { editDirectory: listExtra, crls })
  await net.nodes.mof!.start()
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const inboxSize = () => net.nodes.mof!.ctx!.inbox.list({ agencies: ['mof'], limit: 10 }).length

const letterToMof = () => ({ ...thaiLetter(['mof']), sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' }, attachments: [] })

async function seal(signer?: SignerIdentity) {
  const a = net.fed.agencies.moi!
  return net.nodes.mof!.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: new Date().toISOString(),
    letter: letterToMof(),
    attachments: [],
    signer: signer ?? { agency: 'moi', key: a.signing.key, chain: a.signing.chain },
    recipientCert: net.fed.agencies.mof!.encryption.cert,
  })
}

const as = (tls: Issued) => ({ key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem })

async function expectRefusal(t: Test, res: { status: number; contentType: string; body: Buffer }, status: number, code: string) {
  t.equal(res.status, status, res.status < 300 ? 'accepted' : res.body.toString())
  t.match(res.contentType, /^application\/problem\+json/)
  t.equal(JSON.parse(res.body.toString()).code, code)
  t.equal(inboxSize(), 0, 'nothing was stored')
}

/** Restart moi with one of its key files replaced, run `fn`, restore. */
async function withMoiIdentity(role: 'tls' | 'signing', issued: Issued, fn: () => Promise<void>) {
  const dir = join(net.dir, 'moi')
  const moi = net.nodes.moi!
  await moi.stop()
  for (const f of ['key', 'chain']) copyFileSync(join(dir, `${role}.${f}.pem`), join(dir, `${role}.${f}.pem.orig`))
  writeFileSync(join(dir, `${role}.key.pem`), issued.keyPem, { mode: 0o600 })
  writeFileSync(join(dir, `${role}.chain.pem`), issued.chainPem)
  try {
    await moi.start()
    await fn()
  } finally {
    await moi.stop()
    for (const f of ['key', 'chain']) copyFileSync(join(dir, `${role}.${f}.pem.orig`), join(dir, `${role}.${f}.pem`))
    await moi.start()
  }
}

async function sendToMof() {
  return call(net.nodes.moi!, 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['mof']), sender: { agency: 'moi' } } })
}

t.test('control: the agencies\' own certificates pass the hard-fail check, and a letter is delivered', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(net.fed.agencies.moi!.tls), body: (await seal()).envelope })
  t.equal(res.status, 201, res.status === 201 ? "accepted" : res.body.toString())
  const db = net.nodes.mof!.ctx!.db.sqlite
  for (const table of ['inbox_attachments', 'inbox_envelopes', 'inbox_messages']) db.prepare(`DELETE FROM ${table}`).run()
})

t.test('a revoked TLS client certificate is refused at connection time', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(extra.tlsRevoked), body: (await seal()).envelope })
  await expectRefusal(t, res, 403, 'ERR_CERT_REVOKED')
  t.match(JSON.parse(res.body.toString()).detail, /revoked since .*keyCompromise/)

  // The sender's side: a node whose TLS certificate is revoked records the coded refusal; nothing is stored.
  await withMoiIdentity('tls', extra.tlsRevoked, async () => {
    const sent = await sendToMof()
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    const failed = await waitFor('refusal recorded', async () => {
      const r = await call(net.nodes.moi!, 'GET', `/api/v1/letters/${sent.body.id}`)
      return r.body.recipients[0].status === 'failed' ? r.body.recipients[0] : undefined
    })
    t.equal(failed.lastError.code, 'ERR_PEER_REFUSED')
    t.match(failed.lastError.detail, /403 ERR_CERT_REVOKED/)
    t.equal(inboxSize(), 0, 'nothing was stored')
  })
})

t.test('a revoked signing certificate is refused on receipt, and by the sending node itself', async (t) => {
  const s = extra.signRevoked
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(net.fed.agencies.moi!.tls), body: (await seal({ agency: 'moi', key: s.key, chain: s.chain })).envelope })
  await expectRefusal(t, res, 403, 'ERR_CERT_REVOKED')

  await withMoiIdentity('signing', s, async () => {
    const before = (await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.length
    const sent = await sendToMof()
    t.equal(sent.status, 503, JSON.stringify(sent.body))
    t.equal(sent.body.code, 'ERR_SIGNING_CERT_REVOKED', 'issue 17 item 4: the code says what to do')
    const list = await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')
    t.equal(list.body.items.length, before, 'nothing was queued')
  })
})

t.test('a revoked recipient encryption certificate: nothing is sealed or sent', async (t) => {
  const before = (await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.length
  const res = await call(net.nodes.moi!, 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['dga']), sender: { agency: 'moi' } } })
  t.equal(res.status, 403, JSON.stringify(res.body))
  t.equal(res.body.code, 'ERR_CERT_REVOKED')
  t.match(res.body.detail, /encryption certificate of "dga".*superseded/)
  t.equal((await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.length, before, 'nothing was queued')
})

t.test('expired certificates: TLS client (both sides) and signing', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(extra.tlsExpired), body: (await seal()).envelope })
  await expectRefusal(t, res, 403, 'ERR_CERT_EXPIRED')
  await withMoiIdentity('tls', extra.tlsExpired, async () => {
    const sent = await sendToMof()
    const failed = await waitFor('refusal recorded', async () => {
      const r = await call(net.nodes.moi!, 'GET', `/api/v1/letters/${sent.body.id}`)
      return r.body.recipients[0].status === 'failed' ? r.body.recipients[0] : undefined
    })
    t.match(failed.lastError.detail, /403 ERR_CERT_EXPIRED/, 'the sender records the coded refusal')
    t.equal(inboxSize(), 0, 'nothing was stored')
  })

  const x = extra.signExpired
  const signed = await federationPost(net.nodes.mof!.federationPort, { ...as(net.fed.agencies.moi!.tls), body: (await seal({ agency: 'moi', key: x.key, chain: x.chain })).envelope })
  await expectRefusal(t, signed, 403, 'ERR_CERT_EXPIRED')

  await withMoiIdentity('signing', x, async () => {
    const sent = await sendToMof()
    t.equal(sent.body.code, 'ERR_CERT_EXPIRED', 'the sending node refuses to sign with an expired certificate')
  })
})

t.test('a CRL republished while the node runs takes effect at the next connection', async (t) => {
  const ok = await federationPost(net.nodes.mof!.federationPort, { ...as(extra.tlsLate), body: (await seal()).envelope })
  t.equal(ok.status, 201, 'accepted before the revocation')
  const db = net.nodes.mof!.ctx!.db.sqlite
  for (const table of ['inbox_attachments', 'inbox_envelopes', 'inbox_messages']) db.prepare(`DELETE FROM ${table}`).run()

  const crls = await federationCrls(net.fed, {
    revoked: [{ cert: extra.tlsRevoked.cert }, { cert: extra.signRevoked.cert }, { cert: extra.encRevoked.cert }, { cert: extra.tlsLate.cert, reason: 'keyCompromise' }],
    number: 3,
  })
  writeFileSync(join(net.dir, 'issuing-ca.crl'), crls.intermediate)
  await net.nodes.mof!.ctx!.crlSources.refresh()
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(extra.tlsLate), body: (await seal()).envelope })
  await expectRefusal(t, res, 403, 'ERR_CERT_REVOKED')

  // An older CRL put back in place (rollback) changes nothing.
  writeFileSync(join(net.dir, 'issuing-ca.crl'), net.fed.crls.intermediate)
  await net.nodes.mof!.ctx!.crlSources.refresh()
  const st = net.nodes.mof!.ctx!.crlSources.status().find((s) => s.location.endsWith('issuing-ca.crl'))
  t.equal(st?.lastError?.code, 'ERR_CRL_INVALID')
  t.match(st?.lastError?.reason, /rollback/)
  t.equal(st?.serial, '3', 'the newer CRL stays in force')
  const again = await federationPost(net.nodes.mof!.federationPort, { ...as(extra.tlsLate), body: (await seal()).envelope })
  await expectRefusal(t, again, 403, 'ERR_CERT_REVOKED')
  const health = await call(net.nodes.mof!, 'GET', '/healthz')
  t.equal(health.body.status, 'degraded', 'health says a CRL source needs attention')
  t.match(JSON.stringify(health.body.checks), /revocation.*issuing-ca\.crl.*ERR_CRL_INVALID/)
})

// Issue 13 §1: the peer's certificate is judged at every request, not once per connection.
t.test('a TLS certificate revoked while its keep-alive connection stays open is refused at the next request on it', async (t) => {
  const c = as(extra.tlsKeepAlive)
  const client = new Client(`https://127.0.0.1:${net.nodes.mof!.federationPort}`, {
    connect: { ca: c.ca, key: c.key, cert: c.cert, rejectUnauthorized: true }, pipelining: 1, keepAliveTimeout: 60_000,
  })
  t.teardown(() => client.close())
  let connections = 0
  client.on('connect', () => { connections++ })
  const post = async () => {
    const res = await client.request({ method: 'POST', path: '/federation/v1/messages', headers: { 'content-type': 'application/jose' }, body: (await seal()).envelope })
    const body = Buffer.from(await res.body.arrayBuffer())
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body }
  }
  const ok = await post()
  t.equal(ok.status, 201, 'accepted before the revocation')
  const db = net.nodes.mof!.ctx!.db.sqlite
  for (const table of ['inbox_attachments', 'inbox_envelopes', 'inbox_messages']) db.prepare(`DELETE FROM ${table}`).run()
  const crls = await federationCrls(net.fed, {
    revoked: [extra.tlsRevoked, extra.signRevoked, extra.encRevoked, extra.tlsLate, extra.tlsKeepAlive].map((i) => ({ cert: i.cert, reason: 'keyCompromise' as const })),
    number: 4,
  })
  writeFileSync(join(net.dir, 'issuing-ca.crl'), crls.intermediate)
  const [, mid] = await net.nodes.mof!.ctx!.crlSources.refresh()
  t.equal(mid!.outcome, 'updated')
  await expectRefusal(t, await post(), 403, 'ERR_CERT_REVOKED')
  t.equal(connections, 1, 'on the same connection')
})

// Found by the README's revocation walk-through: after a restart, a newer CRL whose issuer the node
// learns only from the directory was deferred, and the older kept copy stayed in force until the next
// retry (up to a minute): the node sealed with a revoked key and its peer accepted the letter.
t.test('nodes restarted after a CRL was republished have it in force before they serve', async (t) => {
  await net.nodes.moi!.stop()
  await net.nodes.mof!.stop()
  const crls = await federationCrls(net.fed, {
    revoked: [extra.tlsRevoked, extra.signRevoked, extra.encRevoked, extra.tlsLate, extra.tlsKeepAlive, extra.signLate].map((i) => ({ cert: i.cert, reason: 'keyCompromise' as const })),
    number: 5,
  })
  writeFileSync(join(net.dir, 'issuing-ca.crl'), crls.intermediate)
  await net.nodes.mof!.start()
  await net.nodes.moi!.start()
  const st = net.nodes.mof!.ctx!.crlSources.status().find((s) => s.location.endsWith('issuing-ca.crl'))
  t.equal(st?.serial, '5', 'the receiver holds the republished CRL, not its kept copy')
  const s = extra.signLate
  const res = await federationPost(net.nodes.mof!.federationPort, { ...as(net.fed.agencies.moi!.tls), body: (await seal({ agency: 'moi', key: s.key, chain: s.chain })).envelope })
  await expectRefusal(t, res, 403, 'ERR_CERT_REVOKED')
  await withMoiIdentity('signing', s, async () => {
    const sent = await sendToMof()
    t.equal(sent.body.code, 'ERR_SIGNING_CERT_REVOKED', 'the restarted sender refuses to seal with its revoked key')
  })
})

t.test('hard fail refuses to start without the issuing CA\'s CRL; soft fail starts, delivers, and still refuses revoked certificates', async (t) => {
  const hard = await testNet(['mof'], { trust: { crls: ['../root.crl'] } })
  t.teardown(() => hard.stop())
  await t.rejects(hard.nodes.mof!.start(), /revocation status of .* is unknown/)

  const fed = await testFederation()
  const crls = await federationCrls(fed, { revoked: [{ cert: extra.tlsRevoked.cert }], number: 2 })
  const soft = await testNet(['moi', 'mof'], { trust: { crls: [], revocation: 'soft' }, editDirectory: listExtra, crls })
  t.teardown(() => soft.stop())
  await soft.nodes.mof!.start()
  await soft.nodes.moi!.start()
  const sent = await call(soft.nodes.moi!, 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['mof']), sender: { agency: 'moi' } } })
  t.equal(sent.status, 202)
  const health = await call(soft.nodes.mof!, 'GET', '/healthz')
  t.match(JSON.stringify(health.body.checks), /soft-fail mode/, 'health says soft fail')
  await waitFor('delivered without CRLs (soft)', async () => {
    const r = await call(soft.nodes.moi!, 'GET', `/api/v1/letters/${sent.body.id}`)
    return r.body.recipients[0].status === 'delivered' ? true : undefined
  })

  const soft2 = await testNet(['mof'], { trust: { crls: ['../issuing-ca.crl'], revocation: 'soft' }, editDirectory: listExtra, crls })
  t.teardown(() => soft2.stop())
  await soft2.nodes.mof!.start()
  const res = await federationPost(soft2.nodes.mof!.federationPort, { ...as(extra.tlsRevoked), body: (await seal()).envelope })
  t.equal(res.status, 403)
  t.equal(JSON.parse(res.body.toString()).code, 'ERR_CERT_REVOKED', 'soft mode refuses a listed revocation')
})
