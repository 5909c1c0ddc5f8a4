// The signed federation directory (src/pki/directory.ts).
import t from 'tap'
import type { Test } from 'tap'
import { CompactSign } from 'jose'
import { Directory, signDirectory, verifyDirectory } from '../../src/pki/directory.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'
import { fingerprint, toBase64Der } from '../../src/pki/cert.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { SarabanError } from '../../src/errors.js'
import { foreignFederation, testTrust } from '../helpers/federation.js'

const now = new Date()
const DAY = 86_400_000

async function rejectsWith(t: Test, p: Promise<unknown>, code: string, msg: string): Promise<void> {
  try {
    await p
    t.fail(`${msg}: expected ${code}, it verified`)
  } catch (e) {
    t.equal(e instanceof SarabanError ? e.code : String(e), code, msg)
  }
}

t.test('a genuine directory verifies and answers lookups', async (t) => {
  const { fed, anchors } = await testTrust()
  const doc = await verifyDirectory(fed.directoryJws, anchors, now)
  t.same(doc, fed.directory)
  const dir = new Directory(doc)
  t.same(dir.all().map((a) => a.id).sort(), ['dga', 'mof', 'moi'])
  t.equal(dir.agency('moi')?.nameTh, 'กระทรวงมหาดไทย')
  t.equal(dir.agencyByTlsFingerprint(fingerprint(fed.agencies.mof!.tls.cert))?.id, 'mof')
  t.equal(dir.agencyByTlsFingerprint(fingerprint(fed.agencies.mof!.signing.cert)), undefined, 'a signing cert is no TLS identity')
  t.ok(dir.isSigningCertOf('dga', fingerprint(fed.agencies.dga!.signing.cert)))
  t.notOk(dir.isSigningCertOf('moi', fingerprint(fed.agencies.dga!.signing.cert)), 'another agency’s signing cert')
  t.equal(fingerprint(dir.encryptionCertFor('moi')!), fingerprint(fed.agencies.moi!.encryption.cert))
  t.equal(dir.endpointFor('mof'), fed.agencies.mof!.spec.federationUrl)
  t.equal(dir.intermediates().length, 1)
  t.equal(dir.agency('nope'), undefined)
  // a fresh anchor set without intermediates verifies it too (x5c carries the issuing CA)
  await verifyDirectory(fed.directoryJws, new TrustAnchors([fed.root.cert]), now)
})

t.test('a tampered directory is refused', async (t) => {
  const { fed, anchors } = await testTrust()
  const [h, p, s] = fed.directoryJws.split('.') as [string, string, string]
  const doc = JSON.parse(Buffer.from(p, 'base64url').toString()) as DirectoryDocument
  doc.agencies[0]!.endpoints = ['https://attacker.example']
  const forged = `${h}.${Buffer.from(JSON.stringify(doc)).toString('base64url')}.${s}`
  await rejectsWith(t, verifyDirectory(forged, anchors, now), 'ERR_DIRECTORY_INVALID', 'payload changed')
  const sig = Buffer.from(s, 'base64url'); sig[0]! ^= 1
  await rejectsWith(t, verifyDirectory(`${h}.${p}.${sig.toString('base64url')}`, anchors, now), 'ERR_DIRECTORY_INVALID', 'signature changed')
  await rejectsWith(t, verifyDirectory('not a jws', anchors, now), 'ERR_DIRECTORY_INVALID', 'garbage')
})

t.test('only a trusted directory signer may sign it', async (t) => {
  const { fed, anchors } = await testTrust()
  const bySigningCert = await signDirectory(fed.directory, fed.agencies.mof!.signing)
  await rejectsWith(t, verifyDirectory(bySigningCert, anchors, now), 'ERR_DIRECTORY_INVALID', 'an agency signing certificate')
  const byTlsCert = await signDirectory(fed.directory, fed.agencies.moi!.tls)
  await rejectsWith(t, verifyDirectory(byTlsCert, anchors, now), 'ERR_DIRECTORY_INVALID', 'an agency TLS certificate')
  const foreign = await foreignFederation()
  await rejectsWith(t, verifyDirectory(foreign.directoryJws, anchors, now), 'ERR_DIRECTORY_INVALID', 'a foreign directory signer')
})

