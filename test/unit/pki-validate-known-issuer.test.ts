// Issue 16 item 3: once pkijs has validated a path through a CA, a leaf that CA issued is checked
// against the known path without pkijs (src/pki/validate.ts #underKnownIssuer). Only successes take
// that way: a leaf whose signature, issuer, validity or extensions are not what the known path
// allows goes to pkijs and is refused as before.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { TrustAnchors } from '../../src/pki/validate.js'
import { issueCertificate } from '../../src/pki/dev-ca.js'
import { fingerprint } from '../../src/pki/cert.js'
import { foreignFederation, testTrust } from '../helpers/federation.js'

const now = new Date()
const DAY = 86_400_000
const MIN = 60_000
const subject = { commonName: 'Ministry of Interior', agencyId: 'moi' }

/** The same certificate with the last byte of its signature changed (still parses). */
function badSignature(cert: X509Certificate): X509Certificate {
  const der = Buffer.from(cert.raw)
  der[der.length - 1]! ^= 0x01
  return new X509Certificate(der)
}

t.test('after one path through the issuing CA, leaves it issued validate; forged, expired and foreign ones do not', async (t) => {
  const { fed } = await testTrust()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert] })
  t.ok((await anchors.validate(fed.agencies.moi!.signing.chain, { at: now, role: 'signing' })).ok, 'the first leaf, through pkijs')
  const second = await anchors.validate([fed.agencies.mof!.encryption.cert], { at: now, role: 'encryption' })
  t.ok(second.ok)
  t.same(second.ok && second.value.path.map(fingerprint), [fed.agencies.mof!.encryption.cert, fed.intermediate.cert, fed.root.cert].map(fingerprint), 'leaf, issuing CA, root')

  const v = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 10 * DAY) }
  const fresh = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v })
  t.ok((await anchors.validate([fresh.cert], { at: now, role: 'signing' })).ok, 'a new leaf of the same CA')
  const forged = await anchors.validate([badSignature((await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v })).cert)], { at: now, role: 'signing' })
  t.notOk(forged.ok, 'a leaf whose signature does not verify')
  const expired = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, notBefore: new Date(now.getTime() - 50 * MIN), notAfter: new Date(now.getTime() - 10 * MIN) })
  const late = await anchors.validate([expired.cert], { at: now, role: 'signing' })
  t.equal(!late.ok && late.code, 'ERR_CERT_EXPIRED', 'an expired leaf, with the code pkijs gives')
  t.ok((await anchors.validate([expired.cert], { at: new Date(now.getTime() - 30 * MIN), role: 'signing' })).ok, 'valid inside its window')
  t.notOk((await anchors.validate([fresh.cert], { at: new Date(now.getTime() + 500 * DAY), role: 'signing' })).ok, 'after the CA path expired')
  const wrongRole = await anchors.validate([fresh.cert], { at: now, role: 'encryption' })
  t.notOk(wrongRole.ok, 'the role rules still apply')

  const foreign = await foreignFederation()
  t.notOk((await anchors.validate(foreign.agencies.moi!.signing.chain, { at: now, role: 'signing' })).ok, 'a foreign leaf with its own CA')
  t.notOk((await anchors.validate([foreign.agencies.moi!.signing.cert, fed.intermediate.cert], { at: now, role: 'signing' })).ok, 'a foreign leaf beside our CA')
})

t.test('a leaf with a path-dependent extension (name constraints, policies) is left to pkijs, which refuses an unknown critical one', async (t) => {
  const { fed } = await testTrust()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert] })
  t.ok((await anchors.validate(fed.agencies.moi!.signing.chain, { at: now, role: 'signing' })).ok)
  const v = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 10 * DAY) }
  const unknownCritical = new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]))
  const odd = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v, extraExtensions: [unknownCritical] })
  const r = await anchors.validate([odd.cert], { at: now, role: 'signing' })
  t.match(!r.ok && r.reason, /unrecognised critical extension/)
  const policies = new x509.Extension('2.5.29.32', false, new Uint8Array([0x30, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2a, 0x03]))
  const withPolicy = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v, extraExtensions: [policies] })
  t.ok((await anchors.validate([withPolicy.cert], { at: now, role: 'signing' })).ok, 'a policy the path does not constrain: pkijs accepts it')
})
