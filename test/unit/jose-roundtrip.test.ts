// jose-v1 round trips (PROTOCOL.md §5, §6) for RSA and EC recipients and signers, with Thai text and
// a 1 MB attachment, cross-checked with panva/jose (an independent JOSE implementation).
import t from 'tap'
import { createHash } from 'node:crypto'
import { compactDecrypt, compactVerify } from 'jose'
import { joseV1, sealV1 } from '../../src/crypto/jose/v1-profile.js'
import { certThumbprint } from '../../src/crypto/jose/v1-header.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput, sha256Hex, signerOf } from '../vectors/fixtures.js'

const fed = await testFederation()
const big = bytesOf(1_000_000, 7)
const small = Buffer.from('สวัสดีครับ ไฟล์แนบขนาดเล็ก\n', 'utf8')
const empty = Buffer.alloc(0)

const PAIRS = [['moi', 'mof'], ['moi', 'dga'], ['mof', 'moi'], ['mof', 'dga'], ['moi', 'moi']] as const

for (const [from, to] of PAIRS) {
  t.test(`${from} → ${to}`, async (t) => {
    const input = sealInput(fed, from, to, [big, small, empty])
    const sealed = await joseV1.seal(input)
    t.equal(sealed.mediaType, 'application/jose')
    t.equal(sealed.envelopeSha256, sha256Hex(sealed.envelope))
    t.same(joseV1.peek(sealed.envelope), {
      profile: 'jose-v1', messageId: input.messageId, from, to, recipientKeyId: certThumbprint(input.recipientCert),
    })
    const opened = await joseV1.open(sealed.envelope, fed.agencies[to]!.encryption.key)
    t.strictSame(opened.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
    t.equal(opened.attachments.length, 3)
    t.ok(opened.attachments[0]!.equals(big))
    t.ok(opened.attachments[1]!.equals(small))
    t.equal(opened.attachments[2]!.length, 0)
    t.same(opened.signerChain.map((c) => c.fingerprint256), input.signer.chain.map((c) => c.fingerprint256))
    t.match(opened.signedBytes, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)

    // The exact protected header (PROTOCOL.md §5.1), read by an independent implementation.
    const { plaintext, protectedHeader } = await compactDecrypt(sealed.envelope.toString('latin1'), fed.agencies[to]!.encryption.key)
    const ec = fed.agencies[to]!.spec.keyType === 'ec'
    t.same(Object.keys(protectedHeader), ['alg', 'enc', 'typ', 'cty', 'x5t#S256', 'srb_v', 'srb_mid', 'srb_from', 'srb_to', ...(ec ? ['epk'] : [])])
    t.match(protectedHeader, {
      alg: ec ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256', enc: 'A256GCM', typ: 'saraban-envelope+jwe', cty: 'saraban-bundle',
      'x5t#S256': createHash('sha256').update(input.recipientCert.raw).digest('base64url'),
      srb_v: 1, srb_mid: input.messageId, srb_from: from, srb_to: to,
    })
    if (ec) t.same(Object.keys(protectedHeader.epk!), ['kty', 'crv', 'x', 'y'])
    // Bundle = ASCII(JWS) || 0x0A || attachments (PROTOCOL.md §5.3).
    const bundle = Buffer.from(plaintext)
    const nl = bundle.indexOf(0x0a)
    t.equal(bundle.subarray(0, nl).toString('latin1'), opened.signedBytes)
    t.ok(bundle.subarray(nl + 1).equals(Buffer.concat([big, small, empty])))
    const v = await compactVerify(opened.signedBytes, input.signer.chain[0]!.publicKey)
    t.same(Object.keys(v.protectedHeader), ['alg', 'typ', 'x5c'])
    t.match(v.protectedHeader, { alg: fed.agencies[from]!.spec.keyType === 'ec' ? 'ES256' : 'RS256', typ: 'saraban-letter+jws' })
    t.same(v.protectedHeader.x5c, input.signer.chain.map((c) => c.raw.toString('base64')))
    t.same(JSON.parse(Buffer.from(v.payload).toString('utf8')), opened.payload)
  })
}

t.test('PS256 signatures are accepted on open (RSA signer)', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [small])
  const sealed = sealV1(input, { signAlg: 'PS256' })
  const opened = await joseV1.open(sealed.envelope, fed.agencies.mof!.encryption.key)
  t.equal(JSON.parse(Buffer.from(opened.signedBytes.split('.')[0]!, 'base64url').toString()).alg, 'PS256')
  const v = await compactVerify(opened.signedBytes, input.signer.chain[0]!.publicKey)
  t.equal(v.protectedHeader.alg, 'PS256')
})

