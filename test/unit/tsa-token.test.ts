// RFC 3161 tokens from our dev TSA, verified by verifyTimeStampToken (PROTOCOL.md §13.3): the happy path
// for EC and RSA TSAs, and each refusal (imprint, nonce, trust, role, genTime, tampering, rejections).
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { buildTsaServer, TSQ_MEDIA_TYPE, TSR_MEDIA_TYPE } from '../../src/tsa/server.js'
import { buildRequest } from '../../src/tsa/request.js'
import { parseResponse } from '../../src/tsa/response.js'
import { verifyTimeStampToken, readTimeStampToken } from '../../src/tsa/verify.js'
import { issueToken } from '../../src/tsa/token.js'
import { randomPositive } from '../../src/tsa/der.js'
import { OID_SHA1 } from '../../src/tsa/oids.js'
import { issueTsaCertificate } from '../../src/tsa/dev.js'
import { checkRole } from '../../src/pki/roles.js'
import { issueCertificate } from '../../src/pki/dev-issue.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { createLogger } from '../../src/log.js'
import type { Clock } from '../../src/clock.js'
import { testTrust, foreignFederation } from '../helpers/federation.js'
import { testTsaCert } from '../helpers/tsa.js'
import * as x509 from '@peculiar/x509'
import { OID_EKU_TIME_STAMPING, OID_EKU_DOCUMENT_SIGNING } from '../../src/pki/oids.js'

const digest = (s: string) => createHash('sha256').update(s).digest()

async function tsaFor(keyType: 'ec' | 'rsa', clock?: Clock) {
  const cert = await testTsaCert(keyType)
  return buildTsaServer({ signer: { key: cert.key, chain: cert.chain }, clock: clock ?? { now: () => Date.now() }, log: createLogger('silent') })
}

async function ask(app: Awaited<ReturnType<typeof tsaFor>>, body: Buffer, contentType = TSQ_MEDIA_TYPE) {
  const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': contentType }, payload: body })
  return res
}

for (const keyType of ['ec', 'rsa'] as const) {
  t.test(`a ${keyType} TSA's token verifies, with its imprint, nonce, chain and genTime`, async (t) => {
    const { anchors, fed } = await testTrust()
    const app = await tsaFor(keyType)
    t.teardown(() => app.close())
    const imprint = digest('signature bytes')
    const nonce = randomPositive(randomBytes(8))
    const res = await ask(app, buildRequest({ imprint, nonce, certReq: true }))
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], TSR_MEDIA_TYPE)
    const parsed = parseResponse(res.rawPayload)
    if (!parsed.granted) throw new Error('not granted')
    const before = Date.now()
    const v = await verifyTimeStampToken(parsed.token, { imprint, anchors, nonce })
    if (!v.ok) throw new Error(v.reason)
    t.ok(Math.abs(v.value.genTime.getTime() - before) < 10_000, 'genTime is now')
    t.ok(v.value.tsaChain[0]!.raw.equals((await testTsaCert(keyType)).cert.raw), 'the TSA certificate leads the path')
    t.ok(v.value.tsaChain.at(-1)!.raw.equals(fed.root.cert.raw), 'the path ends at the federation root')
    t.same(readTimeStampToken(parsed.token).imprint, imprint)

    const other = await verifyTimeStampToken(parsed.token, { imprint: digest('another signature'), anchors })
    t.match(other, { ok: false, code: 'ERR_TIMESTAMP_INVALID' }, 'another imprint is refused')
    const wrongNonce = await verifyTimeStampToken(parsed.token, { imprint, anchors, nonce: 12345n })
    t.match(wrongNonce, { ok: false, code: 'ERR_TIMESTAMP_INVALID' }, 'another nonce is refused')
    const foreign = await foreignFederation()
    const untrusted = await verifyTimeStampToken(parsed.token, { imprint, anchors: new TrustAnchors([foreign.root.cert]) })
    t.match(untrusted, { ok: false, code: 'ERR_TSA_UNTRUSTED' }, 'a TSA outside the federation is refused')
  })
}

t.test('every single-byte change to a token is refused', async (t) => {
  const { anchors } = await testTrust()
  const app = await tsaFor('ec')
  t.teardown(() => app.close())
  const imprint = digest('x')
  const parsed = parseResponse((await ask(app, buildRequest({ imprint, certReq: true }))).rawPayload)
  if (!parsed.granted) throw new Error('not granted')
  const token = parsed.token
  let accepted = 0
  // Every byte of the framing, the TSTInfo and the SignerInfo (the first 200 and the last 600 bytes),
  // and every third byte of the certificates in between, flipped one at a time.
  let tried = 0
  for (let i = 0; i < token.length; i += i < 200 || i >= token.length - 600 ? 1 : 3) {
    tried++
    const bad = Buffer.from(token)
    bad[i]! ^= 0x01
    const v = await verifyTimeStampToken(bad, { imprint, anchors })
    if (v.ok) {
      accepted++
      t.fail(`a flip at offset ${i} of ${token.length} was accepted`)
    }
  }
  t.equal(accepted, 0, `${tried} single-bit flips over ${token.length} bytes refused`)
})

