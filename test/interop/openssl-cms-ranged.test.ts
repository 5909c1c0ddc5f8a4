// Downloads by range (issue 16 item 2) of cms-v1 envelopes that OpenSSL 3 built, stored in chunk
// rows: `openssl cms -encrypt` writes the encrypted content as one primitive OCTET STRING, and with
// -stream in indefinite lengths with the content in 4 KiB chunks. The ranged reader locates the
// ciphertext in both (crypto/cms/ranged-ber.ts) without reading the envelope whole, and gives the
// attachment byte for byte, as a full open() does.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { OID_CT_SARABAN_LETTER } from '../../src/crypto/cms/oids.js'
import { rangedReader } from '../../src/crypto/ranged-openers.js'
import { Db } from '../../src/storage/index.js'
import { BlobChunks, CHUNK_BYTES } from '../../src/storage/blob-chunks.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sampleLetter } from '../vectors/fixtures.js'
import { fileIn, OPENSSL_CMS, requireTool, run, scratchDir } from './tools.js'


const fed = await testFederation()
const cat = (g: Iterable<Buffer>) => Buffer.concat([...g])
const attachment = bytesOf(2 * CHUNK_BYTES + 12_347, 41)

t.test('openssl cms envelopes in chunk rows, read by range', async (t) => {
  if (!requireTool(t, OPENSSL_CMS)) return
  const dir = scratchDir(t)
  const file = fileIn(dir)
  const inter = file('intermediate.pem', fed.intermediate.certPem)
  for (const [id, a] of Object.entries(fed.agencies)) {
    file(`${id}.enc.crt.pem`, a.encryption.certPem)
    file(`${id}.sign.key.pem`, a.signing.keyPem)
    file(`${id}.sign.crt.pem`, a.signing.certPem)
  }
  const dbDir = mkdtempSync(join(tmpdir(), 'saraban-ranged-ossl-'))
  const db = Db.open(join(dbDir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dbDir, { recursive: true, force: true })
  })
  const chunks = new BlobChunks(db)

  for (const stream of [false, true]) {
    const [from, to] = ['dga', 'mof']
    const mid = randomUUID()
    const payload = { v: 1, mid, from, to, sentAt: new Date().toISOString(), letter: sampleLetter(from, to, [attachment]) }
    const tag = `${stream ? 'stream' : 'definite'}-${mid.slice(0, 8)}`
    const signed = file(`${tag}.signed.der`)
    run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-econtent_type', OID_CT_SARABAN_LETTER,
      '-in', file(`${tag}.json`, JSON.stringify(payload)), '-signer', file(`${from}.sign.crt.pem`), '-inkey', file(`${from}.sign.key.pem`),
      '-certfile', inter, '-outform', 'DER', '-out', signed])
    const plain = file(`${tag}.plain`, Buffer.concat([readFileSync(signed), attachment]))
    const env = file(`${tag}.env.der`)
    run('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', plain, '-recip', file(`${to}.enc.crt.pem`),
      '-keyopt', 'ecdh_kdf_md:sha256', ...(stream ? ['-stream'] : []), '-outform', 'DER', '-out', env])
    const envelope = readFileSync(env)
    const what = stream ? 'streamed (indefinite lengths, content in chunks)' : 'definite lengths'
    if (stream) t.equal(envelope[1], 0x80, 'openssl wrote an indefinite length')

    const owner = `ie:${mid}` as const
    db.sqlite.transaction(() => chunks.store(owner, envelope))()
    const reader = rangedReader('cms-v1')!
    const located = reader.locate(chunks.ranged(owner, Buffer.alloc(0)))
    t.ok(located.ciphertext !== undefined && located.skeleton.length < 64 * 1024, `${what}: the ciphertext is located, the envelope not read whole`)
    const routing = { messageId: mid, from, to }
    t.strictSame(cmsV1.peek(located.skeleton, routing), cmsV1.peek(envelope, routing), `${what}: the skeleton peeks as the envelope does`)
    const key = fed.agencies[to]!.encryption.key
    const r = reader.open(located, key)
    t.strictSame(r.payload, payload, `${what}: the signed payload`)
    const a = r.attachments[0]!
    t.ok(cat(r.slices(a.offset, a.offset + a.size)).equals(attachment), `${what}: the attachment byte for byte`)
    t.ok(cat(r.slices(a.offset + CHUNK_BYTES - 4099, a.offset + CHUNK_BYTES + 8195)).equals(attachment.subarray(CHUNK_BYTES - 4099, CHUNK_BYTES + 8195)), `${what}: a range across chunk rows and openssl's chunks`)
    const full = await cmsV1.open(envelope, key)
    t.ok(full.attachments[0]!.equals(attachment), `${what}: as a full open() gives it`)
  }
})
