// Register books over the real API of a real node (README "Registers"; issue 5 §3): outgoing numbers
// under concurrent requests and across a restart, supplied numbers, cancelled numbers, listing by
// Buddhist-era year with paging, CSV and PDF exports, and the agency scoping of API keys.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { testNet, call, thaiLetter, type TestNet } from '../helpers/nodes.js'
import { registerYear } from '../../src/domain/registers.js'

let net: TestNet
const OWNER = 'มท 0201.2'

t.before(async () => {
  net = await testNet(['moi', 'mof'])
  // moi has an owner code and a classified receive book; mof has neither
  const file = net.nodes.moi!.configFile
  const cfg = JSON.parse(readFileSync(file, 'utf8'))
  cfg.agencies[0].ownerCode = OWNER
  cfg.registers = { books: [{ id: 'classified', direction: 'receive', title: 'ทะเบียนหนังสือรับ (ลับ)' }] }
  writeFileSync(file, JSON.stringify(cfg))
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const BE = () => registerYear(Date.now()) + 543

t.test('the books: built-in plus configured', async (t) => {
  const r = await call(net.nodes.moi!, 'GET', '/api/v1/registers')
  t.equal(r.status, 200)
  t.same(r.body.books.map((b: { id: string }) => b.id), ['receive', 'send', 'circular', 'classified'])
  t.match(r.body.books[2], { direction: 'send', prefix: 'ว ' })
  const doc = (await (await fetch(net.nodes.moi!.apiUrl + '/docs/json')).json()) as any
  for (const path of ['/api/v1/registers/{book}', '/api/v1/registers/{book}/numbers', '/api/v1/registers/{book}/export.pdf', '/api/v1/registers/{book}/entries/{year}/{number}/cancel']) {
    t.ok(doc.paths[path], `OpenAPI documents ${path}`)
  }
  t.ok(doc.paths['/api/v1/registers/{book}'].get.parameters.some((p: { name: string; in: string }) => p.name === 'year' && p.in === 'query'))
})

t.test('concurrent requests get distinct consecutive outgoing numbers; the series survives a restart', async (t) => {
  const moi = net.nodes.moi!
  const N = 40
  const answers = await Promise.all(Array.from({ length: N }, (_, i) =>
    call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: `ขอเชิญประชุม ${i}`, to: 'กระทรวงการคลัง', letterDate: '2026-11-25' })))
  t.same(answers.map((a) => a.status), Array(N).fill(201))
  const numbers = answers.map((a) => a.body.number).sort((a, b) => a - b)
  t.same(numbers, Array.from({ length: N }, (_, i) => i + 1), '1..N, no gap, no repeat')
  const one = answers.find((a) => a.body.number === 7)!.body
  t.match(one, { agency: 'moi', book: 'send', year: BE(), number: 7, letterNumber: `${OWNER}/7`, entry: { status: 'active', letterNumber: `${OWNER}/7` } })
  t.match(answers[0]!.headers.get('location'), `/api/v1/registers/send?year=${BE()}&agency=moi`)

  const circ = await call(moi, 'POST', '/api/v1/registers/circular/numbers', { subject: 'แจ้งเวียน' })
  t.match(circ.body, { number: 1, letterNumber: `${OWNER}/ว 1` })

  await moi.stop()
  await moi.start()
  const after = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'หลังเริ่มใหม่' })
  t.match(after.body, { number: N + 1, letterNumber: `${OWNER}/${N + 1}` }, 'the series continues after a restart')
})

t.test('supplied numbers: only the next one; taken and gap refused', async (t) => {
  const moi = net.nodes.moi!
  const list = await call(moi, 'GET', '/api/v1/registers/receive')
  const next = list.body.total + 1
  const ok = await call(moi, 'POST', '/api/v1/registers/receive/numbers', { number: next, from: 'สำนักงาน ก.พ.', subject: 'หนังสือกระดาษ', letterNumber: 'นร 1008/ว 12' })
  t.equal(ok.status, 201)
  t.match(ok.body, { book: 'receive', number: next, entry: { from: 'สำนักงาน ก.พ.', letterNumber: 'นร 1008/ว 12' } })
  t.notOk('letterNumber' in ok.body, 'receive books give no letter number')
  const taken = await call(moi, 'POST', '/api/v1/registers/receive/numbers', { number: next, subject: 'ซ้ำ' })
  t.match(taken, { status: 409, body: { code: 'ERR_REGISTER_NUMBER_TAKEN', field: '/number' } })
  const gap = await call(moi, 'POST', '/api/v1/registers/receive/numbers', { number: next + 5, subject: 'ข้าม' })
  t.match(gap, { status: 409, body: { code: 'ERR_REGISTER_NUMBER_NOT_NEXT' } })
  const classified = await call(moi, 'POST', '/api/v1/registers/classified/numbers', { subject: 'ลับ' })
  t.match(classified.body, { book: 'classified', number: 1 })
})

