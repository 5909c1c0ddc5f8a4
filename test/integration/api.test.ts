// The local REST API: bad input is refused with problem+json naming the field, and nothing is stored.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { testNet, call, thaiLetter, type TestNet } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi'])
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const outboxSize = async () => (await call(net.nodes.moi!, 'GET', '/api/v1/outbox?limit=500')).body.items.length

async function refused(t: Test, res: { status: number; headers: Headers; body: any }, status: number, code: string, field?: string) {
  t.equal(res.status, status, JSON.stringify(res.body))
  t.match(res.headers.get('content-type'), /^application\/problem\+json/)
  t.equal(res.body.code, code)
  if (field) t.ok(res.body.errors?.some((e: { field: string }) => e.field === field) || res.body.field === field, `names ${field}: ${JSON.stringify(res.body)}`)
}

t.test('authentication', async (t) => {
  const res = await fetch(net.nodes.moi!.apiUrl + '/api/v1/outbox')
  await refused(t, { status: res.status, headers: res.headers, body: (await res.json()) as any }, 401, 'ERR_UNAUTHORIZED', '/headers/authorization')
  const wrong = await fetch(net.nodes.moi!.apiUrl + '/api/v1/outbox', { headers: { authorization: 'Bearer nope' } })
  t.equal(wrong.status, 401)
  const health = await fetch(net.nodes.moi!.apiUrl + '/healthz')
  t.equal(health.status, 200, '/healthz needs no key')
  t.same(await health.json(), { status: 'ok' }, 'without a key: the status only (issue 13 §1)')
  const detailed = await call(net.nodes.moi!, 'GET', '/healthz')
  t.equal(detailed.body.status, 'ok')
  t.same(detailed.body.agencies, ['moi'], 'with a key: the details, for its agencies')
  t.ok(detailed.body.outbox, 'and the queue counts')
  const wrongKey = await fetch(net.nodes.moi!.apiUrl + '/healthz', { headers: { authorization: 'Bearer nope' } })
  t.equal(wrongKey.status, 401, 'a wrong key is refused, not ignored')
  for (const r of [res, wrong, health, wrongKey]) {
    t.equal(r.headers.get('x-content-type-options'), 'nosniff', 'every answer: nosniff')
    t.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", 'every API answer: a restrictive CSP')
  }
  const docs = await fetch(net.nodes.moi!.apiUrl + '/docs/')
  t.equal(docs.status, 200)
  t.notMatch(docs.headers.get('content-security-policy') ?? '', /default-src 'none'/, '/docs keeps what Swagger UI needs')
})

t.test('malformed requests are refused and nothing is stored', async (t) => {
  const moi = net.nodes.moi!
  await refused(t, await call(moi, 'POST', '/api/v1/letters', '{"letter": '), 400, 'ERR_REQUEST_INVALID')
  const bad = await call(moi, 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['mof']), subject: undefined, urgency: 'SOON' } })
  await refused(t, bad, 422, 'ERR_LETTER_INVALID', '/letter/subject')
  t.ok(bad.body.errors.some((e: { field: string }) => e.field === '/letter/urgency'), 'every problem is listed')
  await refused(t, await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['nosuch']) }), 422, 'ERR_UNKNOWN_AGENCY', '/letter/recipients/0/agency')
  await refused(t, await call(moi, 'POST', '/api/v1/letters', {
    letter: thaiLetter(['moi']), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: 'not base64!' }],
  }), 400, 'ERR_REQUEST_INVALID', '/attachments/0/content')
  await refused(t, await call(moi, 'POST', '/api/v1/letters', { letter: { ...thaiLetter(['moi']), sender: { agency: 'mof' } } }), 422, 'ERR_SENDER_NOT_HOSTED', '/letter/sender/agency')
  t.equal(await outboxSize(), 0, 'the outbox is still empty')
})

t.test('unknown ids are 404 problems', async (t) => {
  await refused(t, await call(net.nodes.moi!, 'GET', `/api/v1/letters/${randomUUID()}`), 404, 'ERR_NOT_FOUND')
  await refused(t, await call(net.nodes.moi!, 'GET', `/api/v1/inbox/${randomUUID()}`), 404, 'ERR_NOT_FOUND')
  await refused(t, await call(net.nodes.moi!, 'GET', '/api/v1/nothing-here'), 404, 'ERR_NOT_FOUND')
  await refused(t, await call(net.nodes.moi!, 'GET', '/api/v1/letters/not-a-uuid'), 400, 'ERR_REQUEST_INVALID', '/path/id')
  t.equal((await call(net.nodes.moi!, 'GET', `/api/v1/letters/${randomUUID()}`)).body.field, '/path/id', 'a 404 names the path parameter the same way (issue 20 §5)')
})

t.test('outbox pages with an opaque cursor, newest first, without gaps', async (t) => {
  const moi = net.nodes.moi!
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['moi'], { subject: `หน้า ${i}` }) })).body.id)
  const seen: string[] = []
  let cursor: string | undefined
  do {
    const page = await call(moi, 'GET', `/api/v1/outbox?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(page.status, 200)
    seen.push(...page.body.items.map((i: { id: string }) => i.id))
    cursor = page.body.nextCursor
  } while (cursor)
  t.same(seen, [...ids].reverse())
  await refused(t, await call(moi, 'GET', '/api/v1/outbox?cursor=Zm9v'), 400, 'ERR_REQUEST_INVALID', '/query/cursor')
})

t.test('node, directory and OpenAPI', async (t) => {
  const node = await call(net.nodes.moi!, 'GET', '/api/v1/node')
  t.same(node.body.agencies, ['moi'])
  t.same(node.body.profiles, ['jose-v1', 'cms-v1', 'jose-v2']) // jose-v2 last (PROTOCOL.md §17.7)
  const dir = await call(net.nodes.moi!, 'GET', '/api/v1/directory')
  t.same(dir.body.agencies.map((a: { id: string }) => a.id).sort(), ['dga', 'mof', 'moi'])
  const doc = (await (await fetch(net.nodes.moi!.apiUrl + '/docs/json')).json()) as any
  t.equal(doc.openapi, '3.1.0')
  for (const path of ['/api/v1/letters', '/api/v1/letters/{id}', '/api/v1/inbox/{id}/attachments/{attachmentId}', '/api/v1/letters/{id}/evidence']) {
    t.ok(doc.paths[path], `OpenAPI documents ${path}`)
  }
})
