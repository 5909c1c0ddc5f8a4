// RFC 5280 path validation + role rules (src/pki/validate.ts, src/pki/roles.ts).
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { TrustAnchors } from '../../src/pki/validate.js'
import { issueCertificate } from '../../src/pki/dev-ca.js'
import { fingerprint } from '../../src/pki/cert.js'
import type { CertRole } from '../../src/pki/cert.js'
import { foreignFederation, testTrust } from '../helpers/federation.js'

const now = new Date()
const DAY = 86_400_000
const subject = { commonName: 'Ministry of Interior', organization: 'กระทรวงมหาดไทย', agencyId: 'moi' }

t.test('every agency certificate validates in its own role, with and without the root', async (t) => {
  const { fed, anchors } = await testTrust()
  for (const [id, a] of Object.entries(fed.agencies)) {
    for (const role of ['tls', 'signing', 'encryption'] as const) {
      const r = await anchors.validate(a[role].chain, { at: now, role })
      t.ok(r.ok, `${id} ${role}`)
      if (r.ok) {
        t.equal(r.value.path.length, 3, 'leaf, issuing CA, root')
        t.equal(fingerprint(r.value.path[2]!), fingerprint(fed.root.cert), 'path ends at the anchor')
      }
      const withRoot = await anchors.validate([...a[role].chain, fed.root.cert], { at: now, role })
      t.ok(withRoot.ok, `${id} ${role} with the root included`)
    }
  }
  t.ok((await anchors.validate(fed.directoryIssuer.chain, { at: now, role: 'directory' })).ok, 'directory signer')
  t.ok((await anchors.validate([fed.intermediate.cert], { at: now, role: 'ca' })).ok, 'issuing CA as ca')
})

t.test('a leaf alone validates only when the pool knows its issuing CA', async (t) => {
  const { fed, anchors } = await testTrust()
  const leaf = fed.agencies.mof!.encryption.cert
  t.ok((await anchors.validate([leaf], { at: now, role: 'encryption' })).ok, 'with directory intermediates')
  const bare = new TrustAnchors([fed.root.cert])
  const r = await bare.validate([leaf], { at: now, role: 'encryption' })
  t.notOk(r.ok, 'no intermediates, no path')
})

t.test('wrong role is refused with the role-specific code', async (t) => {
  const { fed, anchors } = await testTrust()
  const roles: CertRole[] = ['tls', 'signing', 'encryption', 'directory', 'ca']
  for (const a of Object.values(fed.agencies)) {
    for (const have of ['tls', 'signing', 'encryption'] as const) {
      for (const want of roles.filter((r) => r !== have)) {
        const r = await anchors.validate(a[have].chain, { at: now, role: want })
        t.notOk(r.ok, `${a.spec.id} ${have} cert used as ${want}`)
        if (!r.ok) t.equal(r.code, want === 'tls' ? 'ERR_TLS_CLIENT_CERT_UNTRUSTED' : 'ERR_SIGNER_UNTRUSTED')
      }
    }
  }
  const dirAsSigning = await anchors.validate(fed.directoryIssuer.chain, { at: now, role: 'signing' })
  t.notOk(dirAsSigning.ok, 'the directory signer cannot sign letters')
  const custom = await anchors.validate(fed.agencies.moi!.tls.chain, { at: now, role: 'signing', code: 'ERR_RECEIPT_INVALID' })
  t.equal(!custom.ok && custom.code, 'ERR_RECEIPT_INVALID', 'caller-chosen code')
})

t.test('certificates of a foreign CA are refused', async (t) => {
  const { fed, anchors } = await testTrust()
  const foreign = await foreignFederation()
  for (const role of ['tls', 'signing', 'encryption'] as const) {
    const r = await anchors.validate(foreign.agencies.moi![role].chain, { at: now, role })
    t.notOk(r.ok, `foreign ${role}`)
  }
  const withForeignRoot = await anchors.validate([...foreign.agencies.mof!.signing.chain, foreign.root.cert], { at: now, role: 'signing' })
  t.notOk(withForeignRoot.ok, 'a foreign root in the chain does not make it an anchor')
  const mixed = await anchors.validate([foreign.agencies.mof!.signing.cert, fed.intermediate.cert], { at: now, role: 'signing' })
  t.notOk(mixed.ok, 'a foreign leaf next to our issuing CA')
  const anchorAsLeaf = await anchors.validate([fed.root.cert], { at: now, role: 'signing' })
  t.notOk(anchorAsLeaf.ok, 'the root itself is no end-entity')
})