t.test('Idempotency-Key: a retried request gets the same number', async (t) => {
  const moi = net.nodes.moi!
  const body = { subject: 'ส่งซ้ำเพราะไม่ได้รับคำตอบ' }
  const first = await call(moi, 'POST', '/api/v1/registers/circular/numbers', body, { 'idempotency-key': 'retry-1' })
  t.equal(first.status, 201)
  const again = await call(moi, 'POST', '/api/v1/registers/circular/numbers', body, { 'idempotency-key': 'retry-1' })
  t.equal(again.status, 201, 'a replay answers with the first status')
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.same(again.body, first.body)
  const other = await call(moi, 'POST', '/api/v1/registers/circular/numbers', { subject: 'อื่น' }, { 'idempotency-key': 'retry-1' })
  t.match(other, { status: 422, body: { code: 'ERR_IDEMPOTENCY_KEY_REUSED', field: '/headers/idempotency-key' } })
})

t.test('a cancelled number stays in the register and is not given again', async (t) => {
  const moi = net.nodes.moi!
  const c = await call(moi, 'POST', `/api/v1/registers/send/entries/${BE()}/2/cancel`, { reason: 'ออกเลขซ้ำซ้อน' })
  t.equal(c.status, 200)
  t.match(c.body, { number: 2, status: 'cancelled', cancelReason: 'ออกเลขซ้ำซ้อน' })
  t.match(await call(moi, 'POST', `/api/v1/registers/send/entries/${BE()}/2/cancel`, { reason: 'อีกครั้ง' }), { status: 409, body: { code: 'ERR_REGISTER_ENTRY_CANCELLED' } })
  t.match(await call(moi, 'POST', `/api/v1/registers/send/entries/${BE()}/9999/cancel`, { reason: 'ไม่มี' }), { status: 404, body: { code: 'ERR_NOT_FOUND' } })
  const list = await call(moi, 'GET', `/api/v1/registers/send?year=${BE()}&limit=5`)
  t.match(list.body.entries[1], { number: 2, status: 'cancelled' })
})

