// Warnings before things break (issue 17 item 4) on real nodes over real mTLS: a node whose own
// signing certificate is revoked by a CRL update says so (/healthz failing, event certificate.revoked),
// signs nothing with it (API: 503 ERR_SIGNING_CERT_REVOKED), refuses letters with the retried
// 503 ERR_RECEIVER_CERT_REVOKED, and takes them again once a new certificate is in use (rollover,
// PROTOCOL.md §16.4); a certificate 25 days from expiry and a directory near its nextUpdate turn it
// degraded, each alert raised once.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'
import { federationCrls } from '../../src/pki/dev-ca.js'
import { fingerprint, toBase64Der } from '../../src/pki/cert.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'
import type { Issued } from '../../src/pki/dev-ca.js'

const DAY = 86_400_000
let net: HostingNet
let a: HostingNode // hosts alpha
let b: HostingNode // beta's own node
let doc: DirectoryDocument

t.before(async () => {
  net = await hostingNet([
    { id: 'node-a', mode: 'node', agencies: ['alpha'] },
    { id: 'node-b', mode: 'agency', agencies: ['beta'] },
  ])
  a = net.nodes['node-a']!
  b = net.nodes['node-b']!
  doc = net.directory
  await a.start()
  await b.start()
})
t.teardown(async () => net?.stop())

let n = 0
const letter = (from: string, to: string) => ({
  letter: { ...thaiLetter([to]), number: `รอ ${++n}/2569`, sender: { agency: from } },
  attachments: [{ filename: 'n.txt', mediaType: 'text/plain', content: Buffer.from(`letter ${n}`).toString('base64') }],
})

/** A new directory serial listing `signing` for `agency` (and, optionally, a nextUpdate), on both nodes. */
async function publish(agency: string, signing: Issued[] | undefined, nextUpdate?: Date): Promise<void> {
  doc = {
    ...doc, serial: doc.serial + 1, issuedAt: new Date(Date.now() - 1000).toISOString(),
    ...(nextUpdate ? { nextUpdate: nextUpdate.toISOString() } : {}),
    agencies: doc.agencies.map((x) => (x.id !== agency || !signing ? x : { ...x, certificates: { ...x.certificates, signing: signing.map((c) => toBase64Der(c.cert)) } })),
  }
  const jws = await net.sign(doc)
  await a.useDirectory(jws)
  await b.useDirectory(jws)
}

const healthOf = async (node: HostingNode, agency: string) => {
  const res = await node.call(agency, 'GET', '/healthz')
  return { status: res.status, body: res.body as { status: string; checks?: Array<{ name: string; status: string; detail: string }> } }
}

const eventsOf = (node: HostingNode, agency: string, type: string) =>
  node.ctx!.events.store.after({ afterId: 0, agencies: [agency], types: [type], limit: 100 })

t.test('control: both nodes are healthy and raised no certificate alert', async (t) => {
  for (const [node, agency] of [[a, 'alpha'], [b, 'beta']] as const) {
    const h = await healthOf(node, agency)
    t.equal(h.status, 200, JSON.stringify(h.body.checks))
    t.equal(h.body.status, 'ok')
    for (const type of ['certificate.revoked', 'certificate.expiring', 'trust.expiring']) t.equal(eventsOf(node, agency, type).length, 0, `no ${type}`)
  }
})