t.test('a token signed by a certificate that is not a tsa certificate is refused', async (t) => {
  const { anchors, fed } = await testTrust()
  const signing = fed.agencies.moi!.signing
  const imprint = digest('y')
  const token = issueToken({ imprint, policy: '1.2.3.4', serial: new asn1js.Integer({ value: 7 }), genTime: new Date(), includeCerts: true }, { key: signing.key, chain: signing.chain })
  const v = await verifyTimeStampToken(token, { imprint, anchors })
  t.match(v, { ok: false, code: 'ERR_TSA_UNTRUSTED' })
  t.match(v.ok ? '' : v.reason, /extendedKeyUsage/)
})

t.test('the TSA chain is judged at genTime', async (t) => {
  const { anchors, fed } = await testTrust()
  const now = Date.now()
  const shortLived = await issueTsaCertificate(fed.intermediate, { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 3600_000) })
  const imprint = digest('z')
  const at = (ms: number) => issueToken({ imprint, policy: '1.2.3.4', serial: new asn1js.Integer({ value: 8 }), genTime: new Date(ms), includeCerts: true }, { key: shortLived.key, chain: shortLived.chain })
  t.ok((await verifyTimeStampToken(at(now), { imprint, anchors })).ok, 'genTime inside the validity')
  t.match(await verifyTimeStampToken(at(now + 2 * 3600_000), { imprint, anchors }), { ok: false, code: 'ERR_TSA_UNTRUSTED' }, 'genTime after notAfter')
})

t.test('a token without certificates verifies only with the TSA certificate supplied', async (t) => {
  const { anchors } = await testTrust()
  const cert = await testTsaCert('ec')
  const imprint = digest('w')
  const token = issueToken({ imprint, policy: '1.2.3.4', serial: new asn1js.Integer({ value: 9 }), genTime: new Date(), includeCerts: false }, { key: cert.key, chain: cert.chain })
  t.match(await verifyTimeStampToken(token, { imprint, anchors }), { ok: false, code: 'ERR_TIMESTAMP_INVALID' })
  t.ok((await verifyTimeStampToken(token, { imprint, anchors, certs: cert.chain })).ok)
})

t.test('the TSA rejects what RFC 3161 lets it reject, and refuses other media types', async (t) => {
  const app = await tsaFor('ec')
  t.teardown(() => app.close())
  // a SHA-1 imprint: badAlg
  const sha1Req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA1 }),
      hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(20) }),
    }),
  })
  const r1 = parseResponse((await ask(app, Buffer.from(sha1Req.toSchema().toBER()))).rawPayload)
  t.match(r1, { granted: false, status: 2, failure: ['badAlg'] })
  const r2 = parseResponse((await ask(app, Buffer.from('not asn.1'))).rawPayload)
  t.match(r2, { granted: false, status: 2, failure: ['badDataFormat'] })
  const r3 = parseResponse((await ask(app, buildRequest({ imprint: digest('p'), certReq: true, policy: '1.2.3.4.5' }))).rawPayload)
  t.match(r3, { granted: false, failure: ['unacceptedPolicy'] })
  const r4 = await ask(app, buildRequest({ imprint: digest('q'), certReq: true }), 'application/octet-stream')
  t.equal(r4.statusCode, 415)
  const r5 = await app.inject({ method: 'GET', url: '/' })
  t.equal(r5.statusCode, 404)
})

t.test('the tsa role: id-kp-timeStamping alone, critical (RFC 3161 §2.3)', async (t) => {
  const { fed } = await testTrust()
  const good = await testTsaCert('ec')
  t.equal(checkRole(good.cert, 'tsa'), undefined)
  t.match(checkRole(good.cert, 'signing'), /extendedKeyUsage/, 'a TSA certificate does not sign letters')
  const F = x509.KeyUsageFlags
  const base = [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(F.digitalSignature, true)]
  const issue = (eku: x509.Extension) => issueCertificate(fed.intermediate, { role: 'ca', keyType: 'ec', subject: { commonName: 'x' }, extraExtensions: [] })
    .then(() => issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject: { commonName: 'TSA?' }, extraExtensions: [eku] }))
  void base
  const nonCritical = await issue(new x509.ExtendedKeyUsageExtension([OID_EKU_TIME_STAMPING], false))
  t.match(checkRole(nonCritical.cert, 'tsa'), /critical/)
  const extra = await issue(new x509.ExtendedKeyUsageExtension([OID_EKU_TIME_STAMPING, OID_EKU_DOCUMENT_SIGNING], true))
  t.match(checkRole(extra.cert, 'tsa'), /only/)
})
