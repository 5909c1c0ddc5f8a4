// The API listener's own answers (issue 13 §2): unsupported media types are 415 problem+json naming
// Content-Type and what is accepted, on every route with a body; unknown routes, wrong methods, bad
// and long URLs and large headers are problem+json with a stable code that does not echo the URL.
import t from 'tap'
import { testNet, type TestNet } from '../helpers/nodes.js'
import { rawRequest } from '../helpers/raw-http.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi'], { extra: { notifications: { maxStreamsPerAgency: 1 } } })
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const id = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f'
const ROUTES_WITH_BODY = [
  '/api/v1/letters',
  `/api/v1/letters/${id}/withdraw`,
  `/api/v1/letters/${id}/dispute`,
  `/api/v1/inbox/${id}/register`,
  `/api/v1/inbox/${id}/reject`,
  '/api/v1/registers/send/numbers',
  '/api/v1/registers/send/entries/2569/1/cancel',
]
const UNSUPPORTED = ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream']

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const node = net.nodes.moi!
  const res = await fetch(node.apiUrl + path, { method, headers: { authorization: `Bearer ${node.apiKey}`, ...headers }, ...(body === undefined ? {} : { body }) })
  return { status: res.status, type: res.headers.get('content-type') ?? '', allow: res.headers.get('allow'), text: await res.text() }
}

t.test('unsupported media types are 415 ERR_UNSUPPORTED_MEDIA_TYPE naming Content-Type and the accepted types', async (t) => {
  for (const path of ROUTES_WITH_BODY) {
    for (const type of UNSUPPORTED) {
      const a = await send('POST', path, { 'content-type': type }, 'hello')
      const name = `${type} → ${path}`
      t.equal(a.status, 415, name)
      t.match(a.type, /^application\/problem\+json/, name)
      const p = JSON.parse(a.text)
      t.equal(p.code, 'ERR_UNSUPPORTED_MEDIA_TYPE', name)
      t.equal(p.field, '/headers/content-type', name)
      t.match(p.detail, /application\/json/, `${name}: the accepted type is named`)
    }
  }
  const letters = JSON.parse((await send('POST', '/api/v1/letters', { 'content-type': 'text/plain' }, 'x')).text)
  t.match(letters.detail, /multipart\/form-data/, 'POST /api/v1/letters names multipart too')
})

t.test('framework answers are problem+json without the URL', async (t) => {
  const marker = 'zz-echo-marker'
  const cases: Array<[string, Awaited<ReturnType<typeof send>>, number, string]> = [
    ['unknown route', await send('GET', `/api/v1/${marker}?q=${marker}`, {}), 404, 'ERR_NOT_FOUND'],
    ['wrong method', await send('DELETE', `/api/v1/letters?${marker}`, {}), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['wrong method on a path with a parameter', await send('DELETE', `/api/v1/letters/0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f?${marker}`, {}), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['long path segment', await send('GET', `/api/v1/letters/${marker}${'a'.repeat(600)}`, {}), 414, 'ERR_URI_TOO_LONG'],
  ]
  for (const [name, a, status, code] of cases) {
    t.equal(a.status, status, name)
    t.match(a.type, /^application\/problem\+json/, name)
    t.equal(JSON.parse(a.text).code, code, name)
    t.notMatch(a.text, marker, `${name}: the URL is not echoed`)
  }
  t.match(cases[1]![1].allow ?? '', /POST/, 'Allow names the methods the resource answers')
  t.match(cases[2]![1].allow ?? '', /GET/, 'also for a path with a parameter (issue 20 §5)')

  const port = Number(new URL(net.nodes.moi!.apiUrl!).port)
  const raw = (head: string) => rawRequest({ port, head: `${head}\r\nConnection: close` })
  const bad = await raw(`GET /api/v1/${marker}%E0%A4%A HTTP/1.1\r\nHost: localhost`)
  t.equal(bad.status, 400)
  t.equal(JSON.parse(bad.body).code, 'ERR_REQUEST_INVALID')
  t.notMatch(bad.body, marker)
  const big = await raw(`GET /healthz?${marker} HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(40_000)}`)
  t.equal(big.status, 431)
  t.match(big.head, /content-type: application\/problem\+json/i)
  t.equal(JSON.parse(big.body).code, 'ERR_HEADERS_TOO_LARGE')
  t.notMatch(big.body, marker)
})

t.test('an agency past notifications.maxStreamsPerAgency gets 429 ERR_TOO_MANY_AGENCY_STREAMS', async (t) => {
  const node = net.nodes.moi!
  const ac = new AbortController()
  const first = await fetch(`${node.apiUrl}/api/v1/events`, { headers: { authorization: `Bearer ${node.apiKey}`, accept: 'text/event-stream' }, signal: ac.signal })
  t.equal(first.status, 200)
  const second = await send('GET', '/api/v1/events', { accept: 'text/event-stream' })
  t.equal(second.status, 429)
  t.match(second.type, /^application\/problem\+json/)
  t.equal(JSON.parse(second.text).code, 'ERR_TOO_MANY_AGENCY_STREAMS')
  ac.abort()
  await first.body?.cancel().catch(() => undefined)
})
