// The letter lifecycle through the client generated from the description (issue 20 §3): openapi-fetch
// over the types of schema.d.ts, against real nodes over real mTLS. Send with attachments (and an
// idempotent replay), discovery by server-sent events, downloads whole and by Range, register, reject,
// withdraw, evidence, registers. Every answer passes the response checker (checker.ts).
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import createClient from 'openapi-fetch'
import type { paths } from './schema.js'
import { testNet, waitFor, type TestNet, type TestNode } from '../helpers/nodes.js'
import { EXAMPLE_LETTER } from '../../src/api/openapi/operations.js'
import { ResponseChecker } from './checker.js'
import { SNAPSHOT } from './generate.js'

const checker = new ResponseChecker(JSON.parse(readFileSync(SNAPSHOT, 'utf8')))
let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'])
  for (const n of Object.values(net.nodes)) await n.start()
})
t.teardown(async () => net?.stop())

function client(node: TestNode) {
  const c = createClient<paths>({ baseUrl: node.apiUrl!, headers: { authorization: `Bearer ${node.apiKey}` } })
  c.use(checker.middleware())
  return c
}

const pdf = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`)

t.test('the whole day of a saraban system, through the generated client', async (t) => {
  const moi = client(net.nodes.moi!), mof = client(net.nodes.mof!)
  const files = [pdf('หนังสือเชิญประชุม'.repeat(20)), pdf('กำหนดการ')]
  const letter = (subject: string) => ({
    // No ที่: the node takes the next number of the send book (issue 20 §10); one ที่ serves one letter (§11).
    letter: { ...EXAMPLE_LETTER, number: undefined, subject },
    attachments: files.map((b, i) => ({ filename: `เอกสาร-${i + 1}.pdf`, mediaType: 'application/pdf', content: b.toString('base64') })),
  })
  const send = async (subject: string, key = randomUUID()) => {
    const r = await moi.POST('/api/v1/letters', { params: { header: { 'Idempotency-Key': key } }, body: letter(subject) as never })
    t.equal(r.response.status, 202, `sent: ${subject}`)
    return r.data!
  }
  const delivered = (id: string) => waitFor(`letter ${id} delivered`, async () => {
    const { data } = await moi.GET('/api/v1/letters/{id}', { params: { path: { id } } })
    return data?.recipients.every((r) => r.status === 'delivered') ? data.recipients[0]!.messageId : undefined
  })

  // Send with two PDFs; the same request again under the same key is a replay, not a second letter.
  const key = randomUUID()
  const first = await send('ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์', key)
  const again = await moi.POST('/api/v1/letters', { params: { header: { 'Idempotency-Key': key } }, body: letter('ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์') as never })
  t.equal(again.response.status, 202, "a replay answers the first status (Idempotency-Key draft)")
  t.equal(again.response.headers.get('idempotent-replayed'), 'true')
  t.equal(again.data!.id, first.id, 'the same letter')
  t.equal(again.response.headers.get('location'), `/api/v1/letters/${first.id}`)
  const messageId = await delivered(first.id)

  // Discovery by server-sent events, replayed from the start with Last-Event-ID.
  const stream = await mof.GET('/api/v1/events', { params: { header: { 'Last-Event-ID': '0' } }, parseAs: 'stream', headers: { accept: 'text/event-stream' } })
  t.match(stream.response.headers.get('content-type'), /^text\/event-stream/)
  const reader = stream.response.body!.getReader()
  let text = ''
  while (!(text.includes('event: letter.received') && text.includes(messageId))) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  await reader.cancel()
  t.ok(text.includes(messageId), 'the stream announced the letter')

  // Read it, download both files whole and one by Range.
  const got = await mof.GET('/api/v1/inbox/{id}', { params: { path: { id: messageId } } })
  t.equal(got.data!.attachments.length, 2)
  for (const [i, a] of got.data!.attachments.entries()) {
    const whole = await mof.GET('/api/v1/inbox/{id}/attachments/{attachmentId}', { params: { path: { id: messageId, attachmentId: a.id } }, parseAs: 'arrayBuffer' })
    t.equal(whole.response.status, 200)
    t.ok(Buffer.from(whole.data as ArrayBuffer).equals(files[i]!), `file ${i + 1}: byte-exact`)
    t.equal(whole.response.headers.get('repr-digest'), `sha-256=:${createHash('sha256').update(files[i]!).digest('base64')}:`)
  }
  const a0 = got.data!.attachments[0]!.id
  const part = await mof.GET('/api/v1/inbox/{id}/attachments/{attachmentId}', { params: { path: { id: messageId, attachmentId: a0 }, header: { Range: 'bytes=0-7' } }, parseAs: 'arrayBuffer' })
  t.equal(part.response.status, 206)
  t.equal(part.response.headers.get('content-range'), `bytes 0-7/${files[0]!.length}`)
  t.same(Buffer.from(part.data as ArrayBuffer), files[0]!.subarray(0, 8))
  const outside = await mof.GET('/api/v1/inbox/{id}/attachments/{attachmentId}', { params: { path: { id: messageId, attachmentId: a0 }, header: { Range: `bytes=${files[0]!.length + 10}-` } } })
  t.equal(outside.response.status, 416)
  t.equal(outside.error?.code, 'ERR_RANGE_NOT_SATISFIABLE')

  // Register it (ลงรับ): the receive number; the sender sees the acceptance.
  const reg = await mof.POST('/api/v1/inbox/{id}/register', { params: { path: { id: messageId } }, body: { action: 'เสนอปลัดกระทรวง' } })
  t.equal(reg.response.status, 200)
  const registration = reg.data!.registration!
  t.ok(registration.number >= 1)
  const twice = await mof.POST('/api/v1/inbox/{id}/register', { params: { path: { id: messageId } }, body: {} })
  t.equal(twice.error?.code, 'ERR_ALREADY_REGISTERED', 'a letter is registered once')

  // A second letter is rejected; a third is withdrawn before anyone answers.
  const second = await send('ขอข้อมูลงบประมาณ')
  const secondMessage = await delivered(second.id)
  const rej = await mof.POST('/api/v1/inbox/{id}/reject', { params: { path: { id: secondMessage } }, body: { reasonCode: 'misaddressed', reason: 'มิใช่อำนาจหน้าที่ของหน่วยงาน' } })
  t.equal(rej.response.status, 200)
  const third = await send('ขอเชิญประชุม (ฉบับผิด)')
  await delivered(third.id)
  const wd = await moi.POST('/api/v1/letters/{id}/withdraw', { params: { path: { id: third.id } }, body: { reason: 'ส่งผิดฉบับ' } })
  t.equal(wd.response.status, 202)

  // Evidence of the first letter: a ustar archive.
  const ev = await moi.GET('/api/v1/letters/{id}/evidence', { params: { path: { id: first.id } }, parseAs: 'arrayBuffer' })
  t.equal(ev.response.status, 200)
  t.equal(Buffer.from(ev.data as ArrayBuffer).subarray(257, 262).toString('latin1'), 'ustar')

  // Registers: the books, the receive register of the Buddhist-era year, its CSV.
  const books = await mof.GET('/api/v1/registers')
  t.equal(books.response.status, 200)
  const year = registration.year
  const book = await mof.GET('/api/v1/registers/{book}', { params: { path: { book: 'receive' }, query: { year } } })
  // Answered as JSON here (no Accept): the CSV and PDF media types of the same answer are the exports.
  t.ok((book.data as unknown as { entries: { messageId?: string }[] }).entries.some((e) => e.messageId === messageId), 'the receive register lists the letter')
  const csv = await mof.GET('/api/v1/registers/{book}/export.csv', { params: { path: { book: 'receive' }, query: { year } }, parseAs: 'text' })
  t.match(csv.data, /เสนอปลัดกระทรวง/)
  const missing = await moi.GET('/api/v1/letters/{id}', { params: { path: { id: randomUUID() } } })
  t.equal(missing.error?.code, 'ERR_NOT_FOUND')

  const bad = checker.seen.filter((s) => s.problems.length > 0)
  t.same(bad, [], 'every answer matched the description')
  t.ok(new Set(checker.seen.map((s) => `${s.method} ${s.path}`)).size >= 12, `${checker.seen.length} answers of 12 operations checked`)
})
