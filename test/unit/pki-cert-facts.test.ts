// src/pki/cert-facts.ts: the one parse per DER that the role rules, path constraints and CRL lookups
// read. Checked against an independent parser (@peculiar/x509) on every certificate of a federation
// with RSA and EC keys, CAs and leaves of every role.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { certFacts } from '../../src/pki/cert-facts.js'
import { checkRole } from '../../src/pki/roles.js'
import { issueCertificate } from '../../src/pki/dev-ca.js'
import { testFederation } from '../helpers/federation.js'

const DAY = 86_400_000

t.test('basicConstraints, keyUsage, extensions and names agree with @peculiar/x509', async (t) => {
  const fed = await testFederation()
  const certs: Array<[string, X509Certificate]> = [['root', fed.root.cert], ['issuing CA', fed.intermediate.cert], ['directory', fed.directoryIssuer.cert]]
  for (const [id, a] of Object.entries(fed.agencies)) for (const role of ['tls', 'signing', 'encryption'] as const) certs.push([`${id} ${role}`, a[role].cert])
  const usageMasks = new Set<number>()
  for (const [name, cert] of certs) {
    const f = certFacts(cert)
    const p = new x509.X509Certificate(cert.raw)
    const bc = p.getExtension(x509.BasicConstraintsExtension)
    t.equal(f.ca, bc?.ca === true, `${name}: cA`)
    t.equal(f.pathLength, bc?.pathLength, `${name}: pathLenConstraint`)
    const ku = p.getExtension(x509.KeyUsagesExtension)
    t.equal(f.keyUsage, ku?.usages, `${name}: keyUsage bits (RFC 5280 §4.2.1.3 numbering)`)
    if (f.keyUsage !== undefined) usageMasks.add(f.keyUsage)
    t.same(f.extensions, p.extensions.map((e) => ({ oid: e.type, critical: e.critical })), `${name}: extensions and criticality`)
    t.equal(f.subjectKey, Buffer.from(p.subjectName.toArrayBuffer()).toString('hex'), `${name}: subject Name DER`)
    t.equal(f.issuerKey, Buffer.from(p.issuerName.toArrayBuffer()).toString('hex'), `${name}: issuer Name DER`)
  }
  t.ok(usageMasks.size >= 4, `several distinct keyUsage sets were compared (${[...usageMasks].join(', ')})`)
  t.equal(fed.intermediate.cert.ca, true)
  t.equal(certFacts(fed.intermediate.cert).pathLength, 0, 'the issuing CA carries pathLenConstraint 0')
})

t.test('one parse per DER, whatever object carries it', async (t) => {
  const fed = await testFederation()
  const a = fed.agencies.mof!.signing.cert
  t.equal(certFacts(new X509Certificate(a.raw)), certFacts(a), 'the same facts object for equal bytes')
  t.not(certFacts(fed.agencies.moi!.signing.cert), certFacts(a), 'different bytes, different facts')
})

t.test('a leaf with a malformed keyUsage is refused by the role rules', async (t) => {
  const fed = await testFederation()
  const now = Date.now()
  const v = { notBefore: new Date(now - DAY), notAfter: new Date(now + DAY) }
  const subject = { commonName: 'Ministry of Finance', agencyId: 'mof' }
  const base = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v })
  t.equal(checkRole(base.cert, 'signing'), undefined, 'the normal certificate passes')
  const bad = new x509.Extension('2.5.29.15', true, new Uint8Array([0x04, 0x01, 0x00])) // OCTET STRING, not BIT STRING
  const malformed = (await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject, ...v, extraExtensions: [bad] })).cert
  t.match(checkRole(malformed, 'signing'), /could not be processed: keyUsage is not a BIT STRING/, 'malformed keyUsage refused')
  t.equal(checkRole(base.cert, 'encryption') !== undefined, true, 'a signing certificate is not an encryption certificate')
})
