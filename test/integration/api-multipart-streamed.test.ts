// Issue 16 item 2 (sending half): a multipart letter whose files pass a chunk is spooled to private
// files while hashed and sealed from them straight into chunk rows, in the letter's own transaction,
// for every envelope profile: the receiver opens it (tag, signature, manifest digests) and the files
// come back byte for byte. A refused upload, a client that cuts the connection, a letter refused after
// the upload and a seal that fails part-way leave nothing behind: no spooled file, no row, no chunk.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { testNet, call, thaiLetter, waitFor, waitForRecipient, type TestNet, type TestNode } from '../helpers/nodes.js'
import { CHUNK_BYTES } from '../../src/storage/blob-chunks.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { ProfileTable, type EnvelopeProfile } from '../../src/crypto/profiles.js'
import type { SealsOneTo } from '../../src/crypto/types.js'
import { sendLetter, type SendRequest } from '../../src/services/send.js'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'
import { createLogger } from '../../src/log.js'

const LIMITS = { maxAttachmentBytes: 4 * 1024 * 1024, maxAttachmentsTotalBytes: 6 * 1024 * 1024, maxAttachments: 3 }
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

function form(letter: unknown, files: Array<{ filename: string; type: string; bytes: Buffer }>): FormData {
  const f = new FormData()
  f.append('letter', new Blob([JSON.stringify(letter)], { type: 'application/json' }))
  for (const x of files) f.append('attachment', new File([x.bytes], x.filename, { type: x.type }))
  return f
}

async function post(node: TestNode, body: FormData) {
  const res = await fetch(node.apiUrl + '/api/v1/letters', { method: 'POST', headers: { authorization: `Bearer ${node.apiKey}` }, body })
  return { status: res.status, body: (await res.json()) as any }
}

/** Every file under the node's uploads folder (services/uploads/spool.ts). */
function spooled(node: TestNode): string[] {
  const root = join(node.ctx!.config.dataDir, 'uploads')
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]))
  return walk(root)
}

const TABLES = ['letters', 'outbox_messages', 'outbox_envelopes', 'outbox_contents', 'blob_chunks', 'register_entries', 'timestamps', 'events']
const snapshot = (db: Database.Database) => Object.fromEntries(TABLES.map((n) => [n, db.prepare(`SELECT count(*) FROM ${n}`).pluck().get() as number]))

for (const profile of ['jose-v1', 'jose-v2', 'cms-v1']) {
  t.test(`${profile}: sealed from the spooled files into chunk rows, delivered, the files back byte for byte`, async (t) => {
    let net: TestNet | undefined
    t.teardown(async () => net?.stop())
    net = await testNet(['moi', 'mof'], { profiles: [profile], extra: { limits: LIMITS } })
    const [moi, mof] = [net.nodes.moi!, net.nodes.mof!]
    await moi.start()
    await mof.start()
    const big = randomBytes(3 * 1024 * 1024 + 5)
    const small = randomBytes(10_001)
    const res = await post(moi, form(thaiLetter(['mof'], { subject: `ไฟล์ใหญ่ ${profile}` }), [
      { filename: 'แผนที่.tif', type: 'image/tiff', bytes: big },
      { filename: 'หนังสือ.pdf', type: 'application/pdf', bytes: small },
    ]))
    t.equal(res.status, 202, JSON.stringify(res.body))
    t.same(spooled(moi), [], 'the spooled files are gone once the letter is answered')
    const db = moi.ctx!.db.sqlite
    const { messageId, envelopeSha256 } = db.prepare('SELECT message_id AS messageId, envelope_sha256 AS envelopeSha256 FROM outbox_messages WHERE letter_id = ?').get(res.body.id) as { messageId: string; envelopeSha256: string }
    const row = db.prepare('SELECT length(e.bytes) AS head, length(e.tail) AS tail, length(c.bytes) AS content, c.sealing AS sealing FROM outbox_envelopes e JOIN outbox_contents c ON c.id = e.content_id WHERE e.message_id = ?').get(messageId) as { contentId: number }
    t.same(row, { head: 0, tail: null, content: 0, sealing: res.body.id }, 'the whole envelope is an envelope staged for the letter (migration 015), in chunk rows, adopted by its message')
    const contentId = db.prepare('SELECT content_id FROM outbox_envelopes WHERE message_id = ?').pluck().get(messageId) as number
    const chunks = db.prepare('SELECT count(*) AS n, sum(length(bytes)) AS bytes, max(length(bytes)) AS largest FROM blob_chunks WHERE owner = ?').get(`oc:${contentId}`) as { n: number; bytes: number; largest: number }
    t.equal(chunks.largest, CHUNK_BYTES, 'rows of 1 MiB')
    t.equal(chunks.n, Math.ceil(chunks.bytes / CHUNK_BYTES))
    t.equal(sha(moi.ctx!.outbox.getEnvelope(messageId)!), envelopeSha256, 'the stored bytes are those whose SHA-256 the sealing computed')

    await waitForRecipient(moi, res.body.id, 'delivered', 60_000)
    const inbox = await call(mof, 'GET', '/api/v1/inbox?limit=10')
    const msg = inbox.body.items.find((i: any) => i.subject === `ไฟล์ใหญ่ ${profile}`)
    const detail = await call(mof, 'GET', `/api/v1/inbox/${msg.id}`)
    t.equal(detail.body.profile, profile)
    t.same(detail.body.attachments.map((a: any) => [a.filename, a.size, a.sha256]), [['แผนที่.tif', big.length, sha(big)], ['หนังสือ.pdf', small.length, sha(small)]])
    for (const [i, bytes] of [big, small].entries()) {
      const dl = await fetch(`${mof.apiUrl}/api/v1/inbox/${msg.id}/attachments/${detail.body.attachments[i].id}`, { headers: { authorization: `Bearer ${mof.apiKey}` } })
      t.ok(Buffer.from(await dl.arrayBuffer()).equals(bytes), `attachment ${i} is the uploaded bytes`)
    }
  })
}

