// PROTOCOL.md §8.6: a signature is judged at the time its RFC 3161 time-stamp proves. A letter signed
// and time-stamped while its short-lived certificate was valid still verifies after the certificate
// has expired; a time-stamp made after expiry does not rescue it; a CRL in force at the proven time
// decides revocation (revoked before: refused; revoked only later: accepted).
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { issueCertificate } from '../../src/pki/dev-ca.js'
import { signDirectory } from '../../src/pki/directory.js'
import { toBase64Der, notAfter } from '../../src/pki/cert.js'
import { buildEvidenceArchive, verifyEvidence } from '../../src/services/evidence/index.js'
import { tokenFacts } from '../../src/evidence/tst.js'
import { verifyTimeStampToken } from '../../src/tsa/index.js'
import { testFederation } from '../helpers/federation.js'
import { opensslTsa, sendAndAcknowledge, testCrl } from './evidence-fixture.js'

const fed = await testFederation()
const profiles = defaultProfiles()
const tsa = opensslTsa(fed)
t.teardown(() => tsa.close())

// moi gets a signing certificate that lives 5 seconds, listed in a directory beside its usual one.
const now = Date.now()
const shortLived = await issueCertificate(fed.intermediate, {
  role: 'signing', keyType: 'ec', subject: { commonName: 'Ministry of Interior (short-lived)', agencyId: 'moi' },
  notBefore: new Date(now - 60_000), notAfter: new Date(now + 5_000),
})
const doc = structuredClone(fed.directory)
doc.serial = 2
doc.agencies.find((a) => a.id === 'moi')!.certificates.signing.push(toBase64Der(shortLived.cert))
const directoryJws = await signDirectory(doc, fed.directoryIssuer)
const signer = { agency: 'moi', key: shortLived.key, chain: shortLived.chain }
const crls = [await testCrl(fed, { by: 'intermediate' }), await testCrl(fed, { by: 'root' })]
const deps = { clock: { now: () => Date.now() }, profiles, directoryJws: () => directoryJws, crlsAt: () => crls }

const sent = await sendAndAcknowledge({ fed, profile: joseV1, signer })
const stampedInTime = tsa.tokensFor(sent) // both signatures stamped now, while the certificate is valid
const inTime = await buildEvidenceArchive({ ...deps, tokensFor: stampedInTime }, sent.letter, sent.messages)
const claimsOnly = await buildEvidenceArchive(deps, sent.letter, sent.messages)

await sleep(Math.max(0, notAfter(shortLived.cert).getTime() - Date.now() + 1500))

t.test('the certificate has expired by now', async (t) => {
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert] })
  const r = await anchors.validate(shortLived.chain, { at: new Date(), role: 'signing' })
  t.notOk(r.ok, 'path validation at the current time refuses it')
})

t.test('a signature time-stamped while the certificate was valid still verifies after it expired', async (t) => {
  const report = await verifyEvidence(inTime, { anchors: new TrustAnchors([fed.root.cert]), profiles, verifyTimeStampToken, strict: true })
  t.ok(report.ok, JSON.stringify(report.findings.filter((f) => !f.ok)))
  const letter = report.findings.find((f) => f.ok && f.part.endsWith('/letter.jws') && /valid for signing at/.test(f.detail))
  t.ok(letter, 'the letter is judged at the time-stamp')
  t.match(letter?.detail, /has expired since/)
  const genTime = tokenFacts(stampedInTime(sent.messages[0]!.messageId)[0]!.token).genTime
  t.ok(genTime <= notAfter(shortLived.cert), 'the proven time is inside the validity period')
})

t.test('without a time-stamp the same bundle passes only as a weaker claim, and not with --strict', async (t) => {
  const loose = await verifyEvidence(claimsOnly, { anchors: new TrustAnchors([fed.root.cert]), profiles })
  t.ok(loose.ok)
  t.ok(loose.weak.some((w) => /letter\.jws: the letter time .* own claim/.test(w)))
  const strict = await verifyEvidence(claimsOnly, { anchors: new TrustAnchors([fed.root.cert]), profiles, strict: true })
  t.notOk(strict.ok)
})

t.test('a time-stamp made after the certificate expired does not make the signature valid', async (t) => {
  const late = tsa.tokensFor(sent, ['letter']) // stamped now, after expiry
  const archive = await buildEvidenceArchive({ ...deps, tokensFor: late }, sent.letter, sent.messages)
  const report = await verifyEvidence(archive, { anchors: new TrustAnchors([fed.root.cert]), profiles, verifyTimeStampToken })
  t.notOk(report.ok)
  t.ok(report.findings.some((f) => !f.ok && f.part.endsWith('/letter.jws') && /not valid for signing at/.test(f.detail)))
})

t.test('revocation is judged at the proven time with the CRL in force then', async (t) => {
  const sent2 = await sendAndAcknowledge({ fed, profile: joseV1 })
  const tokens = tsa.tokensFor(sent2)
  const genTime = tokenFacts(tokens(sent2.messages[0]!.messageId)[0]!.token).genTime
  const rootCrl = await testCrl(fed, { by: 'root' })
  const moiSigning = fed.agencies.moi!.signing.cert
  const bundle = (crls: Buffer[]) =>
    buildEvidenceArchive({ ...deps, directoryJws: () => fed.directoryJws, tokensFor: tokens, crlsAt: () => [...crls, rootCrl] }, sent2.letter, sent2.messages)
  const at = (ms: number) => new Date(genTime.getTime() + ms)
  const opts = { anchors: new TrustAnchors([fed.root.cert]), profiles, verifyTimeStampToken, strict: true }

  const revokedBefore = await testCrl(fed, { by: 'intermediate', thisUpdate: at(-1000), revoked: [{ cert: moiSigning, at: at(-60_000) }] })
  const before = await verifyEvidence(await bundle([revokedBefore]), opts)
  t.notOk(before.ok, 'revoked before the letter was time-stamped')
  t.ok(before.findings.some((f) => !f.ok && f.part.endsWith('/letter.jws') && /was revoked/.test(f.detail)))

  // The CRL in force at the proven time does not list it; a later one does, with a later date.
  const inForce = await testCrl(fed, { by: 'intermediate', thisUpdate: at(-1000), nextUpdate: at(3_600_000) })
  const afterwards = await testCrl(fed, { by: 'intermediate', thisUpdate: at(120_000), revoked: [{ cert: moiSigning, at: at(60_000) }] })
  const later = await verifyEvidence(await bundle([inForce, afterwards]), opts)
  t.ok(later.ok, JSON.stringify(later.findings.filter((f) => !f.ok)))
  t.ok(later.findings.some((f) => f.ok && f.part.endsWith('/letter.jws') && /not revoked \(CRL of/.test(f.detail)))

  const none = await verifyEvidence(await bundle([]), opts)
  t.notOk(none.ok, '--strict: no CRL of the issuing CA in force at the proven time')
})