t.test('a letter without attachments', async (t) => {
  const input = sealInput(fed, 'mof', 'moi', [])
  const opened = await joseV1.open((await joseV1.seal(input)).envelope, fed.agencies.moi!.encryption.key)
  t.same(opened.attachments, [])
  t.strictSame(opened.payload.letter, input.letter)
})

t.test('two seals of the same input differ (fresh CEK, IV, epk) and both open', async (t) => {
  const input = sealInput(fed, 'mof', 'dga', [small])
  const a = await joseV1.seal(input)
  const b = await joseV1.seal(input)
  t.not(a.envelopeSha256, b.envelopeSha256)
  for (const s of [a, b]) t.ok((await joseV1.open(s.envelope, fed.agencies.dga!.encryption.key)).attachments[0]!.equals(small))
})

t.test('receipts: sign, verify, and panva/jose agrees', async (t) => {
  for (const agency of ['moi', 'mof']) {
    const claims = {
      v: 1 as const, mid: '0b8f2c1e-9a6d-4f7e-8c21-3d5e6f708192', from: 'dga', to: agency,
      receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('x')), profile: 'jose-v1',
    }
    const signer = signerOf(fed, agency)
    const receipt = await joseV1.signReceipt(claims, signer)
    const r = await joseV1.verifyReceipt(receipt)
    t.strictSame(r.claims, claims)
    t.equal(r.signerChain[0]!.fingerprint256, signer.chain[0]!.fingerprint256)
    const v = await compactVerify(receipt.toString('latin1'), signer.chain[0]!.publicKey)
    t.match(v.protectedHeader, { alg: agency === 'moi' ? 'RS256' : 'ES256', typ: 'saraban-receipt+jws' })
    t.same(Object.keys(JSON.parse(Buffer.from(v.payload).toString())), ['v', 'mid', 'from', 'to', 'receivedAt', 'envelopeSha256', 'profile'])
  }
})

t.test('signReceipt refuses a signer that is not the receiving agency', async (t) => {
  const claims = {
    v: 1 as const, mid: '0b8f2c1e-9a6d-4f7e-8c21-3d5e6f708192', from: 'dga', to: 'moi',
    receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('x')), profile: 'jose-v1',
  }
  await t.rejects(joseV1.signReceipt(claims, signerOf(fed, 'mof')))
})

t.test('openWithContentKey: the sender-kept CEK opens the envelope with the same checks (evidence)', async (t) => {
  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
    const input = sealInput(fed, from, to, [small])
    const sealed = await joseV1.seal(input)
    t.equal(sealed.contentKey.length, 32)
    const opened = await joseV1.openWithContentKey(sealed.envelope, sealed.contentKey)
    t.strictSame(opened.payload, (await joseV1.open(sealed.envelope, fed.agencies[to]!.encryption.key)).payload)
    const other = Buffer.from(sealed.contentKey)
    other[0] = other[0]! ^ 1
    await t.rejects(joseV1.openWithContentKey(sealed.envelope, other), { code: 'ERR_DECRYPT_FAILED' })
    await t.rejects(joseV1.openWithContentKey(sealed.envelope, sealed.contentKey.subarray(1)), { code: 'ERR_DECRYPT_FAILED' })
  }
})