t.test('jose-v2 to two addressees: the shared content is sealed once, from memory (sealMany), and delivered to both', async (t) => {
  let net: TestNet | undefined
  t.teardown(async () => net?.stop())
  net = await testNet(['moi', 'mof', 'dga'], { profiles: ['jose-v2'], extra: { limits: LIMITS } })
  const [moi, mof, dga] = [net.nodes.moi!, net.nodes.mof!, net.nodes.dga!]
  await Promise.all([moi.start(), mof.start(), dga.start()])
  const big = randomBytes(2 * 1024 * 1024 + 1)
  const res = await post(moi, form(thaiLetter(['mof', 'dga'], { subject: 'เวียนไฟล์ใหญ่' }), [{ filename: 'แผนที่.tif', type: 'image/tiff', bytes: big }]))
  t.equal(res.status, 202, JSON.stringify(res.body))
  t.same(spooled(moi), [])
  const shared = moi.ctx!.db.sqlite.prepare('SELECT count(*) FROM outbox_contents WHERE letter_id = ?').pluck().get(res.body.id)
  t.equal(shared, 1, 'one shared content for both')
  for (const [to, node] of [['mof', mof], ['dga', dga]] as const) {
    await waitForRecipient(moi, res.body.id, 'delivered', 60_000)
    const inbox = await call(node, 'GET', '/api/v1/inbox?limit=10')
    const msg = inbox.body.items.find((i: any) => i.subject === 'เวียนไฟล์ใหญ่')
    const detail = await call(node, 'GET', `/api/v1/inbox/${msg.id}`)
    const dl = await fetch(`${node.apiUrl}/api/v1/inbox/${msg.id}/attachments/${detail.body.attachments[0].id}`, { headers: { authorization: `Bearer ${node.apiKey}` } })
    t.ok(Buffer.from(await dl.arrayBuffer()).equals(big), `${to}: the uploaded bytes`)
  }
})

