// cms-v1 must refuse any damaged input with a coded SarabanError (never a TypeError, never a crash):
// every single-byte change and every truncation of the structural part of an envelope, of the signed
// letter inside it, and of a receipt (PROTOCOL.md §12.7, §12.6). Also: a 100 MB-class attachment
// never goes through asn1js or base64 (size only; the speed is in test/bench).
import t from 'tap'
import { isSarabanError, SarabanError } from '../../src/errors.js'
import { parseAuthEnveloped } from '../../src/crypto/cms/auth-enveloped.js'
import { cmsV1, openCmsV1WithContentKey, sealCmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { testFederation } from '../helpers/federation.js'
import { sealInput, signerOf } from '../vectors/fixtures.js'
import { assembleEnvelope } from '../vectors/cms-craft.js'

const fed = await testFederation()
const CODES = new Set(['ERR_ENVELOPE_MALFORMED', 'ERR_PROFILE_UNSUPPORTED', 'ERR_DECRYPT_FAILED', 'ERR_SIGNATURE_INVALID', 'ERR_ATTACHMENT_DIGEST_MISMATCH', 'ERR_RECEIPT_INVALID'])

async function outcome(fn: () => unknown): Promise<string> {
  try {
    await fn()
    return 'ok'
  } catch (e) {
    if (!isSarabanError(e)) return `uncoded: ${(e as Error).stack}`
    return CODES.has(e.code) ? e.code : `unexpected code ${e.code}`
  }
}

for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
  t.test(`every byte of the envelope head and every truncation: ${from} → ${to}`, async (t) => {
    const input = sealInput(fed, from, to, [Buffer.from('ไฟล์แนบ')])
    const sealed = sealCmsV1(input)
    const routing = { messageId: input.messageId, from, to }
    const key = fed.agencies[to]!.encryption.key
    // As the receive steps do (§4.2 checks 3 and 8): the rid selects the key, it is not authenticated.
    const pipeline = async (env: Buffer) => {
      const h = cmsV1.peek(env, routing)
      if (!cmsV1.matchesRecipient(h, fed.agencies[to]!.encryption.cert)) throw new SarabanError('ERR_DECRYPT_FAILED')
      await cmsV1.open(env, key)
    }
    // The structure up to a few bytes into the encrypted content (ciphertext flips are the GCM tag's job).
    const ct = parseAuthEnveloped(sealed.envelope).ciphertext[0]!
    const head = ct.byteOffset - sealed.envelope.byteOffset + 8
    const bad: string[] = []
    for (let i = 0; i < head; i++) {
      for (const mask of [0x01, 0xff]) {
        const env = Buffer.from(sealed.envelope)
        env[i]! ^= mask
        const r = await outcome(() => pipeline(env))
        if (r === 'ok' || !CODES.has(r)) bad.push(`byte ${i} ^ ${mask}: ${r}`)
      }
    }
    for (let n = 0; n < sealed.envelope.length; n += n < head ? 1 : 997) {
      const r = await outcome(() => pipeline(sealed.envelope.subarray(0, n)))
      if (r === 'ok' || !CODES.has(r)) bad.push(`truncated to ${n}: ${r}`)
    }
    t.same(bad, [], 'every change is refused with a code')
  })
}

t.test('every byte of the signed letter inside a correctly encrypted envelope', async (t) => {
  const input = sealInput(fed, 'mof', 'moi', [])
  const sealed = sealCmsV1(input)
  const signed = Buffer.from(openCmsV1WithContentKey(sealed.envelope, sealed.contentKey).signedBytes, 'base64')
  const bad: string[] = []
  for (let i = 0; i < signed.length; i += i < 120 || i > signed.length - 200 ? 1 : 7) {
    const s = Buffer.from(signed)
    s[i]! ^= 0x01
    const env = assembleEnvelope({ plaintext: [s], recipient: input.recipientCert })
    const r = await outcome(() => cmsV1.open(env, fed.agencies.moi!.encryption.key))
    // A flip inside an ignored part (e.g. a certificate we do not verify here, an unsigned string) may still open.
    if (!CODES.has(r) && r !== 'ok') bad.push(`byte ${i}: ${r}`)
    // Issue 16 item 2: opened with the attachments hashed and not kept, the same outcome.
    const h = await outcome(() => cmsV1.openHashed!(env, fed.agencies.moi!.encryption.key))
    if (h !== r) bad.push(`byte ${i}: open ${r}, openHashed ${h}`)
  }
  for (let n = 0; n < signed.length; n += 13) {
    const env = assembleEnvelope({ plaintext: [signed.subarray(0, n)], recipient: input.recipientCert })
    const r = await outcome(() => cmsV1.open(env, fed.agencies.moi!.encryption.key))
    if (!CODES.has(r)) bad.push(`truncated to ${n}: ${r}`)
    const h = await outcome(() => cmsV1.openHashed!(env, fed.agencies.moi!.encryption.key))
    if (h !== r) bad.push(`truncated to ${n}: open ${r}, openHashed ${h}`)
  }
  t.same(bad, [])
})

t.test('every byte of a receipt', async (t) => {
  const claims = { v: 1 as const, mid: 'b1a7c6d2-0000-4000-8000-000000000001', from: 'dga', to: 'mof', receivedAt: '2026-11-25T08:00:00.123Z', envelopeSha256: 'ab'.repeat(32), profile: 'cms-v1' }
  const receipt = await cmsV1.signReceipt(claims, signerOf(fed, 'mof'))
  const bad: string[] = []
  for (let i = 0; i < receipt.length; i++) {
    const r0 = Buffer.from(receipt)
    r0[i]! ^= 0x01
    const r = await outcome(() => cmsV1.verifyReceipt(r0))
    if (r !== 'ok' && r !== 'ERR_RECEIPT_INVALID') bad.push(`byte ${i}: ${r}`)
  }
  for (let n = 0; n < receipt.length; n++) {
    const r = await outcome(() => cmsV1.verifyReceipt(receipt.subarray(0, n)))
    if (r !== 'ERR_RECEIPT_INVALID') bad.push(`truncated to ${n}: ${r}`)
  }
  t.same(bad, [])
})

t.test('a 64 MiB attachment seals and opens (hand-framed encrypted content, no asn1js limits)', async (t) => {
  const big = Buffer.alloc(64 * 1024 * 1024, 0x5a)
  const input = sealInput(fed, 'moi', 'mof', [big])
  const sealed = sealCmsV1(input)
  t.ok(sealed.envelope.length > big.length && sealed.envelope.length < big.length + 16_384)
  const opened = await cmsV1.open(sealed.envelope, fed.agencies.mof!.encryption.key)
  t.equal(opened.attachments[0]!.length, big.length)
  t.ok(opened.attachments[0]!.equals(big))
})
