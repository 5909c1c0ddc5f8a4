// cms-v1 sealMany (PROTOCOL.md §17.6): one SignedData over a v2 payload, one AES-256-GCM ciphertext,
// one RecipientInfo per recipient; each head ‖ shared ‖ tail is a single-recipient cms-v1 envelope
// that open() opens with that recipient's key, and the routing binding of §17.3.
import t from 'tap'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { bindRouting, decodePayload, encodePayloadV2 } from '../../src/crypto/payload.js'
import { partSha256, sealForAll } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput, sha256Hex } from '../vectors/fixtures.js'

const fed = await testFederation()
const pdf = bytesOf(300_000, 11)
const small = Buffer.from('ไฟล์แนบเล็ก\n', 'utf8')
const whole = (head: Buffer, shared: Buffer, tail: Buffer): Buffer => Buffer.concat([head, shared, tail])

t.test('sign once, encrypt once, a key per recipient (RSA and EC)', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [pdf, small], { copyTo: ['moi'] })
  const sealed = await sealForAll(cmsV1, input)
  t.equal(sealed.mediaType, 'application/cms')
  t.equal(sealed.parts.length, 3)
  t.ok(sealed.shared.length >= pdf.length + small.length, 'the shared bytes are the ciphertext of the whole bundle')
  for (const [i, part] of sealed.parts.entries()) {
    const r = input.recipients[i]!
    t.equal(part.messageId, r.messageId)
    t.equal(part.to, r.to)
    t.equal(part.tail.length, 18, 'the tail is the mac TLV')
    t.ok(part.head.length < 2048, `the head is small (${part.head.length} bytes)`)
    const envelope = whole(part.head, sealed.shared, part.tail)
    t.equal(part.envelopeSha256, sha256Hex(envelope))
    t.equal(part.envelopeSha256, partSha256(part.head, sealed.shared, part.tail))
    const routing = { messageId: r.messageId, from: 'moi', to: r.to }
    const header = cmsV1.peek(envelope, routing)
    t.ok(cmsV1.matchesRecipient(header, fed.agencies[r.to]!.encryption.cert), 'the rid names this recipient')
    const opened = await cmsV1.open(envelope, fed.agencies[r.to]!.encryption.key)
    t.strictSame(opened.payload, { v: 2, lid: input.letterId, from: 'moi', sentAt: input.sentAt, letter: input.letter })
    t.ok(opened.attachments[0]!.equals(pdf))
    t.ok(opened.attachments[1]!.equals(small))
    t.ok(opened.signature.equals(part.signature))
    t.doesNotThrow(() => bindRouting(opened.payload, routing), 'routing binds: signed from, addressed recipient')
    const byKey = await cmsV1.openWithContentKey(envelope, part.contentKey)
    t.equal(byKey.signedBytes, opened.signedBytes, 'the content key opens it too (evidence)')
  }
  t.ok(sealed.parts.every((p) => p.signature.equals(sealed.parts[0]!.signature)), 'one signature for every part')
  t.ok(sealed.parts.every((p) => p.contentKey.equals(sealed.parts[0]!.contentKey)), 'one content key')
  const [a, b] = sealed.parts
  await t.rejects(cmsV1.open(whole(a!.head, sealed.shared, a!.tail), fed.agencies.dga!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, "mof's part does not open with dga's key")
  const tampered = Buffer.from(sealed.shared)
  tampered[1000]! ^= 1
  await t.rejects(cmsV1.open(whole(b!.head, tampered, b!.tail), fed.agencies.dga!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, 'a flipped shared byte fails the tag')
})

t.test('v2 routing binding (§17.3)', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [small])
  const sealed = await cmsV1.sealMany(input)
  const part = sealed.parts[0]!
  const opened = await cmsV1.open(whole(part.head, sealed.shared, part.tail), fed.agencies.mof!.encryption.key)
  const mid = part.messageId
  t.throws(() => bindRouting(opened.payload, { messageId: mid, from: 'dga', to: 'mof' }), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'from' }, 'another sender')
  t.throws(() => bindRouting(opened.payload, { messageId: mid, from: 'moi', to: 'moi' }), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'to' }, 'a recipient the letter does not address')
  t.doesNotThrow(() => bindRouting(opened.payload, { messageId: sealed.parts[1]!.messageId, from: 'moi', to: 'mof' }), 'the message id is routing only in v2 (the receipt binds it)')
})

t.test('one recipient keeps payload v1 (§17.2)', async (t) => {
  const input = sealManyInput(fed, 'mof', ['moi'], [small])
  const sealed = await cmsV1.sealMany(input)
  t.equal(sealed.shared.length, 0)
  const p = sealed.parts[0]!
  const opened = await cmsV1.open(whole(p.head, sealed.shared, p.tail), fed.agencies.moi!.encryption.key)
  t.match(opened.payload, { v: 1, mid: p.messageId, from: 'mof', to: 'moi' })
})

t.test('sealMany refuses what receivers would refuse', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [small])
  t.throws(() => encodePayloadV2({ ...input, recipients: [...input.recipients, { ...input.recipients[0]!, to: 'moi' }] }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'a part for an agency the letter does not address')
  t.throws(() => encodePayloadV2({ ...input, recipients: [input.recipients[0]!, { ...input.recipients[1]!, to: 'mof' }] }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'two parts for one agency')
  t.throws(() => encodePayloadV2({ ...input, letterId: 'NOT-A-UUID' }), { code: 'ERR_ENVELOPE_MALFORMED' })
  await t.rejects(cmsV1.sealMany({ ...input, attachments: [] }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'attachments must match the manifest')
})

t.test('decodePayload: v2 members are exact', async (t) => {
  const ok = { v: 2, lid: '0b8a3c1e-4f7d-4e2a-9c55-2d6f8e1a7b90', from: 'moi', sentAt: '2026-11-25T03:04:05.678Z', letter: {} }
  const dec = (o: unknown) => () => decodePayload(Buffer.from(JSON.stringify(o)))
  t.strictSame(dec(ok)(), ok)
  t.throws(dec({ ...ok, v: 3 }), { code: 'ERR_PROFILE_UNSUPPORTED' })
  t.throws(dec({ ...ok, mid: ok.lid }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'a v2 payload with mid')
  t.throws(dec({ ...ok, to: 'mof' }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'a v2 payload with to')
  t.throws(dec({ v: 2, from: 'moi', sentAt: ok.sentAt, letter: {} }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'no lid')
  t.throws(dec({ ...ok, lid: ok.lid.toUpperCase() }), { code: 'ERR_ENVELOPE_MALFORMED', field: '/lid' })
  t.throws(dec({ ...ok, letter: [] }), { code: 'ERR_ENVELOPE_MALFORMED', field: '/letter' })
  t.throws(dec({ v: 1, lid: ok.lid, from: 'moi', sentAt: ok.sentAt, letter: {} }), { code: 'ERR_ENVELOPE_MALFORMED' }, 'v1 with v2 members')
})