t.test('header rules: typ, alg allow-list, alg matching the key', async (t) => {
  const { fed, anchors } = await testTrust()
  const payload = new TextEncoder().encode(JSON.stringify(fed.directory))
  const x5c = fed.directoryIssuer.chain.map(toBase64Der)
  const signer = fed.directoryIssuer.key
  const wrongTyp = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c }).sign(signer)
  await rejectsWith(t, verifyDirectory(wrongTyp, anchors, now), 'ERR_DIRECTORY_INVALID', 'typ JWT')
  const noX5c = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', typ: 'saraban-directory+jws' }).sign(signer)
  await rejectsWith(t, verifyDirectory(noX5c, anchors, now), 'ERR_DIRECTORY_INVALID', 'no x5c')
  const hs = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', typ: 'saraban-directory+jws', x5c }).sign(new Uint8Array(32))
  await rejectsWith(t, verifyDirectory(hs, anchors, now), 'ERR_DIRECTORY_INVALID', 'HS256')
})

t.test('nextUpdate: expired at `at`, ignored with atIssue', async (t) => {
  const { fed, anchors } = await testTrust()
  const doc: DirectoryDocument = { ...fed.directory, serial: 2, nextUpdate: new Date(now.getTime() + DAY).toISOString() }
  const jws = await signDirectory(doc, fed.directoryIssuer)
  t.equal((await verifyDirectory(jws, anchors, now)).serial, 2)
  await rejectsWith(t, verifyDirectory(jws, anchors, new Date(now.getTime() + 2 * DAY)), 'ERR_DIRECTORY_EXPIRED', 'past nextUpdate')
  t.equal((await verifyDirectory(jws, anchors, { atIssue: true })).serial, 2, 'evidence mode')
  const future = await signDirectory({ ...doc, issuedAt: new Date(now.getTime() + DAY).toISOString() }, fed.directoryIssuer)
  await rejectsWith(t, verifyDirectory(future, anchors, now), 'ERR_DIRECTORY_INVALID', 'issued in the future')
  const malformed = await signDirectory({ ...doc, agencies: [{ ...doc.agencies[0]!, id: 'Bad Id' }] }, fed.directoryIssuer)
  await rejectsWith(t, verifyDirectory(malformed, anchors, now), 'ERR_DIRECTORY_INVALID', 'bad agency id')
})

t.test('suspended agencies and duplicates', async (t) => {
  const { fed } = await testTrust()
  const doc: DirectoryDocument = structuredClone(fed.directory)
  doc.agencies.find((a) => a.id === 'mof')!.status = 'suspended'
  const dir = new Directory(doc)
  t.equal(dir.agency('mof')?.status, 'suspended', 'agency() still answers')
  t.equal(dir.agencyByTlsFingerprint(fingerprint(fed.agencies.mof!.tls.cert))?.status, 'suspended')
  t.notOk(dir.isSigningCertOf('mof', fingerprint(fed.agencies.mof!.signing.cert)))
  t.equal(dir.encryptionCertFor('mof'), undefined)
  t.equal(dir.endpointFor('mof'), undefined)
  const dup: DirectoryDocument = { ...fed.directory, agencies: [...fed.directory.agencies, fed.directory.agencies[0]!] }
  t.throws(() => new Directory(dup), { code: 'ERR_DIRECTORY_INVALID' }, 'an agency listed twice')
})

t.test('encryptionCertFor picks the newest notBefore (rollover)', async (t) => {
  const { fed } = await testTrust()
  const { issueCertificate } = await import('../../src/pki/dev-ca.js')
  const a = fed.agencies.dga!
  const newer = await issueCertificate(fed.intermediate, {
    role: 'encryption', keyType: 'ec', subject: { commonName: a.spec.nameEn, organization: a.spec.nameTh, agencyId: 'dga' },
    notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + DAY),
  })
  const doc: DirectoryDocument = structuredClone(fed.directory)
  doc.agencies.find((x) => x.id === 'dga')!.certificates.encryption.push(toBase64Der(newer.cert))
  t.equal(fingerprint(new Directory(doc).encryptionCertFor('dga')!), fingerprint(newer.cert))
})
