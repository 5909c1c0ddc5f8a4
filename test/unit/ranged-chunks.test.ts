// Reading an envelope by range from its chunk rows (issue 16 item 2; storage/blob-chunks.ts ranged(),
// src/byte-source.ts ByteSource) on a real SQLite file: any byte range reads back exact across chunk
// boundaries; each profile's ranged reader locates the ciphertext in a chunked envelope without
// reading it whole and gives every attachment and every range byte for byte, including attachments
// that start or end at an odd offset inside a chunk and run across a chunk boundary; a chunk that is
// gone or changed in length is an error, never other bytes.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { BlobChunks, CHUNK_BYTES } from '../../src/storage/blob-chunks.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { rangedReader } from '../../src/crypto/ranged-openers.js'
import { bufferSource as bufferSourceOf, joinedSource, type ByteSource } from '../../src/byte-source.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const cat = (g: Iterable<Buffer>) => Buffer.concat([...g])
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

function open(t: { teardown(fn: () => void): void }): { db: Db; chunks: BlobChunks } {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-ranged-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, chunks: new BlobChunks(db) }
}

/** Counts the reads a source gets and the largest one, so a test can tell it was not read whole. */
function counted(source: ByteSource): ByteSource & { largest: number; total: number } {
  const c = {
    length: source.length, largest: 0, total: 0,
    read(offset: number, length: number) {
      c.largest = Math.max(c.largest, length)
      c.total += Math.min(length, source.length - offset)
      return source.read(offset, length)
    },
  }
  return c
}

t.test('ranged(): every range reads back exact across chunk boundaries', async (t) => {
  const { db, chunks } = open(t)
  const bytes = randomBytes(3 * CHUNK_BYTES + 777)
  db.sqlite.transaction(() => chunks.store('ie:ranged-reads', bytes))()
  const r: ByteSource = chunks.ranged('ie:ranged-reads', Buffer.alloc(0))
  t.equal(r.length, bytes.length)
  const cuts = [0, 1, CHUNK_BYTES - 3, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES - 1, 2 * CHUNK_BYTES + 5, bytes.length - 1, bytes.length]
  for (const a of cuts) {
    for (const b of cuts) {
      if (a <= b && !r.read(a, b - a).equals(bytes.subarray(a, b))) t.fail(`[${a}, ${b})`)
    }
  }
  t.ok(r.read(0, bytes.length).equals(bytes), 'the whole, across four chunks')
  t.ok(r.read(bytes.length - 10, 100).equals(bytes.subarray(bytes.length - 10)), 'a read past the end stops at the end')
  t.ok(chunks.ranged('ie:small', bytes.subarray(0, 100)).read(10, 20).equals(bytes.subarray(10, 30)), 'bytes kept in their own row read the same')

  // Chunks of other sizes than store() writes (a writer that stores them as they arrive) read the same.
  const sizes = [1000, CHUNK_BYTES, 7, 300_000]
  const odd = randomBytes(sizes.reduce((a, b) => a + b, 0))
  db.sqlite.transaction(() => {
    let at = 0
    sizes.forEach((n, seq) => {
      db.sqlite.prepare('INSERT INTO blob_chunks (owner, seq, bytes) VALUES (?, ?, ?)').run('ie:odd-sizes', seq, odd.subarray(at, at + n))
      at += n
    })
  })()
  const o = chunks.ranged('ie:odd-sizes', Buffer.alloc(0))
  t.equal(o.length, odd.length)
  for (const [a, b] of [[0, odd.length], [999, 1001], [1000 + CHUNK_BYTES - 1, 1000 + CHUNK_BYTES + 8], [5, 1000 + CHUNK_BYTES + 3], [odd.length - 1, odd.length]] as const) {
    t.ok(o.read(a, b - a).equals(odd.subarray(a, b)), `chunks of other sizes: [${a}, ${b})`)
  }

  const changed = chunks.ranged('ie:ranged-reads', Buffer.alloc(0)) // then its chunks change while it is read
  db.sqlite.prepare('UPDATE blob_chunks SET bytes = ? WHERE owner = ? AND seq = 2').run(randomBytes(1000), 'ie:ranged-reads')
  t.ok(changed.read(5, 10).equals(bytes.subarray(5, 15)), 'an untouched chunk still reads')
  t.throws(() => changed.read(2 * CHUNK_BYTES + 5, 10), /changed while read/, 'a chunk of another length is an error, not other bytes')
  db.sqlite.prepare('DELETE FROM blob_chunks WHERE owner = ? AND seq = 1').run('ie:ranged-reads')
  t.throws(() => changed.read(CHUNK_BYTES + 5, 10), /changed while read/, 'a chunk that is gone is an error')
})

// Sizes chosen so attachments start and end at odd offsets and run across the 1 MiB chunk boundaries
// (of the base64url text for jose, of the octets for cms).
const FILES = () => [bytesOf(CHUNK_BYTES + 3, 11), bytesOf(700_001, 12), Buffer.from('ไฟล์แนบ\n'), bytesOf(CHUNK_BYTES + 5, 13)]