t.test('expired and not-yet-valid certificates are refused; the cache honours `at`', async (t) => {
  const { fed } = await testTrust()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert] })
  const chain = fed.agencies.moi!.signing.chain
  t.ok((await anchors.validate(chain, { at: now, role: 'signing' })).ok)
  t.equal(anchors.cacheSize, 1)
  // One day past the leaf's own notAfter (the test federation's validity is set in one place).
  const notAfter = new Date(chain[0]!.validTo)
  const later = await anchors.validate(chain, { at: new Date(notAfter.getTime() + DAY), role: 'signing' })
  t.notOk(later.ok, 'after notAfter, even with a cached success')
  t.match(!later.ok && later.reason, /expired|not yet valid/)
  const before = await anchors.validate(chain, { at: new Date(now.getTime() - 2 * DAY), role: 'signing' })
  t.notOk(before.ok, 'before notBefore')
  t.equal(anchors.cacheSize, 1, 'time failures are not cached')
  t.ok((await anchors.validate(chain, { at: now, role: 'signing' })).ok, 'still valid now')

  // The test CAs are valid from one hour before the federation was made.
  const MIN = 60_000
  const expired = await issueCertificate(fed.intermediate, {
    role: 'signing', keyType: 'ec', subject, notBefore: new Date(now.getTime() - 50 * MIN), notAfter: new Date(now.getTime() - 10 * MIN),
  })
  const r = await anchors.validate(expired.chain, { at: now, role: 'signing' })
  t.notOk(r.ok, 'a certificate issued already expired')
  t.ok((await anchors.validate(expired.chain, { at: new Date(now.getTime() - 30 * MIN), role: 'signing' })).ok, 'valid inside its window')
})

t.test('the cache returns the same answer without re-validating', async (t) => {
  const { fed } = await testTrust()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert] })
  const chain = fed.agencies.dga!.tls.chain
  const t0 = performance.now()
  const first = await anchors.validate(chain, { at: now, role: 'tls' })
  const uncached = performance.now() - t0
  const t1 = performance.now()
  for (let i = 0; i < 1000; i++) await anchors.validate(chain, { at: now, role: 'tls' })
  const cached = (performance.now() - t1) / 1000
  t.ok(first.ok)
  t.ok(cached < uncached, `cached ${cached.toFixed(4)} ms < uncached ${uncached.toFixed(2)} ms`)
  const wrong = await anchors.validate(chain, { at: now, role: 'signing' })
  t.notOk(wrong.ok, 'cache entries are per role')
  anchors.clearCache()
  t.equal(anchors.cacheSize, 0)
})

t.test('structural RFC 5280 checks pkijs leaves out', async (t) => {
  const { fed, anchors } = await testTrust()
  const v = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 10 * DAY) }

  const underLeaf = await issueCertificate(fed.agencies.moi!.signing, { role: 'signing', keyType: 'ec', subject, ...v })
  t.notOk((await anchors.validate(underLeaf.chain, { at: now, role: 'signing' })).ok, 'issued by an end-entity certificate')

  const subCa = await issueCertificate(fed.intermediate, { role: 'ca', keyType: 'ec-p256', subject: { commonName: 'Sub CA' }, ...v })
  const deep = await issueCertificate(subCa, { role: 'signing', keyType: 'ec', subject, ...v })
  const r = await anchors.validate(deep.chain, { at: now, role: 'signing' })
  t.notOk(r.ok, 'issuing CA has pathLenConstraint 0')
  t.match(!r.ok && r.reason, /pathLenConstraint/)

  const unknownCritical = new x509.Extension('1.3.6.1.4.1.999999.764.9.9', true, new Uint8Array([0x05, 0x00]))
  const odd = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v, extraExtensions: [unknownCritical] })
  const r2 = await anchors.validate(odd.chain, { at: now, role: 'signing' })
  t.notOk(r2.ok, 'unknown critical extension')
  t.match(!r2.ok && r2.reason, /critical extension/)

  const der = Buffer.from(fed.agencies.mof!.signing.cert.raw)
  der[der.length - 5]! ^= 0x01 // inside the signature value
  const tampered = new X509Certificate(der)
  t.notOk((await anchors.validate([tampered, fed.intermediate.cert], { at: now, role: 'signing' })).ok, 'bad signature')
  t.notOk((await anchors.validate([], { at: now, role: 'signing' })).ok, 'empty chain')
})