t.test('listing: number order, paging with nextCursor, Buddhist-era year, columns', async (t) => {
  const moi = net.nodes.moi!
  const seen: number[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await call(moi, 'GET', `/api/v1/registers/send?year=${BE()}&limit=15${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(page.status, 200)
    t.match(page.body, { agency: 'moi', book: 'send', direction: 'send', year: BE(), title: 'ทะเบียนหนังสือส่ง' })
    t.match(page.body.columns, { number: 'เลขทะเบียนส่ง', letterNumber: 'ที่', letterDate: 'ลงวันที่', from: 'จาก', to: 'ถึง', subject: 'เรื่อง', action: 'การปฏิบัติ', remarks: 'หมายเหตุ' })
    seen.push(...page.body.entries.map((e: { number: number }) => e.number))
    if (page.body.nextCursor === undefined) break
    cursor = page.body.nextCursor
  }
  t.same(seen, Array.from({ length: 41 }, (_, i) => i + 1))
  const other = await call(moi, 'GET', `/api/v1/registers/send?year=${BE() - 1}`)
  t.match(other.body, { year: BE() - 1, total: 0, entries: [] }, 'last year has its own (empty) series')
  const defaultYear = await call(moi, 'GET', '/api/v1/registers/send?limit=1')
  t.equal(defaultYear.body.year, BE(), 'default: this year in Asia/Bangkok')
})

t.test('CSV: UTF-8 with BOM, RFC 4180, Buddhist-era dates, by Accept or /export.csv', async (t) => {
  const moi = net.nodes.moi!
  await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'เรื่อง "ทดสอบ", มีจุลภาค', remarks: '=HYPERLINK("x")', letterDate: '2026-11-25' })
  for (const r of [
    await call(moi, 'GET', `/api/v1/registers/send?year=${BE()}`, undefined, { accept: 'text/csv' }),
    await call(moi, 'GET', `/api/v1/registers/send/export.csv?year=${BE()}`),
  ]) {
    t.equal(r.status, 200)
    t.match(r.headers.get('content-type'), /^text\/csv; charset=utf-8/)
    t.match(r.headers.get('content-disposition'), `register-moi-send-${BE()}.csv`)
    const bytes = r.body as Buffer
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'BOM')
    const text = bytes.toString('utf8').slice(1)
    const lines = text.split('\r\n')
    t.equal(lines.at(-1), '', 'every record ends with CRLF')
    t.equal(lines.length - 2, 42, 'header + 42 entries')
    t.match(lines[0], /^เลขทะเบียนส่ง,ที่,ลงวันที่,จาก,ถึง,เรื่อง,การปฏิบัติ,หมายเหตุ,/)
    t.match(lines[2], /^2,มท 0201\.2\/2,.*ยกเลิก: ออกเลขซ้ำซ้อน,.*,cancelled,/)
    t.match(lines[42], /^42,มท 0201\.2\/42,25 พฤศจิกายน 2569,,,"เรื่อง ""ทดสอบ"", มีจุลภาค",,"'=HYPERLINK\(""x""\)",/)
  }
})

t.test('PDF: a real PDF with the Sarabun fonts embedded, by Accept or /export.pdf', async (t) => {
  const moi = net.nodes.moi!
  for (const r of [
    await call(moi, 'GET', `/api/v1/registers/send/export.pdf?year=${BE()}`),
    await call(moi, 'GET', `/api/v1/registers/receive?year=${BE()}`, undefined, { accept: 'application/pdf' }),
  ]) {
    t.equal(r.status, 200)
    t.equal(r.headers.get('content-type'), 'application/pdf')
    const pdf = r.body as Buffer
    t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
    t.match(pdf.subarray(-8).toString('latin1'), /%%EOF\s*$/)
    const text = pdf.toString('latin1')
    t.match(text, /\/BaseFont \/[A-Z]{6}\+Sarabun-Regular/, 'Sarabun embedded (subset)')
    t.match(text, /\/FontFile2/, 'font program embedded')
  }
})

t.test('refusals: other agencies, unknown books, wrong years, agencies without owner code', async (t) => {
  const moi = net.nodes.moi!
  t.match(await call(moi, 'GET', '/api/v1/registers/send?agency=mof'), { status: 403, body: { code: 'ERR_FORBIDDEN', field: '/agency' } })
  t.match(await call(moi, 'POST', '/api/v1/registers/send/numbers', { agency: 'mof', subject: 'x' }), { status: 403, body: { code: 'ERR_FORBIDDEN' } })
  t.match(await call(moi, 'GET', '/api/v1/registers/outgoing'), { status: 404, body: { code: 'ERR_REGISTER_BOOK_UNKNOWN' } })
  t.match(await call(moi, 'GET', '/api/v1/registers/send?year=2026'), { status: 400, body: { code: 'ERR_REQUEST_INVALID' } }, 'a CE year is refused: the API speaks พ.ศ.')
  t.match(await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'x', number: 0 }), { status: 400, body: { code: 'ERR_REQUEST_INVALID' } })
  t.match(await call(net.nodes.mof!, 'POST', '/api/v1/registers/send/numbers', { subject: 'x' }), { status: 422, body: { code: 'ERR_REGISTER_NO_OWNER_CODE' } })
  const paper = await call(net.nodes.mof!, 'POST', '/api/v1/registers/receive/numbers', { subject: 'x' })
  t.match(paper, { status: 201, body: { agency: 'mof', number: 1 } }, 'receive books need no owner code')
  t.match(await call(moi, 'GET', '/api/v1/registers/receive?agency=moi'), { status: 200, body: { agency: 'moi' } })
})

t.test('a letter sent without ที่ gets the next number of the send book, also beside numbers taken by the API (issue 20 §10)', async (t) => {
  const moi = net.nodes.moi!
  const send = (i: number) => call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `ไม่มีเลขที่ ${i}` }) })
  const take = (i: number) => call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: `เลขที่ขอผ่าน API ${i}` })
  const answers = await Promise.all([send(1), take(1), send(2), send(3), take(2), send(4)])
  t.same(answers.map((a) => a.status), [202, 201, 202, 202, 201, 202], JSON.stringify(answers.filter((a) => a.status >= 300).map((a) => a.body)))
  const letters = answers.filter((a) => a.status === 202).map((a) => a.body)
  const fromLetters = letters.map((l) => l.letter.number as string)
  const fromApi = answers.filter((a) => a.status === 201).map((a) => a.body.letterNumber as string)
  for (const n of fromLetters) t.match(n, new RegExp(`^${OWNER.replace('.', '\\.')}/[0-9]+$`), `${n}: <owner code>/<n>`)
  t.equal(new Set([...fromLetters, ...fromApi]).size, 6, 'no ที่ given twice')
  const list = await call(moi, 'GET', `/api/v1/registers/send?year=${BE()}&limit=1000`)
  for (const l of letters) {
    const e = list.body.entries.find((x: { letterId?: string }) => x.letterId === l.id)
    t.ok(e, `letter ${l.letter.number} has its send-register entry`)
    t.equal(e?.letterNumber, l.letter.number, 'the entry carries the ที่ the letter was signed with')
    t.equal(`${OWNER}/${e?.number}`, l.letter.number, 'and its register number is the number in the ที่')
  }
  const numbers = list.body.entries.map((e: { number: number }) => e.number)
  t.same(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1), 'the book keeps no gap')
})

t.test('an agency without owner code sends without ที่; its entry has none', async (t) => {
  const mof = net.nodes.mof!
  const sent = await call(mof, 'POST', '/api/v1/letters', { letter: thaiLetter(['moi'], { subject: 'ไม่มีรหัสเจ้าของเรื่อง' }) })
  t.equal(sent.status, 202)
  t.equal(sent.body.letter.number, undefined)
  const list = await call(mof, 'GET', `/api/v1/registers/send?year=${BE()}`)
  const e = list.body.entries.find((x: { letterId?: string }) => x.letterId === sent.body.id)
  t.ok(e, 'the letter still has a send-register entry')
  t.equal(e?.letterNumber ?? null, null)
})

t.test('a ที่ already used this year is 409 ERR_NUMBER_IN_USE naming the earlier letter, unless reserved for this letter (issue 20 §11)', async (t) => {
  const moi = net.nodes.moi!
  const first = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { number: `${OWNER}/9001`, subject: 'ฉบับแรก' }) })
  t.equal(first.status, 202, JSON.stringify(first.body))
  const again = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { number: `${OWNER}/9001`, subject: 'ฉบับที่สอง' }) })
  t.match(again, { status: 409, body: { code: 'ERR_NUMBER_IN_USE', field: '/letter/number' } })
  t.match(again.body.detail, first.body.id, 'the refusal names the earlier letter')
  const reserved = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'จองเลข' })
  const own = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { number: reserved.body.letterNumber, subject: 'จองเลข' }) })
  t.equal(own.status, 202, 'the number reserved for this letter is accepted')
  const twice = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { number: reserved.body.letterNumber, subject: 'จองเลขซ้ำ' }) })
  t.match(twice, { status: 409, body: { code: 'ERR_NUMBER_IN_USE' } }, 'but only once')
})

t.test('a reserved number\'s entry shows the subject and addressees of the letter actually sent (issue 20 §12)', async (t) => {
  const moi = net.nodes.moi!
  const reserved = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'ร่างเรื่อง', to: 'ปลัดกระทรวง' })
  const letter = thaiLetter(['mof'], { number: reserved.body.letterNumber, subject: 'เรื่องที่ส่งจริง' })
  letter.recipients = [{ agency: 'mof', title: 'ปลัดกระทรวง' }] as never
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const list = await call(moi, 'GET', `/api/v1/registers/send?year=${BE()}&limit=1000`)
  const e = list.body.entries.find((x: { number: number }) => x.number === reserved.body.number)
  t.match(e, { letterId: sent.body.id, subject: 'เรื่องที่ส่งจริง' })
  t.match(e.to, /^ปลัดกระทรวง \(.+\)$/, `the addressee names the agency: ${e.to}`)
})