for (const profile of [joseV1, joseV2, cmsV1]) {
  t.test(`${profile.id}: a chunked envelope is read by range, every attachment byte for byte`, async (t) => {
    const { db, chunks } = open(t)
    const files = FILES()
    const input = sealInput(fed, 'moi', 'mof', files)
    const sealed = await profile.seal(input)
    t.ok(sealed.envelope.length > 2 * CHUNK_BYTES, `the envelope (${sealed.envelope.length} bytes) takes several chunks`)
    const owner = `ie:${profile.id}` as const
    db.sqlite.transaction(() => chunks.store(owner, sealed.envelope))()
    const source = counted(chunks.ranged(owner, Buffer.alloc(0)))
    const reader = rangedReader(profile.id)!
    const key = fed.agencies.mof!.encryption.key

    const located = reader.locate(source)
    t.ok(located.ciphertext !== undefined, 'the ciphertext is located, not read')
    t.ok(located.skeleton.length < 64 * 1024, `the parts around it are small (${located.skeleton.length} bytes)`)
    t.ok(source.total < 256 * 1024, `locating read ${source.total} of ${source.length} bytes`)
    const routing = { messageId: input.messageId, from: input.from, to: input.to }
    t.strictSame(profile.peek(located.skeleton, routing), profile.peek(sealed.envelope, routing), 'the skeleton peeks as the envelope does')

    const r = reader.open(located, key)
    const full = await profile.open(sealed.envelope, key)
    t.strictSame(r.payload, full.payload, 'the signed payload')
    t.equal(r.attachments.length, files.length)
    const crossing: boolean[] = []
    r.attachments.forEach((a, i) => {
      const got = cat(r.slices(a.offset, a.offset + a.size))
      t.ok(got.equals(files[i]!), `attachment ${i} (${a.size} bytes at offset ${a.offset})`)
      t.equal(sha256(got), a.sha256, `attachment ${i}: its SHA-256 is the manifest's`)
      crossing.push(a.offset % 2 === 1 || (a.offset + a.size) % 2 === 1)
    })
    t.ok(crossing.some(Boolean), 'some attachment starts or ends at an odd offset')
    const a0 = r.attachments[0]!
    const from = a0.offset + CHUNK_BYTES - 12_345, to = a0.offset + a0.size - 1
    t.ok(cat(r.slices(from, to)).equals(files[0]!.subarray(CHUNK_BYTES - 12_345, a0.size - 1)), 'a range of an attachment across a chunk boundary')
    t.ok(source.largest <= CHUNK_BYTES, `no read larger than a chunk (largest ${source.largest})`)
    t.throws(() => reader.open(located, fed.agencies.dga!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, 'another agency key')
  })
}

t.test('jose-v2 with its members in another order (§17.7: readers accept any order) is located too, or read whole', async (t) => {
  const files = [bytesOf(300_001, 31)]
  const input = sealInput(fed, 'moi', 'mof', files)
  const sealed = await joseV2.seal(input)
  const m = JSON.parse(sealed.envelope.toString('utf8')) as Record<string, unknown>
  const { ciphertext, ...rest } = m
  const orders = {
    'ciphertext last': { ...rest, ciphertext },
    'ciphertext in the middle, with spaces': null,
  }
  const middle = Buffer.from(`{ "protected" : ${JSON.stringify(m['protected'])},\n "ciphertext" :  ${JSON.stringify(ciphertext)} , "header":${JSON.stringify(m['header'])},"encrypted_key":${JSON.stringify(m['encrypted_key'])},"iv":${JSON.stringify(m['iv'])},"tag":${JSON.stringify(m['tag'])} }`)
  const key = fed.agencies.mof!.encryption.key
  for (const [what, envelope] of [[Object.keys(orders)[0]!, Buffer.from(JSON.stringify(orders['ciphertext last']))], [Object.keys(orders)[1]!, middle]] as const) {
    const reader = rangedReader('jose-v2')!
    const located = reader.locate(bufferSourceOf(envelope))
    t.ok(located.ciphertext !== undefined && located.skeleton.length < 64 * 1024, `${what}: the ciphertext is located`)
    const r = reader.open(located, key)
    const a = r.attachments[0]!
    t.ok(cat(r.slices(a.offset, a.offset + a.size)).equals(files[0]!), `${what}: the attachment byte for byte`)
  }
  // A "ciphertext" name met first inside the per-recipient header: the cut there does not parse to
  // an empty ciphertext where it was made, so the envelope is read whole, and refused as before.
  const { header, ...others } = rest
  const odd = Buffer.from(JSON.stringify({ header: { ...(header as object), ciphertext: 'x' }, ...others, ciphertext }))
  const reader = rangedReader('jose-v2')!
  const located = reader.locate(bufferSourceOf(odd))
  t.equal(located.ciphertext, undefined, 'not located: read whole')
  const before = (() => { try { joseV2.peek(odd) } catch (e) { return (e as { code?: string }).code } })()
  t.ok(before !== undefined, `the parser refuses it (${before})`)
  t.throws(() => reader.open(located, key), { code: before }, 'and so does the ranged reader, with the same code')
})

t.test('joinedSource(): parts end to end (a cms-v1 encryptedContent in chunks) read exact across parts', async (t) => {
  const bytes = randomBytes(50_000)
  const cuts = [0, 0, 1, 4096, 4096, 8192, 8193, 30_000, 50_000] // empty parts too
  const parts = cuts.slice(1).map((end, i) => bufferSourceOf(bytes.subarray(cuts[i]!, end)))
  const j = joinedSource(parts)
  t.equal(j.length, bytes.length)
  for (const [a, b] of [[0, 1], [0, 50_000], [4095, 4097], [4096, 8193], [100, 30_001], [49_999, 50_000], [7, 7]] as const) {
    t.ok(j.read(a, b - a).equals(bytes.subarray(a, b)), `[${a}, ${b})`)
  }
})
