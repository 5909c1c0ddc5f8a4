// Onboarding from the command line (issue 4 item 6): `init` (keys 0600, encrypted PKCS#8, CSRs, node.json)
// and the dev CA's `ca issue` / `ca revoke` (certificates from CSRs, republished CRLs), run in process.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initCommand } from '../../src/cli/init.js'
import { caCommand } from '../../src/cli/ca.js'
import { directoryFromInput } from '../../src/cli/directory-input.js'
import { writeDevCerts } from '../../src/cli/dev-certs.js'
import { loadConfig } from '../../src/config/index.js'
import { loadPrivateKey } from '../../src/pki/keys.js'
import { parsePemChain } from '../../src/pki/cert.js'
import { parseCrl } from '../../src/pki/crl.js'
import { CrlSet } from '../../src/pki/crl-set.js'
import { RevocationChecker } from '../../src/pki/revocation.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { createPublicKey } from 'node:crypto'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'saraban-onboard-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

// Commands print their progress; keep the TAP stream clean.
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    return await fn()
  } finally {
    process.stdout.write = write
  }
}

t.test('init: EC keys encrypted with a passphrase, 0600, CSRs that verify, a node.json that loads', async (t) => {
  const out = join(dir, 'opm')
  writeFileSync(join(dir, 'pass.txt'), 'correct horse battery staple\n')
  const code = await quiet(() => initCommand.run(['--agency', 'opm', '--key-type', 'ec', '--out', out, '--passphrase-file', join(dir, 'pass.txt'),
    '--name-en', 'Office of the Prime Minister', '--name-th', 'สำนักนายกรัฐมนตรี', '--federation-url', 'https://127.0.0.1:8446', '--api-port', '8083',
    '--crl', 'https://crl.example/root.crl', '--crl', join(dir, 'issuing-ca.crl')]))
  t.equal(code, 0)
  for (const role of ['tls', 'signing', 'encryption']) {
    const keyFile = join(out, `${role}.key.pem`)
    t.equal(statSync(keyFile).mode & 0o777, 0o600, `${role} key is 0600`)
    const pem = readFileSync(keyFile, 'utf8')
    t.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/, `${role} key is encrypted PKCS#8`)
    t.throws(() => loadPrivateKey(pem, 'wrong passphrase'))
    const key = loadPrivateKey(pem, 'correct horse battery staple')
    t.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1')
    t.ok(existsSync(join(out, `${role}.csr.pem`)))
    if (hasOpenssl) {
      const r = spawnSync('openssl', ['req', '-in', join(out, `${role}.csr.pem`), '-verify', '-noout', '-subject'], { encoding: 'utf8' })
      t.equal(r.status, 0, `openssl verifies the ${role} CSR`)
      t.match(r.stdout + r.stderr, /CN\s*=\s*Office of the Prime Minister/)
    }
  }
  t.equal(statSync(out).mode & 0o777, 0o700, 'the folder is 0700')
  const config = loadConfig({ file: join(out, 'node.json'), env: { SARABAN_KEY_PASSPHRASE: 'x' }, packageRoot: process.cwd() })
  t.equal(config.agencies[0]!.id, 'opm')
  t.equal(config.federation.port, 8446)
  t.same(config.trust.crls, ['https://crl.example/root.crl', join(dir, 'issuing-ca.crl')])
  t.equal(config.trust.revocation, 'hard')
  t.equal(config.tls.passphrase, 'x', 'passphrases come from the environment')
  // Issue 21 §4: nothing names a path of this machine; the folder can travel.
  const written = JSON.parse(readFileSync(join(out, 'node.json'), 'utf8'))
  t.same(written.trust.crls, ['https://crl.example/root.crl', '../issuing-ca.crl'], 'trust files relative to node.json')
  const entry = JSON.parse(readFileSync(join(out, 'directory-entry.json'), 'utf8'))
  t.same(entry.certificates.signing, ['file:signing.chain.pem'], 'chains relative to the entry')

  await t.rejects(quiet(() => initCommand.run(['--agency', 'opm', '--out', out])), /never overwrites keys/)
  await t.rejects(quiet(() => initCommand.run(['--agency', 'OPM', '--out', join(dir, 'x')])), /agency id/)
})

t.test('init --key-type rsa: RSA 2048 keys in clear PKCS#8', async (t) => {
  const out = join(dir, 'rsa')
  t.equal(await quiet(() => initCommand.run(['--agency', 'lao-1', '--key-type', 'rsa', '--out', out])), 0)
  const key = loadPrivateKey(readFileSync(join(out, 'signing.key.pem'), 'utf8'))
  t.equal(key.asymmetricKeyDetails?.modulusLength, 2048)
  t.equal(statSync(join(out, 'tls.key.pem')).mode & 0o777, 0o600)
})