t.test('a node whose signing certificate is revoked stops signing with it until the new one is in use', async (t) => {
  const old = net.keys.beta!.signing[0]!
  const crls = await federationCrls({ root: net.pki.root, intermediate: net.pki.ca }, { revoked: [{ cert: old.cert, reason: 'keyCompromise' }], number: 2, validityDays: 30 })
  writeFileSync(join(net.dir, 'issuing-ca.crl'), crls.intermediate)
  for (const node of [a, b]) {
    const [, mid] = await node.ctx!.crlSources.refresh()
    t.equal(mid!.outcome, 'updated', 'the new CRL is in force')
  }

  // /healthz fails at once (the CRL update made the node look), naming the certificate and what to do.
  const h = await waitFor('/healthz failing', async () => {
    const x = await healthOf(b, 'beta')
    return x.body.status === 'failing' ? x : undefined
  })
  t.equal(h.status, 503)
  const check = h.body.checks!.find((c) => c.name === 'certificate-revoked')
  t.equal(check?.status, 'failing')
  t.match(check?.detail, /signing certificate of beta .* is revoked .*keyCompromise.*ERR_RECEIVER_CERT_REVOKED.*saraban-node renew/)
  const unauthenticated = await fetch(b.apiUrl + '/healthz')
  t.equal(unauthenticated.status, 503, 'a load balancer sees the failure without a key')

  const revokedEvents = eventsOf(b, 'beta', 'certificate.revoked')
  t.equal(revokedEvents.length, 1, 'event certificate.revoked')
  t.match(JSON.parse(revokedEvents[0]!.dataJson), { role: 'signing', agency: 'beta', fingerprint: fingerprint(old.cert), inUse: true })

  // The API refuses to seal with the revoked key, with a code that says what to do.
  const refused = await b.call('beta', 'POST', '/api/v1/letters', letter('beta', 'alpha'))
  t.equal(refused.status, 503, JSON.stringify(refused.body))
  t.match(refused.headers.get('content-type'), /^application\/problem\+json/)
  t.equal(refused.body.code, 'ERR_SIGNING_CERT_REVOKED')
  t.match(refused.body.detail, /renew/)
  // Nor does the transparency log sign a checkpoint with it (PROTOCOL.md §15.2, §20.4): a receipt's or a
  // period's checkpoint of beta's log is refused while the revoked certificate is in use.
  t.throws(() => b.ctx!.logWitness.signer.signUncommitted('beta'), { code: 'ERR_SIGNING_CERT_REVOKED' }, 'no checkpoint is signed with the revoked key')

  // A peer's letter is refused with the retried code, and stays queued (nothing received, no receipt).
  const sent = await a.call('alpha', 'POST', '/api/v1/letters', letter('alpha', 'beta'))
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const waiting = await waitFor('the refusal is recorded', async () => {
    const r = (await a.call('alpha', 'GET', `/api/v1/letters/${sent.body.id}`)).body
    return r.recipients[0].lastError ? r.recipients[0] : undefined
  })
  // Between attempts it is queued, during one sending: either way not failed and not delivered.
  t.ok(['queued', 'sending'].includes(waiting.status), `the sender retries (${waiting.status})`)
  t.match(waiting.lastError.detail, /503 ERR_RECEIVER_CERT_REVOKED/)
  t.equal(b.ctx!.inbox.list({ agencies: ['beta'], limit: 10 }).length, 0, 'beta received nothing')

  // Rollover: beta's node loads the new key beside the old, the directory lists the new certificate.
  const fresh = await net.pki.issue('signing', 'beta')
  b.writeAgency('beta', { signing: [old, fresh], encryption: net.keys.beta!.encryption })
  t.same(b.ctx!.reloadAgencies()!.changed, ['beta'])
  await publish('beta', [fresh])
  t.equal(fingerprint(b.ctx!.hosted.get('beta')!.signer.chain[0]!), fingerprint(fresh.cert), 'beta signs with the new certificate')

  const delivered = await waitFor('delivered after the rollover', async () => {
    const r = (await a.call('alpha', 'GET', `/api/v1/letters/${sent.body.id}`)).body
    return r.recipients[0].status === 'delivered' ? r : undefined
  }, 30_000)
  t.equal(delivered.recipients[0].status, 'delivered')
  const after = await healthOf(b, 'beta')
  t.not(after.body.status, 'failing', '/healthz no longer fails')
  t.match(after.body.checks?.find((c) => c.name === 'certificate-revoked')?.detail, /not in use any more: remove it/)
  const again = await b.call('beta', 'POST', '/api/v1/letters', letter('beta', 'alpha'))
  t.equal(again.status, 202, 'the API sends again')
  t.equal(eventsOf(b, 'beta', 'certificate.revoked').length, 1, 'raised once')
})

t.test('a certificate 25 days from expiry turns /healthz degraded with a clear reason, once per threshold', async (t) => {
  const now = Date.now()
  const short = await net.pki.issue('signing', 'alpha', { notBefore: new Date(now - 60_000), notAfter: new Date(now + 25 * DAY) })
  a.writeAgency('alpha', { signing: [net.keys.alpha!.signing[0]!, short], encryption: net.keys.alpha!.encryption })
  t.same(a.ctx!.reloadAgencies()!.changed, ['alpha'])
  await publish('alpha', [net.keys.alpha!.signing[0]!, short])
  t.equal(fingerprint(a.ctx!.hosted.get('alpha')!.signer.chain[0]!), fingerprint(short.cert), 'alpha signs with the short-lived certificate')
  await a.ctx!.expiry.evaluate()
  const h = await healthOf(a, 'alpha')
  t.equal(h.status, 503)
  t.equal(h.body.status, 'degraded')
  const check = h.body.checks!.find((c) => c.name === 'certificate-expiring')
  t.match(check?.detail, /signing certificate of alpha .* expires at .*, in 2[45] day\(s\) \(warning at 30 days\): `saraban-node renew --days 30`/)
  await a.ctx!.expiry.evaluate()
  const events = eventsOf(a, 'alpha', 'certificate.expiring')
  t.equal(events.length, 1, 'one event for the 30-day threshold, not one per check')
  t.match(JSON.parse(events[0]!.dataJson), { role: 'signing', agency: 'alpha', threshold: 30, fingerprint: fingerprint(short.cert) })
})

t.test('a directory near its nextUpdate with no fresher copy turns /healthz degraded', async (t) => {
  await publish('alpha', undefined, new Date(Date.now() + 3 * 3600_000))
  await b.ctx!.expiry.evaluate()
  const h = await healthOf(b, 'beta')
  t.equal(h.body.status, 'degraded', JSON.stringify(h.body.checks))
  t.match(h.body.checks?.find((c) => c.name === 'directory-next-update')?.detail, new RegExp(`directory \\(serial ${doc.serial}\\) reaches its nextUpdate .* in [23] h, and no fresher copy`))
  const events = eventsOf(b, 'beta', 'trust.expiring')
  t.equal(events.length, 1)
  t.match(JSON.parse(events[0]!.dataJson), { document: 'directory', serial: String(doc.serial) })

  // A fresher directory ends the warning.
  await publish('alpha', undefined, new Date(Date.now() + 7 * DAY))
  await b.ctx!.expiry.evaluate()
  t.notOk((await healthOf(b, 'beta')).body.checks?.some((c) => c.name === 'directory-next-update'), 'the warning is gone')
})
