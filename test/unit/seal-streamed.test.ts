// Issue 16 item 2: sealing into a sink (chunk rows) with attachments read from files gives the bytes
// sealing into memory gives. Every profile seals through one implementation with two sinks
// (crypto/seal-sink.ts); these tests run that implementation both ways with a fixed CEK and IV (the
// `random` seam) and compare the bytes: all of them, but for the key wrapping that node:crypto
// randomises itself (RSA-OAEP padding, an ephemeral EC key), whose length they compare. The streamed
// envelopes then open with the profiles' own openers and, for cms-v1, with `openssl cms -decrypt`.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'
import { encryptCompactTo } from '../../src/crypto/jose/jwe.js'
import { encryptSharedTo } from '../../src/crypto/jose/v2-profile.js'
import { sealAuthEnvelopedTo } from '../../src/crypto/cms/auth-enveloped.js'
import { BufferOut, type PlainPart, type RegionSink } from '../../src/crypto/seal-sink.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { openFileSource } from '../../src/services/uploads/file-source.js'
import { fileIn, OPENSSL_CMS, requireTool, run, scratchDir } from '../interop/tools.js'

const fed = await testFederation()
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
// Sizes that do not fall on a 3-byte (base64), 16-byte (AES block), 48 KiB (slice) or 1 MiB (file block) boundary.
const big = bytesOf(2 * 1024 * 1024 + 12_347, 7)
const small = bytesOf(70_001, 8)
const fixed = () => {
  const seed = createHash('sha256').update('fixed').digest()
  return (n: number) => Buffer.from(seed.subarray(0, n))
}

/** The parts in memory, and the same parts read from files (1 MiB blocks) as the send service reads uploads. */
function asFiles(t: Test, parts: Buffer[]): PlainPart[] {
  const dir = scratchDir(t)
  return parts.map((p, i) => {
    const path = join(dir, `part-${i}`)
    writeFileSync(path, p)
    const src = openFileSource({ path, size: p.length, sha256: sha(p) })
    t.teardown(() => src.close())
    return src
  })
}

/** A sink that keeps the regions as they came, in pieces (as chunk rows would), to compare afterwards. */
function pieces(): { open: (size: number) => RegionSink; bytes(): Buffer; announced: number } {
  const kept: Buffer[] = []
  const s = {
    announced: -1,
    open: (size: number) => ((s.announced = size), (region: Buffer) => void kept.push(Buffer.from(region))),
    bytes: () => Buffer.concat(kept),
  }
  return s
}

function inMemory(): { open: (size: number) => RegionSink; bytes(): Buffer } {
  let out: BufferOut | undefined
  return { open: (size) => (out = new BufferOut(size)).put, bytes: () => out!.done() }
}

t.test('jose-v1 compact JWE: the same bytes into memory from Buffers and into pieces from files', async (t) => {
  const jws = Buffer.from('eyJhbGciOiJSUzI1NiJ9.e30.c2ln')
  const plain = [jws, Buffer.from('\n'), big, small]
  for (const to of ['moi', 'mof']) {
    const a = inMemory()
    const b = pieces()
    const key = fed.agencies[to]!.encryption.cert.publicKey
    encryptCompactTo({ typ: 't' }, plain, key, a.open, fixed())
    encryptCompactTo({ typ: 't' }, [jws, Buffer.from('\n'), ...asFiles(t, [big, small])], key, b.open, fixed())
    const [x, y] = [a.bytes(), b.bytes()]
    t.equal(y.length, b.announced, 'the size announced is the size written')
    t.equal(x.length, y.length)
    const [px, py] = [x.toString('latin1').split('.'), y.toString('latin1').split('.')]
    t.equal(px[1]!.length, py[1]!.length, `${to}: encrypted keys of one length`)
    if (to === 'moi') t.same([px[0], px[2], px[3], px[4]], [py[0], py[2], py[3], py[4]], 'RSA-OAEP: header, IV, ciphertext and tag identical')
    else t.equal(px[0]!.length, py[0]!.length, 'ECDH-ES: the header (its epk) differs only in its key')
  }
})

t.test('jose-v2 ciphertext text and tag: identical', async (t) => {
  const plain = [Buffer.from('jws\n'), big, small]
  const a = new BufferOut(Math.ceil(((4 + big.length + small.length) * 4) / 3))
  const b = pieces()
  const keys = { cek: fixed()(32), iv: fixed()(12) }
  const sa = encryptSharedTo(plain, a.put, keys)
  const sb = encryptSharedTo([Buffer.from('jws\n'), ...asFiles(t, [big, small])], b.open(0), keys)
  t.ok(a.done().equals(b.bytes()), 'the ciphertext text')
  t.same(sa, sb, 'protected header, IV and tag')
})

t.test('cms-v1 AuthEnvelopedData: identical after the RecipientInfo', async (t) => {
  for (const to of ['moi', 'mof']) {
    const cert = fed.agencies[to]!.encryption.cert
    const a = inMemory()
    const b = pieces()
    const sa = sealAuthEnvelopedTo([Buffer.from('signed'), big, small], [cert], a.open, fixed())
    const sb = sealAuthEnvelopedTo([Buffer.from('signed'), ...asFiles(t, [big, small])], [cert], b.open, fixed())
    const [x, y] = [a.bytes(), b.bytes()]
    t.equal(sa.size, sb.size)
    t.equal(x.length, y.length)
    const tail = big.length + small.length + 6 + 18
    t.ok(x.subarray(x.length - tail).equals(y.subarray(y.length - tail)), `${to}: ciphertext and mac identical`)
    t.ok(sa.contentKey.equals(sb.contentKey))
  }
})

t.test('every profile: a streamed envelope from files opens, and its SHA-256 is that of its bytes', async (t) => {
  for (const profile of [joseV1, joseV2, cmsV1]) {
    for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
      const input = sealManyInput(fed, from, [to], [big, small])
      const sink = pieces()
      const s = profile.sealOneTo({ ...input, attachments: asFiles(t, [big, small]) }, sink.open)
      const env = sink.bytes()
      t.equal(env.length, s.size)
      t.equal(sha(env), s.envelopeSha256)
      const routing = { messageId: input.recipients[0]!.messageId, from, to }
      const opened = await profile.open(env, fed.agencies[to]!.encryption.key, routing)
      t.ok(opened.attachments[0]!.equals(big) && opened.attachments[1]!.equals(small), `${profile.id} ${from} → ${to}: the attachments`)
      t.ok(opened.signature.equals(s.signature))
      t.ok((await profile.openWithContentKey(env, s.contentKey)).attachments[0]!.equals(big), 'and with the content key kept for evidence')
    }
  }
})

t.test('openssl cms -decrypt opens a cms-v1 envelope sealed from files into pieces', async (t) => {
  if (!requireTool(t, OPENSSL_CMS)) return
  const file = fileIn(scratchDir(t))
  const input = sealManyInput(fed, 'moi', ['mof'], [big, small])
  const sink = pieces()
  cmsV1.sealOneTo({ ...input, attachments: asFiles(t, [big, small]) }, sink.open)
  const env = file('streamed.der', sink.bytes())
  const out = file('streamed.plain')
  run('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', env, '-inkey', file('mof.key.pem', fed.agencies.mof!.encryption.keyPem), '-recip', file('mof.crt.pem', fed.agencies.mof!.encryption.certPem), '-out', out])
  const plain = readFileSync(out)
  t.ok(plain.subarray(plain.length - big.length - small.length).equals(Buffer.concat([big, small])), 'the plaintext ends with the attachment bytes')
})