t.test('failures leave nothing behind', async (t) => {
  let net: TestNet | undefined
  t.teardown(async () => net?.stop())
  net = await testNet(['moi', 'mof'], { profiles: ['jose-v1'], extra: { limits: LIMITS } })
  const moi = net.nodes.moi!
  await moi.start()
  const db = () => moi.ctx!.db.sqlite

  await t.test('an upload refused as too large', async (t) => {
    const before = snapshot(db())
    const res = await post(moi, form(thaiLetter(['mof']), [
      { filename: 'a.bin', type: 'application/octet-stream', bytes: randomBytes(2 * 1024 * 1024) },
      { filename: 'b.bin', type: 'application/octet-stream', bytes: randomBytes(LIMITS.maxAttachmentBytes + 1) },
    ]))
    t.equal(res.status, 413)
    t.equal(res.body.code, 'ERR_PAYLOAD_TOO_LARGE')
    t.same(spooled(moi), [], 'no spooled file: neither the accepted first file nor the refused one')
    t.same(snapshot(db()), before)
  })

  await t.test('a letter refused after its files were spooled', async (t) => {
    const before = snapshot(db())
    const res = await post(moi, form(thaiLetter(['nowhere']), [{ filename: 'a.bin', type: 'application/octet-stream', bytes: randomBytes(2 * 1024 * 1024) }]))
    t.equal(res.status, 422, JSON.stringify(res.body))
    t.equal(res.body.code, 'ERR_UNKNOWN_AGENCY')
    t.same(spooled(moi), [])
    t.same(snapshot(db()), before)
  })

  await t.test('a client that cuts the connection part-way through a file', async (t) => {
    const before = snapshot(db())
    const boundary = 'cut' + randomBytes(8).toString('hex')
    const url = new URL(moi.apiUrl!)
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="letter"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(thaiLetter(['mof']))}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="cut.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`)
    const req = request({ host: url.hostname, port: url.port, path: '/api/v1/letters', method: 'POST', headers: {
      authorization: `Bearer ${moi.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + 3 * 1024 * 1024 + 100),
    } })
    req.on('error', () => {})
    req.write(head)
    req.write(randomBytes(2 * 1024 * 1024))
    await waitFor('the file is being spooled', () => (spooled(moi).some((f) => statSync(f).size > 0) ? true : undefined))
    req.destroy()
    await waitFor('the spooled file is removed', () => (spooled(moi).length === 0 ? true : undefined))
    t.same(spooled(moi), [])
    t.same(snapshot(db()), before)
  })

  await t.test('a seal that fails part-way through the envelope', async (t) => {
    const before = snapshot(db())
    const file = join(moi.ctx!.config.dataDir, 'uploads', 'test-input.bin')
    const bytes = randomBytes(3 * 1024 * 1024)
    writeFileSync(file, bytes, { mode: 0o600 })
    let written = 0
    const faulty: EnvelopeProfile & SealsOneTo = {
      ...joseV1,
      sealOneTo(input, open) {
        return joseV1.sealOneTo(input, (size) => {
          const put = open(size)
          return (region) => {
            put(region)
            if ((written += region.length) > 2 * CHUNK_BYTES) throw new Error('injected: the seal fails after two chunks')
          }
        })
      },
    } as EnvelopeProfile & SealsOneTo
    const ctx = moi.ctx!
    const sentinel = '\u0000test'
    const req: SendRequest = {
      body: { letter: thaiLetter(['mof']) as never, attachments: [{ filename: 'x.bin', mediaType: 'application/octet-stream', content: sentinel }] },
      allowedAgencies: ['moi'],
      decoded: { sentinel, bytes: new Map(), files: new Map([[0, { path: file, size: bytes.length, sha256: sha(bytes) }]]) },
    }
    const deps = {
      clock: ctx.clock, log: createLogger('silent'), db: ctx.db, outbox: ctx.outbox, anchors: ctx.anchors, directory: ctx.directory,
      profiles: new ProfileTable([faulty]), hosted: ctx.hosted, onQueued: () => {}, envelopes: new EnvelopeCache(64 << 20), registers: ctx.registers, timestamps: ctx.timestamps,
    }
    await t.rejects(sendLetter(deps as never, req), /injected/, 'the request fails')
    t.ok(written > 2 * CHUNK_BYTES, 'after two chunk rows were written')
    t.same(snapshot(db()), before, 'nothing is left: no letter, message, envelope, chunk, register entry, stamp or event')
    t.same(spooled(moi), [file], 'and no sealed file beside the upload')

    // Sealed and staged in chunk rows (committed), then the letter's own transaction fails.
    const failing = new Proxy(ctx.outbox, {
      get: (o, k) => (k === 'insertLetter' ? () => { throw new Error('injected: the letter is not stored') } : typeof (o as any)[k] === 'function' ? (o as any)[k].bind(o) : (o as any)[k]),
    })
    await t.rejects(sendLetter({ ...deps, outbox: failing, profiles: new ProfileTable([joseV1]) } as never, req), /injected/)
    t.same(snapshot(db()), before, 'the staged envelope and its chunk rows are deleted again')
    t.same(spooled(moi), [file])
    rmSync(file)
  })
})