t.test('ca issue certifies the CSRs for their roles; ca revoke republishes the CRLs', async (t) => {
  const fed = join(dir, 'fed')
  await writeDevCerts(fed)
  const out = join(dir, 'opm')
  const pass = 'correct horse battery staple'
  for (const role of ['tls', 'signing', 'encryption']) {
    const code = await quiet(() => caCommand.run(['issue', '--ca', fed, '--csr', join(out, `${role}.csr.pem`), '--role', role, '--agency', 'opm', '--out', join(out, `${role}.chain.pem`)]))
    t.equal(code, 0)
  }
  const crls = new CrlSet()
  const root = parsePemChain(readFileSync(join(fed, 'root.crt.pem'), 'utf8'))
  const signing = parsePemChain(readFileSync(join(out, 'signing.chain.pem'), 'utf8'))
  const anchors = new TrustAnchors(root, { intermediates: signing.slice(1), revocation: new RevocationChecker({ crls, mode: 'hard', now: Date.now }) })
  for (const f of ['root.crl', 'issuing-ca.crl']) t.ok((await crls.add(readFileSync(join(fed, 'crl', f)), anchors.cas())).ok, `${f} verifies`)
  for (const role of ['tls', 'signing', 'encryption'] as const) {
    const chain = parsePemChain(readFileSync(join(out, `${role}.chain.pem`), 'utf8'))
    const r = await anchors.validate(chain, { at: new Date(), role })
    t.ok(r.ok, `${role}: ${r.ok ? 'valid' : r.reason}`)
    const key = loadPrivateKey(readFileSync(join(out, `${role}.key.pem`), 'utf8'), pass)
    t.ok(createPublicKey(key).equals(chain[0]!.publicKey), `${role}: the certificate holds the agency's key`)
    t.match(chain[0]!.subject, /SRB:opm/)
  }
  const tls = parsePemChain(readFileSync(join(out, 'tls.chain.pem'), 'utf8'))[0]!
  t.match(tls.subjectAltName, /DNS:localhost/)
  t.match(tls.subjectAltName, /IP Address:127\.0\.0\.1/)

  // Issue 21 §4: one key, one role. The TLS request sent for the signing role is refused, unless overridden.
  const reuse = ['issue', '--ca', fed, '--csr', join(out, 'tls.csr.pem'), '--role', 'signing', '--agency', 'opm', '--out', join(dir, 'reused.pem')]
  await t.rejects(quiet(() => caCommand.run(reuse)), /already certified for the tls role of "opm".*--allow-key-reuse/)
  t.notOk(existsSync(join(dir, 'reused.pem')), 'nothing written')
  t.equal(await quiet(() => caCommand.run([...reuse, '--allow-key-reuse'])), 0, '--allow-key-reuse certifies it')
  t.equal(await quiet(() => caCommand.run(['issue', '--ca', fed, '--csr', join(out, 'tls.csr.pem'), '--role', 'tls', '--agency', 'opm', '--out', join(dir, 'renewed.pem')])), 0, 'the same key for the same role again (renewal) is fine')
  const devTls = join(dir, 'dev-tls.csr.pem')
  await t.rejects(quiet(() => caCommand.run(['issue', '--ca', fed, '--csr', join(out, 'signing.csr.pem'), '--role', 'encryption', '--agency', 'opm', '--out', devTls])), /one key, one role/)

  // Issue 21 §4: the agency's folder moved to the operator's machine; its entry is listed by reference.
  const moved = join(dir, 'operator', 'incoming', 'opm')
  mkdirSync(join(dir, 'operator', 'incoming'), { recursive: true })
  cpSync(out, moved, { recursive: true })
  const doc = directoryFromInput({ agencies: ['file:incoming/opm/directory-entry.json'] }, join(dir, 'operator', 'directory-next.json'), { now: new Date(), validDays: 30 })
  t.equal(doc.agencies[0]!.certificates.signing[0], parsePemChain(readFileSync(join(moved, 'signing.chain.pem'), 'utf8'))[0]!.raw.toString('base64'), 'file: references resolve next to the entry')

  await t.rejects(quiet(() => caCommand.run(['issue', '--ca', fed, '--csr', join(dir, 'pass.txt'), '--role', 'tls', '--agency', 'opm', '--out', join(dir, 'x.pem')])), /PKCS#10/)
  await t.rejects(quiet(() => caCommand.run(['issue', '--ca', fed, '--csr', join(out, 'tls.csr.pem'), '--role', 'directory', '--agency', 'opm', '--out', join(dir, 'x.pem')])), /--role/)

  t.equal(await quiet(() => caCommand.run(['revoke', '--ca', fed, '--cert', join(out, 'signing.chain.pem'), '--reason', 'keyCompromise'])), 0)
  const republished = parseCrl(readFileSync(join(fed, 'crl', 'issuing-ca.crl')))
  t.equal(republished.number, 2n, 'the cRLNumber grew')
  t.equal([...republished.revoked.values()][0]?.reason, 'keyCompromise')
  t.ok((await crls.add(readFileSync(join(fed, 'crl', 'issuing-ca.crl')), anchors.cas())).ok)
  const r = await anchors.validate(signing, { at: new Date(), role: 'signing' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED')
  t.equal(JSON.parse(readFileSync(join(fed, 'ca', 'state.json'), 'utf8')).revoked.length, 1)
  await t.rejects(quiet(() => caCommand.run(['revoke', '--ca', fed, '--cert', join(out, 'signing.chain.pem'), '--reason', 'because'])), /--reason/)

  if (hasOpenssl) {
    const text = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', join(fed, 'crl', 'issuing-ca.crl'), '-noout', '-text'], { encoding: 'utf8' }).stdout
    t.match(text, new RegExp(signing[0]!.serialNumber, 'i'), 'openssl lists the revoked serial')
    t.match(text, /Key Compromise/)
  }
})
