// Reading envelopes by range (crypto/ranged.ts, issue 5 §7): AES-GCM content decrypted from any
// offset with AES-CTR equals what a full open() gives, for jose-v1 and jose-v2 (base64url ciphertext) and cms-v1
// (one or many OCTET STRING chunks), RSA and EC recipients; the signed letter is verified first.
import t from 'tap'
import { createCipheriv, randomBytes } from 'node:crypto'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { chunkedReader } from '../../src/crypto/cms/v1-ranged.js'
import { decryptRange, type GcmContent } from '../../src/crypto/ranged.js'
import { rangedOpener } from '../../src/crypto/ranged-openers.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const cat = (g: Iterable<Buffer>) => Buffer.concat([...g])

t.test('decryptRange equals GCM decryption for any range, over any chunking', async (t) => {
  const key = randomBytes(32)
  const iv = randomBytes(12)
  const plain = randomBytes(300_001)
  const c = createCipheriv('aes-256-gcm', key, iv)
  const ct = Buffer.concat([c.update(plain), c.final()])
  const cuts = [0, 1, 15, 16, 17, 4095, 49_152, 49_153, 100_000, 299_999, 300_000, 300_001]
  for (const chunking of [[ct], [ct.subarray(0, 7), ct.subarray(7, 70_000), ct.subarray(70_000)], Array.from({ length: 301 }, (_, i) => ct.subarray(i * 1000, (i + 1) * 1000))]) {
    const content: GcmContent = { key, iv, length: ct.length, read: chunkedReader(chunking) }
    for (const a of cuts) {
      for (const b of cuts) {
        if (a > b) continue
        if (!cat(decryptRange(content, a, b)).equals(plain.subarray(a, b))) t.fail(`[${a}, ${b}) over ${chunking.length} chunks`)
      }
    }
  }
  t.pass('every range of every chunking decrypts to the plaintext')
  t.throws(() => [...decryptRange({ key, iv, length: ct.length, read: chunkedReader([ct]) }, 0, ct.length + 1)], RangeError)
})

const PAIRS = [['moi', 'mof'], ['mof', 'moi'], ['moi', 'dga']] as const
for (const profile of [joseV1, joseV2, cmsV1]) {
  for (const [from, to] of PAIRS) {
    t.test(`${profile.id} ${from} → ${to}: ranged open = open()`, async (t) => {
      const files = [bytesOf(200_003, 1), Buffer.from('ไฟล์แนบ\n'), Buffer.alloc(0), bytesOf(65_536, 2)]
      const sealed = await profile.seal(sealInput(fed, from, to, files))
      const key = fed.agencies[to]!.encryption.key
      const full = await profile.open(sealed.envelope, key)
      const r = rangedOpener(profile.id)!(sealed.envelope, key)
      t.strictSame(r.payload, full.payload, 'the signed payload')
      t.same(r.signerChain.map((c) => c.fingerprint256), full.signerChain.map((c) => c.fingerprint256))
      t.equal(r.attachments.length, files.length)
      r.attachments.forEach((a, i) => {
        t.equal(a.size, files[i]!.length)
        t.ok(cat(r.slices(a.offset, a.offset + a.size)).equals(files[i]!), `attachment ${i}`)
      })
      const a0 = r.attachments[0]!
      t.ok(cat(r.slices(a0.offset + 1001, a0.offset + 150_000)).equals(files[0]!.subarray(1001, 150_000)), 'a range inside an attachment')
      t.throws(() => rangedOpener(profile.id)!(sealed.envelope, fed.agencies[to === 'mof' ? 'dga' : 'mof']!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, 'another agency key')
    })
  }
}

t.test('a tampered ciphertext byte: the signed letter fails, or the attachment bytes differ', async (t) => {
  const files = [bytesOf(100_000, 3)]
  const sealed = await joseV1.seal(sealInput(fed, 'moi', 'mof', files))
  const key = fed.agencies.mof!.encryption.key
  const ctEnd = sealed.envelope.lastIndexOf(0x2e)
  const late = Buffer.from(sealed.envelope)
  late[ctEnd - 500] = late[ctEnd - 500] === 0x41 ? 0x42 : 0x41 // inside the attachment
  const r = rangedOpener('jose-v1')!(late, key)
  const a = r.attachments[0]!
  t.notOk(cat(r.slices(a.offset, a.offset + a.size)).equals(files[0]!), 'CTR has no tag: the caller must check the SHA-256 (inbox-read does)')
  const early = Buffer.from(sealed.envelope)
  const ctStart = early.lastIndexOf(0x2e, ctEnd - 1) + 1
  early[ctStart + 40] = early[ctStart + 40] === 0x41 ? 0x42 : 0x41 // inside the signed letter
  t.throws(() => rangedOpener('jose-v1')!(early, key), 'a changed signed letter is refused before any byte is read')
})
