// cms-v1 round trips (PROTOCOL.md §12) for RSA and EC recipients and signers (PKCS#1 v1.5, PSS,
// ECDSA), with Thai text and attachments; receipts; and what peek() and matchesRecipient() say.
import t from 'tap'
import { cmsV1, sealCmsV1, openCmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { signCmsReceipt } from '../../src/crypto/cms/v1-receipt.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput, sha256Hex, signerOf } from '../vectors/fixtures.js'

const fed = await testFederation()
const big = bytesOf(1_000_000, 7)
const small = Buffer.from('สวัสดีครับ ไฟล์แนบขนาดเล็ก\n', 'utf8')
const empty = Buffer.alloc(0)
const routingOf = (i: { messageId: string; from: string; to: string }) => ({ messageId: i.messageId, from: i.from, to: i.to })

const PAIRS = [['moi', 'mof'], ['moi', 'dga'], ['mof', 'moi'], ['mof', 'dga'], ['moi', 'moi']] as const

for (const [from, to] of PAIRS) {
  t.test(`${from} → ${to}`, async (t) => {
    const input = sealInput(fed, from, to, [big, small, empty])
    const sealed = await cmsV1.seal(input)
    t.equal(sealed.mediaType, 'application/cms')
    t.equal(sealed.envelopeSha256, sha256Hex(sealed.envelope))
    t.equal(sealed.contentKey.length, 32)
    const header = cmsV1.peek(sealed.envelope, routingOf(input))
    t.match(header, { profile: 'cms-v1', messageId: input.messageId, from, to })
    t.ok(cmsV1.matchesRecipient(header, fed.agencies[to]!.encryption.cert), 'the rid names the recipient certificate')
    const other = to === 'mof' ? 'dga' : 'mof'
    t.notOk(cmsV1.matchesRecipient(header, fed.agencies[other]!.encryption.cert), 'and no other')
    const opened = await cmsV1.open(sealed.envelope, fed.agencies[to]!.encryption.key)
    t.strictSame(opened.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
    // Issue 16 item 2: with the attachments hashed as decrypted (1 MB across many slices, then a small
    // one and an empty one) and not kept: the same letter, signature and signed bytes.
    const hashed = await cmsV1.openHashed!(sealed.envelope, fed.agencies[to]!.encryption.key, routingOf(input))
    t.strictSame(hashed.payload, opened.payload)
    t.equal(hashed.signedBytes, opened.signedBytes)
    t.ok(hashed.signature.equals(opened.signature))
    t.same(hashed.attachments, [])
    const flipped = Buffer.from(big)
    flipped[999_999]! ^= 1
    const forged = await cmsV1.seal({ ...input, attachments: [flipped, small, empty] }) // manifest of `big`
    await t.rejects(cmsV1.openHashed!(forged.envelope, fed.agencies[to]!.encryption.key), { code: 'ERR_ATTACHMENT_DIGEST_MISMATCH', field: '/letter/attachments/0/sha256' })
    t.equal(opened.attachments.length, 3)
    t.ok(opened.attachments[0]!.equals(big))
    t.ok(opened.attachments[1]!.equals(small))
    t.equal(opened.attachments[2]!.length, 0)
    t.same(opened.signerChain.map((c) => c.fingerprint256), input.signer.chain.map((c) => c.fingerprint256))
    t.ok(opened.signature.equals(sealed.signature), 'Opened.signature is the SignerInfo signature the sender made')
    const byKey = await cmsV1.openWithContentKey(sealed.envelope, sealed.contentKey)
    t.strictSame(byKey.payload, opened.payload, 'the sender’s content key opens it too (evidence)')
    t.equal(byKey.signedBytes, opened.signedBytes)
  })
}

t.test('RSASSA-PSS signatures are accepted on open', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [small])
  const sealed = sealCmsV1(input, { sigAlg: 'rsa-pss' })
  const opened = openCmsV1(sealed.envelope, fed.agencies.mof!.encryption.key)
  t.match(opened.payload, { v: 1, mid: input.messageId })
})

t.test('peek needs the routing headers and checks their form', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [])
  const { envelope } = await cmsV1.seal(input)
  t.throws(() => cmsV1.peek(envelope), { code: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-Message-Id' })
  t.throws(() => cmsV1.peek(envelope, { ...routingOf(input), messageId: 'NOT-A-UUID' }), { code: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-Message-Id' })
  t.throws(() => cmsV1.peek(envelope, { ...routingOf(input), to: 'Bad Agency' }), { code: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-To' })
  t.throws(() => cmsV1.peek(Buffer.from('{"not":"cms"}'), routingOf(input)), { code: 'ERR_ENVELOPE_MALFORMED' })
})

t.test('receipts: sign and verify, RSA and EC signers', async (t) => {
  for (const to of ['moi', 'mof']) {
    const claims = { v: 1 as const, mid: 'b1a7c6d2-0000-4000-8000-000000000001', from: 'dga', to, receivedAt: '2026-11-25T08:00:00.123Z', envelopeSha256: 'ab'.repeat(32), profile: 'cms-v1' }
    const receipt = await cmsV1.signReceipt(claims, signerOf(fed, to))
    t.equal(receipt[0], 0x30, 'DER')
    const v = await cmsV1.verifyReceipt(receipt)
    t.strictSame(v.claims, claims)
    t.equal(v.signerChain[0]!.fingerprint256, fed.agencies[to]!.signing.cert.fingerprint256)
    const flipped = Buffer.from(receipt)
    flipped[flipped.length - 5]! ^= 1
    await t.rejects(cmsV1.verifyReceipt(flipped), { code: 'ERR_RECEIPT_INVALID' })
    const pss = to === 'moi' ? signCmsReceipt(claims, signerOf(fed, to), { sigAlg: 'rsa-pss' }) : receipt
    t.strictSame((await cmsV1.verifyReceipt(pss)).claims, claims)
  }
})
