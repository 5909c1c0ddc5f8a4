// Issue 16 item 2: a JSON body is held whole and stays bounded by limits.maxApiBodyBytes, with a
// refusal that says large files go as multipart/form-data; a multipart form is spooled to disk and is
// bounded by the attachment limits instead, so a form larger than maxApiBodyBytes is accepted.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { testNet, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'

const KiB = 1024
const LIMITS = { maxApiBodyBytes: 64 * KiB, maxAttachmentBytes: 512 * KiB, maxAttachmentsTotalBytes: 512 * KiB, maxAttachments: 3 }

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], { extra: { limits: LIMITS } })
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

async function post(node: TestNode, body: FormData | string, headers: Record<string, string> = {}) {
  const res = await fetch(node.apiUrl + '/api/v1/letters', { method: 'POST', headers: { authorization: `Bearer ${node.apiKey}`, ...headers }, body })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as any }
}

/** A letter to mof with one PDF attachment of `kib` KiB, as a form. */
function form(kib: number): FormData {
  const f = new FormData()
  f.append('letter', new Blob([JSON.stringify(thaiLetter(['mof']))], { type: 'application/json' }))
  f.append('attachment', new File([randomBytes(kib * KiB)], 'scan.pdf', { type: 'application/pdf' }))
  return f
}

t.test('a multipart form larger than maxApiBodyBytes, within the attachment limits, is accepted', async (t) => {
  const res = await post(net.nodes.moi!, form(300))
  t.equal(res.status, 202, JSON.stringify(res.body))
})

t.test('a multipart form past the attachment limits is still refused (413, naming the attachment)', async (t) => {
  const res = await post(net.nodes.moi!, form(600))
  t.equal(res.status, 413, JSON.stringify(res.body))
  t.equal(res.body.code, 'ERR_PAYLOAD_TOO_LARGE')
})

t.test('a JSON body over maxApiBodyBytes is refused with a sentence that sends large files to multipart', async (t) => {
  const body = JSON.stringify({ letter: thaiLetter(['mof']), attachments: [{ filename: 'scan.pdf', mediaType: 'application/pdf', content: randomBytes(100 * KiB).toString('base64') }] })
  const res = await post(net.nodes.moi!, body, { 'content-type': 'application/json' })
  t.equal(res.status, 413, JSON.stringify(res.body))
  t.match(res.contentType, /^application\/problem\+json/)
  t.equal(res.body.code, 'ERR_PAYLOAD_TOO_LARGE')
  t.match(res.body.detail, /limits\.maxApiBodyBytes/)
  t.match(res.body.detail, /multipart\/form-data/)
})
