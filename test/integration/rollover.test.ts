// Key rollover without downtime (PROTOCOL.md §1.4, §16.4; issue 4 item 5): letters keep flowing both
// ways while beta's signing and encryption certificates are replaced. The order an operator follows:
// (1) the node loads the new keys beside the old; (2) the directory lists old and new; senders
// encrypt to the newest, beta signs with the newest listed, envelopes already sealed to the old
// certificate still open; (3) the directory drops the old certificates and the node the old keys.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { federationPost, thaiLetter, waitFor } from '../helpers/nodes.js'
import { certThumbprint } from '../../src/services/hosting/agencies.js'
import { toBase64Der, fingerprint } from '../../src/pki/cert.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'
import type { Issued } from '../../src/pki/dev-ca.js'

let net: HostingNet
let a: HostingNode // hosts alpha under the node's own TLS identity
let b: HostingNode // beta's own node (TLS certificate listed for beta)

t.before(async () => {
  net = await hostingNet([
    { id: 'node-a', mode: 'node', agencies: ['alpha'] },
    { id: 'node-b', mode: 'agency', agencies: ['beta'] },
  ])
  a = net.nodes['node-a']!
  b = net.nodes['node-b']!
  await a.start()
  await b.start()
})
t.teardown(async () => net?.stop())

const letter = (from: string, to: string, n: number) => ({
  letter: { ...thaiLetter([to]), number: `รอ ${n}/2569`, sender: { agency: from } },
  attachments: [{ filename: 'n.txt', mediaType: 'text/plain', content: Buffer.from(`letter ${n}`).toString('base64') }],
})

/** The JWE protected header's x5t#S256: which encryption certificate an envelope was sealed to. */
function sealedTo(node: HostingNode, letterId: string): string {
  const [m] = node.ctx!.outbox.messagesForLetter(letterId)
  const env = node.ctx!.outbox.getEnvelope(m!.messageId)!
  return JSON.parse(Buffer.from(env.subarray(0, env.indexOf('.')).toString(), 'base64url').toString())['x5t#S256']
}

function withBeta(doc: DirectoryDocument, serial: number, signing: Issued[], encryption: Issued[]): DirectoryDocument {
  return {
    ...doc, serial, issuedAt: new Date().toISOString(),
    agencies: doc.agencies.map((x) => (x.id !== 'beta' ? x : {
      ...x, certificates: { ...x.certificates, signing: signing.map((c) => toBase64Der(c.cert)), encryption: encryption.map((c) => toBase64Der(c.cert)) },
    })),
  }
}

