// POST /api/v1/letters as multipart/form-data (issue 5 §7): raw file parts instead of base64, the
// configured limits as 413 problems naming the part, Idempotency-Key across boundaries, and the
// streamed attachment download on the receiving node, over real mTLS between two nodes.
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { testNet, call, thaiLetter, waitForRecipient, type TestNet, type TestNode } from '../helpers/nodes.js'
import { CHUNK_BYTES } from '../../src/storage/blob-chunks.js'

const LIMITS = { maxAttachmentBytes: 1024 * 1024, maxAttachmentsTotalBytes: 1536 * 1024, maxAttachments: 3 }

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], { extra: { limits: LIMITS } })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

interface FilePart { name?: string; filename: string; type?: string; bytes: Buffer }

function form(letter: unknown, files: FilePart[] = [], extra: Array<[string, string | Blob]> = []): FormData {
  const f = new FormData()
  if (letter !== undefined) f.append('letter', new Blob([JSON.stringify(letter)], { type: 'application/json' }))
  for (const x of files) f.append(x.name ?? 'attachment', new File([x.bytes], x.filename, x.type === undefined ? {} : { type: x.type }))
  for (const [k, v] of extra) f.append(k, v)
  return f
}

async function post(node: TestNode, body: FormData | string, headers: Record<string, string> = {}) {
  const res = await fetch(node.apiUrl + '/api/v1/letters', { method: 'POST', headers: { authorization: `Bearer ${node.apiKey}`, ...headers }, body })
  const ct = res.headers.get('content-type') ?? ''
  return { status: res.status, headers: res.headers, body: (ct.includes('json') ? await res.json() : await res.text()) as any }
}

async function refused(t: Test, res: { status: number; headers: Headers; body: any }, status: number, code: string, field?: string) {
  t.equal(res.status, status, JSON.stringify(res.body))
  t.match(res.headers.get('content-type'), /^application\/problem\+json/)
  t.equal(res.body.code, code)
  if (field) t.ok(res.body.errors?.some((e: { field: string }) => e.field === field) || res.body.field === field, `names ${field}: ${JSON.stringify(res.body)}`)
}

