// Idempotency-Key compared by what a request means (issue 20 §9; README "Idempotency-Key";
// draft-ietf-httpapi-idempotency-key-header): a saraban system that rebuilds its request after a crash
// (pretty-printed, Thai escaped or not, keys in another order, "attachments": [] added, multipart
// instead of JSON) gets the first answer back (202, Idempotent-Replayed: true) and the letter goes
// once; the key for another letter is 422 ERR_IDEMPOTENCY_KEY_REUSED; a retry while the first is still
// being sealed is 409 ERR_IDEMPOTENCY_IN_FLIGHT. Real nodes over real mTLS.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { testNet, call, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'])
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const key = () => `k-${randomBytes(6).toString('hex')}`

/** POST /api/v1/letters with this exact body text (JSON) or form (multipart). */
async function post(node: TestNode, body: string | FormData, k: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${node.apiKey}`, 'idempotency-key': k }
  if (typeof body === 'string') headers['content-type'] = 'application/json'
  const res = await fetch(node.apiUrl + '/api/v1/letters', { method: 'POST', headers, body })
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as any }
}

/** JSON.stringify with every non-ASCII character as a \u escape. */
const escaped = (v: unknown) => JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** The same object with its keys in reverse order, at every level. */
function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]))
}

function form(letter: unknown, files: Array<{ filename: string; type: string; bytes: Buffer }>): FormData {
  const f = new FormData()
  f.append('letter', new Blob([JSON.stringify(letter)], { type: 'application/json' }))
  for (const x of files) f.append('attachment', new File([x.bytes], x.filename, { type: x.type }))
  return f
}

const outboxIds = async () => (await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.map((i: { id: string }) => i.id) as string[]

t.test('a rebuilt JSON request is a replay: pretty-printed, \\u-escaped, reordered, "attachments": []', async (t) => {
  const moi = net.nodes.moi!
  const k = key()
  const letter = thaiLetter(['mof'], { subject: `เรื่องที่ส่งซ้ำหลังระบบล่ม ${k}` })
  const first = await post(moi, JSON.stringify({ letter }), k)
  t.equal(first.status, 202, JSON.stringify(first.body))
  t.equal(first.replayed, null, 'the first answer is not a replay')
  const before = await outboxIds()
  const rebuilt = {
    'pretty-printed': JSON.stringify({ letter }, null, 2),
    'Thai as \\u escapes': escaped({ letter }),
    'keys in reverse order': JSON.stringify(reordered({ letter })),
    '"attachments": [] added': JSON.stringify({ attachments: [], letter }),
  }
  for (const [how, text] of Object.entries(rebuilt)) {
    const again = await post(moi, text, k)
    t.equal(again.status, 202, `${how}: the first answer's status`)
    t.equal(again.replayed, 'true', `${how}: Idempotent-Replayed`)
    t.equal(again.body.id, first.body.id, `${how}: the same letter`)
  }
  t.same(await outboxIds(), before, 'no second letter was stored')
})

t.test('JSON and multipart with the same letter and files are the same request, both ways', async (t) => {
  const moi = net.nodes.moi!
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(20_000)])
  const png = randomBytes(3_000)
  const files = [{ filename: 'หนังสือเชิญประชุม.pdf', type: 'application/pdf', bytes: pdf }, { filename: 'แผนผัง.png', type: 'image/png', bytes: png }]
  const asJson = (letter: unknown) => JSON.stringify({
    letter, attachments: files.map((f) => ({ filename: f.filename, mediaType: f.type, content: f.bytes.toString('base64') })),
  })
  for (const [firstWay, secondWay] of [['json', 'multipart'], ['multipart', 'json']] as const) {
    const k = key()
    const letter = thaiLetter(['mof'], { subject: `สองไฟล์ ${firstWay} ก่อน ${k}` })
    const send = (way: string) => post(moi, way === 'json' ? asJson(letter) : form(letter, files), k)
    const first = await send(firstWay)
    t.equal(first.status, 202, `${firstWay} first: ${JSON.stringify(first.body)}`)
    const again = await send(secondWay)
    t.match(again, { status: 202, replayed: 'true', body: { id: first.body.id } }, `${secondWay} after ${firstWay} is a replay`)
    t.equal(first.body.attachments?.length ?? 2, 2)
  }
  // Another file under the same key is another letter.
  const k = key()
  const letter = thaiLetter(['mof'], { subject: `ไฟล์ต่างกัน ${k}` })
  t.equal((await post(moi, form(letter, files), k)).status, 202)
  const changed = Buffer.from(png)
  changed[0]! ^= 1
  const other = await post(moi, form(letter, [files[0]!, { ...files[1]!, bytes: changed }]), k)
  t.match(other, { status: 422, body: { code: 'ERR_IDEMPOTENCY_KEY_REUSED', field: '/headers/idempotency-key' } })
  const renamed = await post(moi, form(letter, [files[0]!, { ...files[1]!, filename: 'อื่น.png' }]), k)
  t.match(renamed, { status: 422, body: { code: 'ERR_IDEMPOTENCY_KEY_REUSED' } }, 'a file name is part of the letter')
})