t.test('letters flow both ways while beta replaces its certificates', async (t) => {
  const old = { signing: net.keys.beta!.signing[0]!, encryption: net.keys.beta!.encryption[0]! }
  const now = Date.now()
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 20 * 86_400_000) }
  const fresh = { signing: await net.pki.issue('signing', 'beta', validity), encryption: await net.pki.issue('encryption', 'beta', validity) }

  // Traffic in both directions for the whole test.
  const sent: Array<{ node: HostingNode; agency: string; id: string }> = []
  let stop = false
  let n = 0
  const traffic = (async () => {
    while (!stop) {
      for (const [node, from, to] of [[a, 'alpha', 'beta'], [b, 'beta', 'alpha']] as const) {
        const res = await node.call(from, 'POST', '/api/v1/letters', letter(from, to, ++n))
        if (res.status !== 202) throw new Error(`${from}: ${res.status} ${JSON.stringify(res.body)}`)
        sent.push({ node, agency: from, id: res.body.id })
      }
      await new Promise((r) => setTimeout(r, 40))
    }
  })()
  await waitFor('traffic', () => sent.length >= 6 || undefined)

  // Envelopes sealed to the old certificate and still queued when the directory changes.
  await a.ctx!.delivery.stop()
  const queued = await Promise.all([1, 2, 3].map(async (i) => (await a.call('alpha', 'POST', '/api/v1/letters', letter('alpha', 'beta', 1000 + i))).body.id as string))
  for (const id of queued) t.equal(sealedTo(a, id), certThumbprint(old.encryption.cert), 'sealed to the old encryption certificate')

  // (1) + (2): beta's node holds both key pairs; then the directory lists both.
  b.writeAgency('beta', { signing: [old.signing, fresh.signing], encryption: [old.encryption, fresh.encryption] })
  t.same(b.ctx!.reloadAgencies()!.changed, ['beta'])
  t.equal(fingerprint(b.ctx!.hosted.get('beta')!.signer.chain[0]!), fingerprint(old.signing.cert), 'a signing certificate the directory does not list yet is not used')
  const overlap = await net.sign(withBeta(net.directory, 2, [old.signing, fresh.signing], [old.encryption, fresh.encryption]))
  await a.useDirectory(overlap)
  const sealedBeforeOverlap = sent.length // from here on node-a seals to the newest certificate
  await b.useDirectory(overlap)
  t.equal(fingerprint(b.ctx!.hosted.get('beta')!.signer.chain[0]!), fingerprint(fresh.signing.cert), 'beta signs with the newest listed certificate')
  a.ctx!.delivery.start()

  const afterOverlap = await a.call('alpha', 'POST', '/api/v1/letters', letter('alpha', 'beta', 2000))
  t.equal(sealedTo(a, afterOverlap.body.id), certThumbprint(fresh.encryption.cert), 'senders encrypt to the newest certificate')
  for (const id of queued) {
    await waitFor(`queued ${id}`, async () => ((await a.call('alpha', 'GET', `/api/v1/letters/${id}`)).body.status === 'delivered' || undefined))
  }
  t.pass('envelopes sealed to the old certificate open after the directory listed the new one')

  // (3): the old certificates leave the directory once every envelope sealed to them has arrived.
  // beta's node keeps the old decryption key: it still opens the letters stored under it.
  for (const s of sent.slice(0, sealedBeforeOverlap)) {
    await waitFor(`${s.id} delivered`, async () => ((await s.node.call(s.agency, 'GET', `/api/v1/letters/${s.id}`)).body.status === 'delivered' || undefined))
  }
  await waitFor('overlap traffic', () => sent.length >= sealedBeforeOverlap + 10 || undefined)
  const retired = await net.sign(withBeta(net.directory, 3, [fresh.signing], [fresh.encryption]))
  await a.useDirectory(retired)
  await b.useDirectory(retired)
  b.writeAgency('beta', { signing: [fresh.signing], encryption: [old.encryption, fresh.encryption] })
  t.same(b.ctx!.reloadAgencies()!.changed, ['beta'])
  const count = sent.length
  await waitFor('traffic after the rollover', () => sent.length >= count + 10 || undefined)
  stop = true
  await traffic

  for (const s of sent) {
    const r = await waitFor(`${s.agency} ${s.id} delivered`, async () => {
      const body = (await s.node.call(s.agency, 'GET', `/api/v1/letters/${s.id}`)).body
      if (body.status === 'failed') throw new Error(`${s.id} failed: ${JSON.stringify(body.recipients)}`)
      return body.status === 'delivered' ? body : undefined
    })
    t.equal(r.status, 'delivered')
  }
  t.comment(`${sent.length} letters delivered across the rollover`)
  const signers = new Set(a.ctx!.inbox.list({ agencies: ['alpha'], limit: 1000 }).map((m) => (JSON.parse(m.signerJson) as { fingerprint: string }).fingerprint))
  t.ok(signers.has(fingerprint(old.signing.cert)) && signers.has(fingerprint(fresh.signing.cert)), 'alpha received letters signed with the old key and with the new one')

  // Letters stored under the retired key still open on every read.
  const firstToBeta = sent.find((x) => x.agency === 'alpha')!
  t.equal(sealedTo(a, firstToBeta.id), certThumbprint(old.encryption.cert))
  const [firstMsg] = a.ctx!.outbox.messagesForLetter(firstToBeta.id)
  const read = await b.call('beta', 'GET', `/api/v1/inbox/${firstMsg!.messageId}/attachments/a1`)
  t.equal(read.status, 200, 'a letter sealed to the retired certificate is still readable')
  t.match(read.body.toString(), /^letter \d+$/)

  // A new envelope sealed to the retired certificate is refused, though beta's node still holds the key.
  const stale = await a.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from: 'alpha', to: 'beta', sentAt: new Date().toISOString(),
    letter: { ...thaiLetter(['beta']), sender: { agency: 'alpha', name: 'alpha' }, attachments: [] } as never,
    attachments: [], signer: a.ctx!.hosted.get('alpha')!.signer, recipientCert: old.encryption.cert,
  })
  const res = await federationPost(b.port, { key: a.tls.keyPem, cert: a.tls.chainPem, ca: net.pki.root.certPem, body: stale.envelope })
  t.equal(res.status, 400)
  t.equal(JSON.parse(res.body.toString()).code, 'ERR_DECRYPT_FAILED')
})
