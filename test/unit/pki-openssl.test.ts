// Independent check of what dev-ca.ts builds: OpenSSL must accept the chains (and refuse a foreign one).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OID_EKU_SARABAN_DIRECTORY } from '../../src/pki/oids.js'
import { foreignFederation, testFederation } from '../helpers/federation.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

t.test('openssl verify accepts every generated chain', { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
  const fed = await testFederation()
  const foreign = await foreignFederation()
  const dir = mkdtempSync(join(tmpdir(), 'saraban-pki-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = join(dir, 'root.pem')
  writeFileSync(root, fed.root.certPem)
  const verify = (chainPem: string, name: string, purpose?: string) => {
    const file = join(dir, `${name}.pem`)
    writeFileSync(file, chainPem)
    // the chain file is both the untrusted pool and the target (openssl verifies its first certificate)
    return openssl(['verify', '-x509_strict', ...(purpose ? ['-purpose', purpose] : []), '-CAfile', root, '-untrusted', file, file])
  }
  for (const [id, a] of Object.entries(fed.agencies)) {
    for (const role of ['tls', 'signing', 'encryption'] as const) {
      const r = verify(a[role].chainPem, `${id}-${role}`)
      t.equal(r.status, 0, `${id} ${role}: ${r.out.trim()}`)
    }
    for (const purpose of ['sslserver', 'sslclient']) {
      const r = verify(a.tls.chainPem, `${id}-tls-${purpose}`, purpose)
      t.equal(r.status, 0, `${id} tls as ${purpose}: ${r.out.trim()}`)
    }
  }
  const d = verify(fed.directoryIssuer.chainPem, 'directory')
  t.equal(d.status, 0, `directory signer: ${d.out.trim()}`)
  const f = verify(foreign.agencies.moi!.signing.chainPem, 'foreign')
  t.not(f.status, 0, 'a foreign chain does not verify against our root')

  const text = openssl(['x509', '-noout', '-text', '-nameopt', 'utf8', '-in', join(dir, 'directory.pem')]).out
  t.match(text, OID_EKU_SARABAN_DIRECTORY, 'the directory EKU parses')
  const moi = openssl(['x509', '-noout', '-text', '-nameopt', 'utf8', '-in', join(dir, 'moi-tls.pem')]).out
  t.match(moi, 'O=กระทรวงมหาดไทย', 'Thai organisation name as UTF8String')
  t.match(moi, 'organizationIdentifier=SRB:moi')
  t.match(moi, 'CN=Ministry of Interior')
  t.match(moi, /DNS:localhost, IP Address:127\.0\.0\.1/)
  t.match(moi, /Digital Signature, Key Encipherment/)
  t.match(moi, /TLS Web Server Authentication, TLS Web Client Authentication/)
  const serial = /Serial Number:\s*\n\s*([0-9a-f:]+)/.exec(moi)?.[1] ?? ''
  t.equal(serial.split(':').length, 16, 'a 16-byte serial')
})
