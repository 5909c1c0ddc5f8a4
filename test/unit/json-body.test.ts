// json-body.ts must behave exactly like JSON.parse, except that attachment base64 arrives decoded.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { parseJsonBody } from '../../src/api/json-body.js'

const thai = 'ด้วยกระทรวงมหาดไทยขอแจ้ง "อ้างถึง" \\ แนวทาง\n'.repeat(2000) // a long string with escapes

t.test('attachments are decoded from the bytes; everything else equals JSON.parse', async (t) => {
  const files = [randomBytes(200_000), randomBytes(10), randomBytes(48 * 1024 * 3 / 4 * 2 + 1)]
  const doc = {
    letter: { subject: 'ขอเชิญประชุม', body: thai, recipients: [{ agency: 'mof' }] },
    attachments: files.map((f, i) => ({ filename: `f${i}.pdf`, mediaType: 'application/pdf', content: f.toString('base64') })),
  }
  const raw = Buffer.from(JSON.stringify(doc))
  const got = parseJsonBody(raw)
  t.equal(got.attachmentBytes.size, 2, 'the two long contents were decoded in place')
  t.ok(got.attachmentBytes.get(0)!.equals(files[0]!))
  t.ok(got.attachmentBytes.get(2)!.equals(files[2]!), 'several slices, padding at the end')
  t.equal(got.sentinel.length % 4, 0, 'the sentinel itself has the shape of padded base64')
  const v = got.value as typeof doc
  t.equal(v.attachments[0]!.content, got.sentinel)
  t.equal(v.attachments[1]!.content, files[1]!.toString('base64'), 'short contents are left to JSON.parse')
  t.same({ ...v, attachments: v.attachments.map((a, i) => (got.attachmentBytes.has(i) ? { ...a, content: doc.attachments[i]!.content } : a)) }, doc)
  t.equal(v.letter.body, thai, 'a long non-attachment string comes back exactly, escapes and Thai included')
})

t.test('content that is not strict base64 is left as text for the caller to refuse', async (t) => {
  const b64 = randomBytes(60_000).toString('base64')
  for (const content of [b64.replace(/\//g, '\\/'), b64.slice(0, -1), b64.replace('A', '-'), b64.slice(0, 40_000) + '=' + b64.slice(40_001)]) {
    const raw = Buffer.from(`{"attachments":[{"content":"${content}"}]}`)
    const got = parseJsonBody(raw)
    t.equal(got.attachmentBytes.size, 0)
    t.equal((got.value as { attachments: Array<{ content: string }> }).attachments[0]!.content, JSON.parse(raw.toString()).attachments[0].content)
  }
})

t.test('malformed JSON still fails, and __proto__ stays a plain member', async (t) => {
  t.throws(() => parseJsonBody(Buffer.from('{"letter": ')))
  t.throws(() => parseJsonBody(Buffer.from(`{"a":"${'x'.repeat(40_000)}`)), 'an unterminated long string')
  const long = 'x'.repeat(40_000)
  const got = parseJsonBody(Buffer.from(`{"__proto__":{"polluted":"${long}"}}`)).value as Record<string, unknown>
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal(Object.getPrototypeOf(got), Object.prototype)
  t.same(Object.keys(got), ['__proto__'])
})
