// jose-v1 refusals (PROTOCOL.md §5.5): every tampering ends in a stable error code, and decryption
// and signature failures say one vague thing.
import t, { type Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import type { ErrorCode } from '../../src/errors.js'
import { testFederation } from '../helpers/federation.js'
import { craftEnvelope, craftJws, letterJws, spliceHeader, tamperPart, x5cOf } from '../vectors/craft.js'
import { bytesOf, sealInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const att = bytesOf(4096, 3)
const key = (a: string) => fed.agencies[a]!.encryption.key

async function refuses(t: Test, envelope: Buffer, to: string, code: ErrorCode, name: string): Promise<void> {
  await t.rejects(joseV1.open(envelope, key(to)), { code }, name)
  // Issue 16 item 2: opened with the attachments hashed as decrypted and not kept, the same refusal.
  await t.rejects(joseV1.openHashed!(envelope, key(to)), { code }, `${name} (attachments hashed, not kept)`)
}

for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
  t.test(`tampered envelope parts, ${to} recipient`, async (t) => {
    const input = sealInput(fed, from, to, [att])
    const { envelope } = await joseV1.seal(input)
    await refuses(t, tamperPart(envelope, 1), to, 'ERR_DECRYPT_FAILED', 'encrypted key')
    await refuses(t, tamperPart(envelope, 2), to, 'ERR_DECRYPT_FAILED', 'iv')
    await refuses(t, tamperPart(envelope, 3), to, 'ERR_DECRYPT_FAILED', 'ciphertext')
    await refuses(t, tamperPart(envelope, 3, 0), to, 'ERR_DECRYPT_FAILED', 'ciphertext, first character')
    await refuses(t, tamperPart(envelope, 4, 0), to, 'ERR_DECRYPT_FAILED', 'tag')
    // The header is the AAD: any change, even one that still parses, breaks the tag.
    await refuses(t, spliceHeader(envelope, (h) => ({ ...h, srb_mid: '00000000-0000-4000-8000-000000000000' })), to, 'ERR_DECRYPT_FAILED', 'header value')
    await refuses(t, spliceHeader(envelope, (h) => Object.fromEntries(Object.entries(h).reverse())), to, 'ERR_DECRYPT_FAILED', 'header member order')
    await refuses(t, envelope, to === 'mof' ? 'dga' : 'mof', 'ERR_DECRYPT_FAILED', 'another agency key')
    // Ciphertext 6 bytes short (8 characters cut before its last one): still canonical, the tag fails.
    const end = envelope.length - 23 // '.' before the 22-character tag
    const cut = Buffer.concat([envelope.subarray(0, end - 9), envelope.subarray(end - 1)])
    await refuses(t, cut, to, 'ERR_DECRYPT_FAILED', 'ciphertext cut short')
  })
}

t.test('EC envelope: foreign epk, off-curve epk, epk on another curve', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [att])
  const { envelope } = await joseV1.seal(input)
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'jwk' })
  await refuses(t, spliceHeader(envelope, (h) => ({ ...h, epk: { kty: 'EC', crv: 'P-256', x: other.x, y: other.y } })), 'mof', 'ERR_DECRYPT_FAILED', 'foreign epk')
  await refuses(t, spliceHeader(envelope, (h) => ({ ...h, epk: { kty: 'EC', crv: 'P-256', x: other.x, y: other.x } })), 'mof', 'ERR_DECRYPT_FAILED', 'off-curve epk')
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'jwk' })
  await refuses(t, spliceHeader(envelope, (h) => ({ ...h, epk: { kty: 'EC', crv: 'P-384', x: p384.x, y: p384.y } })), 'mof', 'ERR_DECRYPT_FAILED', 'P-384 epk for a P-256 key')
  await refuses(t, envelope, 'moi', 'ERR_DECRYPT_FAILED', 'RSA key for an ECDH-ES envelope')
})