const outboxSize = async () => (await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.length
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

const download = (node: TestNode, id: string, aid: string) =>
  fetch(`${node.apiUrl}/api/v1/inbox/${id}/attachments/${aid}`, { headers: { authorization: `Bearer ${node.apiKey}` } })

/** Sends a PDF and a PNG from `from` to `to` as multipart, waits for delivery; the inbox message and its attachments. */
async function roundTrip(t: Test, from: TestNode, to: TestNode) {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(700 * 1024)])
  const png = randomBytes(64 * 1024 + 7)
  const tag = randomBytes(4).toString('hex')
  const res = await post(from, form(thaiLetter([to.id], { subject: `ส่งเอกสาร ${tag}` }), [
    { filename: 'หนังสือเชิญประชุม.pdf', type: 'application/pdf', bytes: pdf },
    { filename: 'แผนผัง (ห้อง) 1.png', type: 'image/png', bytes: png },
  ], [['attachments', JSON.stringify([{}, { filename: 'แผนผัง "ห้อง" (1).png' }])]]))
  t.equal(res.status, 202, JSON.stringify(res.body))
  await waitForRecipient(from, res.body.id, 'delivered')
  const inbox = await call(to, 'GET', '/api/v1/inbox?limit=500')
  const msg = inbox.body.items.find((i: any) => i.subject === `ส่งเอกสาร ${tag}`)
  t.ok(msg, `the letter is in the inbox of ${to.id}`)
  const detail = await call(to, 'GET', `/api/v1/inbox/${msg.id}`)
  const atts = detail.body.attachments
  t.same(atts.map((a: any) => [a.filename, a.mediaType, a.size, a.sha256]), [
    ['หนังสือเชิญประชุม.pdf', 'application/pdf', pdf.length, sha(pdf)],
    ['แผนผัง "ห้อง" (1).png', 'image/png', png.length, sha(png)],
  ])
  for (const [i, bytes] of [pdf, png].entries()) {
    const a = atts[i]
    const dl = await download(to, msg.id, a.id)
    t.equal(dl.status, 200)
    t.equal(dl.headers.get('content-length'), String(bytes.length), 'Content-Length is the attachment size')
    t.equal(dl.headers.get('content-type'), a.mediaType)
    t.equal(dl.headers.get('x-content-type-options'), 'nosniff', 'never sniffed into HTML on the origin of /docs (issue 13 §1)')
    t.equal(dl.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'")
    const ascii = a.filename.replace(/[^\x20-\x7e]|["\\]/gu, '_')
    t.equal(dl.headers.get('content-disposition'), `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(a.filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`)
    t.equal(dl.headers.get('repr-digest'), `sha-256=:${Buffer.from(a.sha256, 'hex').toString('base64')}:`)
    t.ok(Buffer.from(await dl.arrayBuffer()).equals(bytes), `attachment ${i} is the uploaded bytes`)
  }
  return { id: msg.id as string, atts, profile: detail.body.profile as string, pdf }
}

/** Flips one ciphertext byte ~500 bytes before the end of the content (inside the last attachment). */
function tamperStoredEnvelope(node: TestNode, id: string, profile: string) {
  const db = node.ctx!.db.sqlite
  const env = Buffer.from(node.ctx!.inbox.getEnvelope(id)!)
  const at = profile === 'jose-v1' ? env.lastIndexOf(0x2e) - 700 : env.length - 18 - 500
  env[at] = profile === 'jose-v1' ? (env[at] === 0x41 ? 0x42 : 0x41) : env[at]! ^ 0x01
  // An envelope over 1 MiB is stored in chunk rows (migration 036): change the chunk that holds the byte.
  const inRow = (db.prepare('SELECT length(bytes) FROM inbox_envelopes WHERE message_id = ?').pluck().get(id) as number) > 0
  if (inRow) db.prepare('UPDATE inbox_envelopes SET bytes = ? WHERE message_id = ?').run(env, id)
  else {
    const seq = Math.floor(at / CHUNK_BYTES)
    db.prepare('UPDATE blob_chunks SET bytes = ? WHERE owner = ? AND seq = ?').run(env.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES), `ie:${id}`, seq)
  }
}

t.test('jose-v1: a multipart letter is sealed, delivered, and its files stream back byte for byte', async (t) => {
  const { id, atts, profile, pdf } = await roundTrip(t, net.nodes.moi!, net.nodes.mof!)
  t.equal(profile, 'jose-v1')
  const mof = net.nodes.mof!
  const ranged = (range: string, extra: Record<string, string> = {}) =>
    fetch(`${mof.apiUrl}/api/v1/inbox/${id}/attachments/${atts[0].id}`, { headers: { authorization: `Bearer ${mof.apiKey}`, range, ...extra } })
  for (const [spec, from, to] of [['bytes=1000-1999', 1000, 2000], ['bytes=-100', pdf.length - 100, pdf.length], ['bytes=700000-', 700000, pdf.length], ['bytes=0-0', 0, 1], [`bytes=5-${10 * pdf.length}`, 5, pdf.length]] as const) {
    const r = await ranged(spec)
    t.equal(r.status, 206, spec)
    t.equal(r.headers.get('content-range'), `bytes ${from}-${to - 1}/${pdf.length}`)
    t.equal(r.headers.get('content-length'), String(to - from))
    t.ok(Buffer.from(await r.arrayBuffer()).equals(pdf.subarray(from, to)), `${spec}: the bytes of that range`)
  }
  const past = await ranged(`bytes=${pdf.length}-`)
  t.equal(past.status, 416)
  t.equal(past.headers.get('content-range'), `bytes */${pdf.length}`)
  t.equal(((await past.json()) as any).code, 'ERR_RANGE_NOT_SATISFIABLE')
  const stale = await ranged('bytes=0-9', { 'if-range': '"0000"' })
  t.equal(stale.status, 200, 'If-Range with another ETag: the whole file')
  t.ok(Buffer.from(await stale.arrayBuffer()).equals(pdf))
  const fresh = await ranged('bytes=0-9', { 'if-range': stale.headers.get('etag')! })
  t.equal(fresh.status, 206, 'If-Range with the ETag: the range')
  await fresh.arrayBuffer()
  const several = await ranged('bytes=0-9,20-29')
  t.equal(several.status, 200, 'several ranges: ignored, the whole file')
  await several.arrayBuffer()
  tamperStoredEnvelope(mof, id, profile)
  const cut = await download(net.nodes.mof!, id, atts[1].id)
  t.equal(cut.status, 200, 'the headers went out before the end of the attachment was read')
  await t.rejects(cut.arrayBuffer(), 'a changed stored attachment: the response is cut short at the end, never a complete wrong file')
  const other = await download(net.nodes.mof!, id, atts[0].id)
  t.ok(Buffer.from(await other.arrayBuffer()).equals(pdf), 'the untouched attachment of the same envelope still reads')
})

t.test('cms-v1: the same, with the envelope in CMS AuthEnvelopedData', async (t) => {
  const cms = await testNet(['moi', 'mof'], { profiles: ['cms-v1'] })
  t.teardown(() => cms.stop())
  await cms.nodes.moi!.start()
  await cms.nodes.mof!.start()
  const { id, atts, profile } = await roundTrip(t, cms.nodes.moi!, cms.nodes.mof!)
  t.equal(profile, 'cms-v1')
  tamperStoredEnvelope(cms.nodes.mof!, id, profile)
  const cut = await download(cms.nodes.mof!, id, atts[1].id)
  await t.rejects(cut.arrayBuffer(), 'cut short')
})

t.test('the letter as a file part, and names and types from the attachments part', async (t) => {
  const f = new FormData()
  f.append('letter', new File([JSON.stringify(thaiLetter(['mof'], { subject: 'ไฟล์ letter.json' }))], 'letter.json', { type: 'application/json' }))
  f.append('attachment', new File([Buffer.from('hello')], 'upload.bin'))
  f.append('attachments', JSON.stringify([{ filename: 'บันทึก.txt', mediaType: 'text/plain' }]))
  const res = await post(net.nodes.moi!, f)
  t.equal(res.status, 202, JSON.stringify(res.body))
  const letter = await waitForRecipient(net.nodes.moi!, res.body.id, 'delivered')
  t.ok(letter)
  const inbox = await call(net.nodes.mof!, 'GET', '/api/v1/inbox?limit=500')
  const m = inbox.body.items.find((i: any) => i.subject === 'ไฟล์ letter.json')
  const detail = await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${m.id}`)
  t.same(detail.body.attachments.map((a: any) => [a.filename, a.mediaType]), [['บันทึก.txt', 'text/plain']], 'the attachments part named the file')
})

t.test('limits: 413 problems naming the attachment, the same for JSON bodies; nothing is stored', async (t) => {
  const before = await outboxSize()
  const moi = net.nodes.moi!
  const small = (n: number) => ({ filename: `f${n}.bin`, type: 'application/octet-stream', bytes: randomBytes(100) })
  // one file over maxAttachmentBytes, several megabytes of it still on its way when the node refuses
  await refused(t, await post(moi, form(thaiLetter(['mof']), [small(0), { filename: 'big.pdf', type: 'application/pdf', bytes: randomBytes(6 * 1024 * 1024) }])), 413, 'ERR_PAYLOAD_TOO_LARGE', '/attachments/1')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [
    { filename: 'a.bin', bytes: randomBytes(900 * 1024) }, { filename: 'b.bin', bytes: randomBytes(900 * 1024) },
  ])), 413, 'ERR_PAYLOAD_TOO_LARGE', '/attachments/1')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [small(0), small(1), small(2), small(3)])), 413, 'ERR_PAYLOAD_TOO_LARGE', '/attachments/3')
  await refused(t, await post(moi, JSON.stringify({
    letter: thaiLetter(['mof']), attachments: [{ filename: 'big.pdf', mediaType: 'application/pdf', content: randomBytes(1024 * 1024 + 3).toString('base64') }],
  }), { 'content-type': 'application/json' }), 413, 'ERR_PAYLOAD_TOO_LARGE', '/attachments/0')
  t.equal(await outboxSize(), before, 'nothing was queued')
  const after = await post(moi, form(thaiLetter(['mof']), [small(0)]))
  t.equal(after.status, 202, 'the node still answers on the API after refusing mid-upload')
})

t.test('malformed forms are 400/422 problems naming the part', async (t) => {
  const moi = net.nodes.moi!
  const file = { filename: 'a.pdf', type: 'application/pdf', bytes: randomBytes(10) }
  await refused(t, await post(moi, form(undefined, [file])), 400, 'ERR_REQUEST_INVALID', '/letter')
  const badJson = new FormData()
  badJson.append('letter', '{"subject": ')
  await refused(t, await post(moi, badJson), 400, 'ERR_REQUEST_INVALID', '/letter')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [file], [['notes', 'x']])), 400, 'ERR_REQUEST_INVALID', '/notes')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [], [['attachment', 'not a file']])), 400, 'ERR_REQUEST_INVALID', '/attachments/0')
  await refused(t, await post(moi, form({ ...thaiLetter(['mof']), urgency: 'SOON' }, [file])), 422, 'ERR_LETTER_INVALID', '/letter/urgency')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [file], [['attachments', JSON.stringify([{ filename: '../etc/passwd' }])]])), 400, 'ERR_REQUEST_INVALID', '/attachments/0/filename')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [file], [['attachments', JSON.stringify([])]])), 400, 'ERR_REQUEST_INVALID', '/attachments')
  await refused(t, await post(moi, form(thaiLetter(['mof']), [{ ...file, type: 'pdf' }])), 400, 'ERR_REQUEST_INVALID', '/attachments/0/mediaType')
})

t.test('Idempotency-Key: a retry with a new boundary replays; different bytes are another letter', async (t) => {
  const moi = net.nodes.moi!
  const key = `mp-${randomBytes(6).toString('hex')}`
  const bytes = randomBytes(50_000)
  const make = (b: Buffer) => form(thaiLetter(['mof']), [{ filename: 'a.pdf', type: 'application/pdf', bytes: b }])
  const first = await post(moi, make(bytes), { 'idempotency-key': key })
  t.equal(first.status, 202)
  const again = await post(moi, make(bytes), { 'idempotency-key': key })
  t.equal(again.status, 202, 'a second form with the same content (and another boundary) is a replay')
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.equal(again.body.id, first.body.id)
  const other = Buffer.from(bytes)
  other[0]! ^= 1
  await refused(t, await post(moi, make(other), { 'idempotency-key': key }), 422, 'ERR_IDEMPOTENCY_KEY_REUSED', '/headers/idempotency-key')
})

t.test('OpenAPI documents both request bodies', async (t) => {
  const doc = (await (await fetch(net.nodes.moi!.apiUrl + '/docs/json')).json()) as any
  const content = doc.paths['/api/v1/letters'].post.requestBody.content
  t.ok(content['application/json'], 'JSON body')
  t.ok(content['multipart/form-data'], 'multipart/form-data body')
})
