// Renewal without downtime (issue 17 item 5): `saraban-node renew` makes a new key (0600) and a
// PKCS#10 request (checked by `openssl req -verify`) for the certificate that nears expiry, and none
// for those that do not; the CA certifies the request, the operator loads the certificate beside the
// old one, the directory lists it, and the running node signs with it: a letter arrives signed with
// the renewed certificate, no restart.
import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'
import { certifyCsr } from '../../src/pki/dev-csr.js'
import { fingerprint, parsePemChain, toBase64Der } from '../../src/pki/cert.js'
import type { Issued } from '../../src/pki/dev-ca.js'

const DAY = 86_400_000
let net: HostingNet
let a: HostingNode
let b: HostingNode

const run = (cmd: string, args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
  execFile(cmd, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
})
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), ...args])

t.before(async () => {
  net = await hostingNet([
    { id: 'node-a', mode: 'node', agencies: ['alpha'] },
    { id: 'node-b', mode: 'agency', agencies: ['beta'] },
  ])
  a = net.nodes['node-a']!
  b = net.nodes['node-b']!
  // beta's signing certificate expires in 20 days; everything else in 400.
  const now = Date.now()
  const short = await net.pki.issue('signing', 'beta', { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 20 * DAY) })
  net.keys.beta!.signing = [short]
  b.writeAgency('beta')
  const doc = { ...net.directory, serial: 2, agencies: net.directory.agencies.map((x) => (x.id !== 'beta' ? x : { ...x, certificates: { ...x.certificates, signing: [toBase64Der(short.cert)] } })) }
  Object.assign(net.directory, doc) // the base of the next serial below
  const jws = await net.sign(doc)
  await a.useDirectory(jws)
  await b.useDirectory(jws)
  await a.start()
  await b.start()
})
t.teardown(async () => net?.stop())

t.test('renew makes a key and a request for the certificate that nears expiry, and the running node takes the new certificate into use', async (t) => {
  const config = join(b.dir, 'node.json')
  const res = await cli('renew', '--config', config, '--days', '30')
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /the signing certificate of beta expires at .* \(in 1[89] days\):/)
  t.notMatch(res.stdout, /TLS certificate|encryption certificate/, 'certificates far from expiry are left alone')
  const keyFile = /new key {2}(\S+)/.exec(res.stdout)![1]!
  const csrFile = /request {2}(\S+)/.exec(res.stdout)![1]!
  const chainFile = /save the chain it returns \(leaf first\) as (\S+)/.exec(res.stdout)![1]!
  t.match(keyFile, /keys\/beta\/signing-0\.renewed-\d{8}\.key\.pem$/, 'next to the current key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the new key is 0600')
  t.match(res.stdout, /send it to the federation CA/)

  // OpenSSL checks the request's self-signature, and it carries the current subject and the new key.
  const verify = await run('openssl', ['req', '-in', csrFile, '-noout', '-verify'])
  t.equal(verify.code, 0, verify.stderr)
  t.match(verify.stdout + verify.stderr, /verify OK/i)
  const subject = await run('openssl', ['req', '-in', csrFile, '-noout', '-subject', '-nameopt', 'RFC2253'])
  t.match(subject.stdout, /CN=beta signing/)
  const csrKey = await run('openssl', ['req', '-in', csrFile, '-noout', '-pubkey'])
  const newKey = createPrivateKey(readFileSync(keyFile, 'utf8'))
  t.equal(createPublicKey(csrKey.stdout).export({ type: 'spki', format: 'der' }).toString('hex'), createPublicKey(newKey).export({ type: 'spki', format: 'der' }).toString('hex'), 'the request is for the new key')

  // A second run the same day overwrites nothing.
  const again = await cli('renew', '--config', config, '--days', '30')
  t.equal(again.code, 0)
  t.match(again.stdout, /exists already/)

  // The CA certifies the request; the operator loads the new certificate beside the old one.
  const now = Date.now()
  const cert = await certifyCsr(net.pki.ca, readFileSync(csrFile, 'utf8'), { role: 'signing', agency: 'beta', notBefore: new Date(now - 60_000), notAfter: new Date(now + 400 * DAY) })
  const chainPem = cert.toString() + net.pki.ca.certPem
  writeFileSync(chainFile, chainPem)
  const renewed: Issued = { key: newKey, keyPem: readFileSync(keyFile, 'utf8'), cert, certPem: cert.toString(), chain: parsePemChain(chainPem), chainPem }
  const old = net.keys.beta!.signing[0]!
  b.writeAgency('beta', { signing: [old, renewed], encryption: net.keys.beta!.encryption })
  t.same(b.ctx!.reloadAgencies()!.changed, ['beta'])
  t.equal(fingerprint(b.ctx!.hosted.get('beta')!.signer.chain[0]!), fingerprint(old.cert), 'not in use before the directory lists it')

  // The directory lists it: the running node signs with it, and the peer accepts what it signs.
  const doc = { ...net.directory, serial: 3, issuedAt: new Date().toISOString(), agencies: net.directory.agencies.map((x) => (x.id !== 'beta' ? x : { ...x, certificates: { ...x.certificates, signing: [toBase64Der(old.cert), toBase64Der(cert)] } })) }
  const jws = await net.sign(doc)
  await a.useDirectory(jws)
  await b.useDirectory(jws)
  t.equal(fingerprint(b.ctx!.hosted.get('beta')!.signer.chain[0]!), fingerprint(cert), 'the renewed certificate is in use, without a restart')
  const sent = await b.call('beta', 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['alpha']), number: 'รอ 1/2569', sender: { agency: 'beta' } } })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  await waitFor('delivered', async () => ((await b.call('beta', 'GET', `/api/v1/letters/${sent.body.id}`)).body.status === 'delivered' || undefined))
  const signers = a.ctx!.inbox.list({ agencies: ['alpha'], limit: 10 }).map((m) => (JSON.parse(m.signerJson) as { fingerprint: string }).fingerprint)
  t.same(signers, [fingerprint(cert)], 'alpha received the letter signed with the renewed certificate')
  t.ok(existsSync(keyFile))
})

t.test('nothing near expiry: renew says so and writes nothing', async (t) => {
  const res = await cli('renew', '--config', join(a.dir, 'node.json'), '--days', '30')
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /no certificate of this node expires within 30 days/)
  const bad = await cli('renew', '--config', join(a.dir, 'node.json'), '--days', 'soon')
  t.equal(bad.code, 2, 'a wrong option is a usage error')
  t.match(bad.stderr, /--days must be/)
})