t.test('inner JWS: tampered signature, wrong key, alg none, HS256, alg confusion', async (t) => {
  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
    const input = sealInput(fed, from, to, [att])
    const good = letterJws(input)
    t.ok(await joseV1.open(craftEnvelope({ input, jws: good }), key(to)), 'a crafted correct envelope opens')
    await refuses(t, craftEnvelope({ input, jws: tamperPart(good, 2, 0) }), to, 'ERR_SIGNATURE_INVALID', 'signature byte')
    await refuses(t, craftEnvelope({ input, jws: tamperPart(good, 1, 5) }), to, 'ERR_SIGNATURE_INVALID', 'payload byte')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { key: fed.agencies.dga!.signing.key, headerOver: { alg: 'ES256' } }) }), to, 'ERR_SIGNATURE_INVALID', 'x5c of the sender, key of another agency')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { alg: 'none' } }) }), to, 'ERR_PROFILE_UNSUPPORTED', 'alg none')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { alg: 'HS256' } }) }), to, 'ERR_PROFILE_UNSUPPORTED', 'alg HS256')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { crit: ['b64'], b64: false } }) }), to, 'ERR_PROFILE_UNSUPPORTED', 'crit')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { kid: 'k' } }) }), to, 'ERR_ENVELOPE_MALFORMED', 'extra header member')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { typ: 'saraban-receipt+jws' } }) }), to, 'ERR_ENVELOPE_MALFORMED', 'receipt typ')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { x5c: [] } }) }), to, 'ERR_ENVELOPE_MALFORMED', 'empty x5c')
    await refuses(t, craftEnvelope({ input, jws: letterJws(input, { headerOver: { x5c: ['AAAA'] } }) }), to, 'ERR_ENVELOPE_MALFORMED', 'x5c not a certificate')
  }
  // RS256 header over an EC leaf / ES256 header over an RSA leaf: the leaf key must fit the alg row.
  const ecIn = sealInput(fed, 'mof', 'moi', [att])
  await refuses(t, craftEnvelope({ input: ecIn, jws: craftJws({ alg: 'RS256', typ: 'saraban-letter+jws', x5c: x5cOf(ecIn.signer.chain) }, 'x', fed.agencies.moi!.signing.key) }), 'moi', 'ERR_SIGNATURE_INVALID', 'RS256 with an EC leaf')
})

t.test('bundle framing and attachment digests', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [att, att])
  const jws = letterJws(input)
  await refuses(t, craftEnvelope({ input, jws, tail: [att, att, Buffer.from([0])] }), 'mof', 'ERR_ENVELOPE_MALFORMED', 'one byte too many')
  await refuses(t, craftEnvelope({ input, jws, tail: [att, att.subarray(1)] }), 'mof', 'ERR_ENVELOPE_MALFORMED', 'one byte too few')
  await refuses(t, craftEnvelope({ input, jws, noNewline: true, tail: [] }), 'mof', 'ERR_ENVELOPE_MALFORMED', 'no line feed')
  const flipped = Buffer.from(att)
  flipped[100] = flipped[100]! ^ 1
  // The manifest was made from `att`; the second attachment's bytes change before sealing.
  const sealed = await joseV1.seal({ ...input, attachments: [att, flipped] })
  await t.rejects(joseV1.open(sealed.envelope, key('mof')), { code: 'ERR_ATTACHMENT_DIGEST_MISMATCH', field: '/letter/attachments/1/sha256' })
  await t.rejects(joseV1.openHashed!(sealed.envelope, key('mof')), { code: 'ERR_ATTACHMENT_DIGEST_MISMATCH', field: '/letter/attachments/1/sha256' }, 'hashed, not kept')
  await t.rejects(joseV1.seal({ ...input, attachments: [att] }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'seal: count mismatch')
  await t.rejects(joseV1.seal({ ...input, attachments: [att, att.subarray(1)] }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'seal: size mismatch')
})

t.test('header and signed payload must name the same message, sender and recipient', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [att])
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ mid: '00000000-0000-4000-8000-000000000000' }, 'srb_mid'],
    [{ from: 'dga' }, 'srb_from'],
    [{ to: 'dga' }, 'srb_to'],
  ]
  for (const [payloadOver, field] of cases) {
    const env = craftEnvelope({ input, jws: letterJws(input, { payloadOver }) })
    await t.rejects(joseV1.open(env, key('mof')), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field }, field)
  }
  // A letter signed for mof, re-encrypted by mof for dga with srb_to: dga.
  const dgaIn = { ...input, recipientCert: fed.agencies.dga!.encryption.cert }
  const forwarded = craftEnvelope({ input: dgaIn, jws: letterJws(input), headerOver: { srb_to: 'dga' } })
  t.equal(joseV1.peek(forwarded).to, 'dga')
  await t.rejects(joseV1.open(forwarded, key('dga')), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'srb_to' })
})

t.test('opened with the attachments hashed and not kept (issue 16 item 2): what open() gives, without the bytes', async (t) => {
  // Attachments that span decryption slices, one of size 0 between them, and one that ends a slice.
  const files = [bytesOf(200_000, 5), Buffer.alloc(0), bytesOf(48 * 1024 - 1, 6), bytesOf(3, 7)]
  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
    const { envelope } = await joseV1.seal(sealInput(fed, from, to, files))
    const whole = await joseV1.open(envelope, key(to))
    const hashed = await joseV1.openHashed!(envelope, key(to))
    t.same(hashed.payload, whole.payload)
    t.equal(hashed.signedBytes, whole.signedBytes)
    t.ok(hashed.signature.equals(whole.signature))
    t.same(hashed.signerChain.map((c) => c.fingerprint256), whole.signerChain.map((c) => c.fingerprint256))
    t.same(hashed.attachments, [], 'no attachment bytes are kept')
    t.same(whole.attachments.map((a) => a.length), files.map((f) => f.length))
  }
})