t.test('the same key for another letter is 422 ERR_IDEMPOTENCY_KEY_REUSED and stores nothing', async (t) => {
  const moi = net.nodes.moi!
  const k = key()
  const first = await post(moi, JSON.stringify({ letter: thaiLetter(['mof'], { subject: `ฉบับแรก ${k}` }) }), k)
  t.equal(first.status, 202)
  const before = await outboxIds()
  const other = await post(moi, JSON.stringify({ letter: thaiLetter(['mof'], { subject: `ฉบับอื่น ${k}` }) }), k)
  t.equal(other.status, 422)
  t.match(other.body, { code: 'ERR_IDEMPOTENCY_KEY_REUSED', field: '/headers/idempotency-key' })
  t.match(other.body.detail, first.body.id, 'the refusal names the letter the key was used for')
  t.same(await outboxIds(), before)
  t.equal((await post(moi, JSON.stringify({ letter: thaiLetter(['mof'], { subject: `ฉบับอื่น ${k}` }) }), key())).status, 202, 'a new key sends it')
})

t.test('concurrent requests with one key: one letter; the others replay it or are 409 ERR_IDEMPOTENCY_IN_FLIGHT', async (t) => {
  const moi = net.nodes.moi!
  const k = key()
  const body = JSON.stringify({ letter: thaiLetter(['mof'], { subject: `พร้อมกัน ${k}` }) })
  const before = new Set(await outboxIds())
  const answers = await Promise.all(Array.from({ length: 6 }, () => post(moi, body, k)))
  const fresh = answers.filter((a) => a.status === 202 && a.replayed === null)
  t.equal(fresh.length, 1, 'exactly one request sent the letter')
  for (const a of answers) {
    if (a.status === 202) t.equal(a.body.id, fresh[0]!.body.id)
    else t.match(a, { status: 409, body: { code: 'ERR_IDEMPOTENCY_IN_FLIGHT', field: '/headers/idempotency-key' } })
  }
  t.same((await outboxIds()).filter((id) => !before.has(id)), [fresh[0]!.body.id], 'one letter stored')
  const later = await post(moi, body, k)
  t.match(later, { status: 202, replayed: 'true', body: { id: fresh[0]!.body.id } }, 'once done, a retry is a replay')
})

t.test('registers: a rebuilt POST …/numbers body is a replay, another body 422', async (t) => {
  const moi = net.nodes.moi!
  const k = key()
  const send = (text: string) => fetch(moi.apiUrl + '/api/v1/registers/receive/numbers', {
    method: 'POST', headers: { authorization: `Bearer ${moi.apiKey}`, 'content-type': 'application/json', 'idempotency-key': k }, body: text,
  }).then(async (r) => ({ status: r.status, replayed: r.headers.get('idempotent-replayed'), body: (await r.json()) as any }))
  const body = { subject: 'หนังสือกระดาษ', from: 'สำนักงานจังหวัด', letterDate: '2026-11-25' }
  const first = await send(JSON.stringify(body))
  t.equal(first.status, 201, JSON.stringify(first.body))
  const again = await send(escaped(reordered(body)).replace(/,/g, ',\n  '))
  t.match(again, { status: 201, replayed: 'true', body: { number: first.body.number } })
  t.match(await send(JSON.stringify({ ...body, subject: 'อื่น' })), { status: 422, body: { code: 'ERR_IDEMPOTENCY_KEY_REUSED' } })
})
