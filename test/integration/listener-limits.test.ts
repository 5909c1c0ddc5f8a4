// Listener timeouts, connection closing after a refusal, large bodies in flight per peer, and the
// framework's own answers as problem+json, over real TLS (issue 13 §2; PROTOCOL.md §3.2, §4.4, §9).
// Timeouts are configured small here; the assertions are on outcomes (status, code, closed), never
// on how long anything took.
import t from 'tap'
import { testNet, type TestNet } from '../helpers/nodes.js'
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], {
    listeners: (id) => id === 'mof'
      // mof: short timeouts, to be cut off by them.
      ? { federation: { connections: { headersTimeoutMs: 300, requestTimeoutMs: 900, idleTimeoutMs: 20_000 } }, api: { connections: { headersTimeoutMs: 300, requestTimeoutMs: 900 } } }
      // moi: long timeouts (nothing here is cut by one), one large body per peer.
      : { federation: { largeBodies: { thresholdBytes: 1024, perPeer: 1, total: 4, retryAfterSeconds: 7 } } },
  })
  await net.nodes.mof!.start()
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const tlsOf = (agency?: string) => {
  const ca = net.fed.root.certPem
  if (agency === undefined) return { ca }
  const tls = net.fed.agencies[agency]!.tls
  return { ca, key: tls.keyPem, cert: tls.chainPem }
}
const problem = (a: RawAnswer) => JSON.parse(a.body) as { code: string; detail?: string; instance?: string; field?: string }
const post = (length: number, extra = '') => `POST /federation/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/jose\r\nContent-Length: ${length}${extra}`

t.test('a slow body is cut off after requestTimeoutMs with 408 and the connection closed', async (t) => {
  const a = await rawRequest({ port: net.nodes.mof!.federationPort, tls: tlsOf('moi'), head: post(100_000), body: Buffer.from('eyJ'), trickle: { chunk: Buffer.from('A'), everyMs: 50 } })
  t.ok(a.closedByServer, 'the server closed the connection')
  t.equal(a.status, 408)
  t.match(a.head, /content-type: application\/problem\+json/i)
  t.equal(problem(a).code, 'ERR_REQUEST_TIMEOUT')
})

t.test('slow headers are cut off after headersTimeoutMs', async (t) => {
  const a = await rawRequest({ port: net.nodes.mof!.federationPort, tls: tlsOf('moi'), head: 'GET /federation/v1/health HTTP/1.1\r\nHost: localhost', unfinishedHead: true })
  t.ok(a.closedByServer, 'the server closed the connection')
  t.equal(a.status, 408)
  t.equal(problem(a).code, 'ERR_REQUEST_TIMEOUT')
})

t.test('the API listener cuts a slow body too', async (t) => {
  const port = Number(new URL(net.nodes.mof!.apiUrl!).port)
  const a = await rawRequest({ port, head: `POST /api/v1/letters HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${net.nodes.mof!.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 100000`, body: Buffer.from('{'), trickle: { chunk: Buffer.from(' '), everyMs: 50 } })
  t.ok(a.closedByServer, 'the server closed the connection')
  t.equal(a.status, 408)
  t.equal(problem(a).code, 'ERR_REQUEST_TIMEOUT')
})

// moi has long timeouts: a connection that closes here was closed because the client was refused.
t.test('a client without a certificate gets 401 and its connection closed while it keeps sending', async (t) => {
  const a = await rawRequest({ port: net.nodes.moi!.federationPort, tls: tlsOf(), head: post(50_000_000), body: Buffer.alloc(4096, 0x41), trickle: { chunk: Buffer.alloc(4096, 0x41), everyMs: 10 }, giveUpMs: 10_000 })
  t.equal(a.status, 401)
  t.equal(problem(a).code, 'ERR_TLS_CLIENT_CERT_REQUIRED')
  t.match(a.head, /connection: close/i)
  t.ok(a.closedByServer, 'the server closed the connection')
  t.notMatch(a.raw, /HTTP\/1\.1 408/, 'closed by the refusal, not by a timeout')
})

t.test('a client with an untrusted certificate is closed the same way', async (t) => {
  const { foreignFederation } = await import('../helpers/federation.js')
  const foreign = await foreignFederation()
  const tls = foreign.agencies.moi!.tls
  const a = await rawRequest({ port: net.nodes.moi!.federationPort, tls: { ca: net.fed.root.certPem, key: tls.keyPem, cert: tls.chainPem }, head: post(50_000_000), trickle: { chunk: Buffer.alloc(4096, 0x41), everyMs: 10 }, giveUpMs: 10_000 })
  t.equal(a.status, 401)
  t.equal(problem(a).code, 'ERR_TLS_CLIENT_CERT_UNTRUSTED')
  t.ok(a.closedByServer, 'the server closed the connection')
})

t.test('large bodies in flight are bounded per peer (PROTOCOL.md §4.4)', async (t) => {
  const port = net.nodes.moi!.federationPort
  // The first large body from mof holds its one slot while it trickles.
  const first = rawRequest({ port, tls: tlsOf('mof'), head: post(1_000_000), trickle: { chunk: Buffer.alloc(1024, 0x41), everyMs: 20 }, giveUpMs: 3_000 })
  await new Promise((r) => setTimeout(r, 300))
  const second = await rawRequest({ port, tls: tlsOf('mof'), head: post(1_000_000), trickle: { chunk: Buffer.alloc(1024, 0x41), everyMs: 10 }, giveUpMs: 10_000 })
  t.equal(second.status, 503)
  t.equal(problem(second).code, 'ERR_BUSY')
  t.match(second.head, /retry-after: 7/i)
  t.ok(second.closedByServer, 'the refused connection is closed, its body unread')
  // A small body from the same peer is not held back.
  const small = await rawRequest({ port, tls: tlsOf('mof'), head: post(11, '\r\nConnection: close'), body: Buffer.from('hello.world') })
  t.equal(problem(small).code, 'ERR_ENVELOPE_MALFORMED')
  // Once the first ends, the slot is free again.
  await first
  const third = await rawRequest({ port, tls: tlsOf('mof'), head: post(2000, '\r\nConnection: close'), body: Buffer.alloc(2000, 0x41) })
  t.not(third.status, 503)
  t.not(problem(third).code, 'ERR_BUSY')
})

t.test('federation: unknown routes, wrong methods, bad URLs and large headers are problem+json without the URL', async (t) => {
  const port = net.nodes.mof!.federationPort
  const get = (path: string, extra = '') => rawRequest({ port, tls: tlsOf('moi'), head: `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close${extra}` })
  const marker = 'zz-echo-marker'
  const cases: Array<[string, RawAnswer, number, string]> = [
    ['unknown route', await get(`/federation/v1/${marker}?q=${marker}`), 404, 'ERR_NOT_FOUND'],
    ['wrong method', await get(`/federation/v1/messages?${marker}`), 405, 'ERR_METHOD_NOT_ALLOWED'],
    ['bad URL', await get(`/federation/v1/${marker}%E0%A4%A`), 400, 'ERR_REQUEST_INVALID'],
    ['large headers', await get(`/federation/v1/health?${marker}`, `\r\nX-Big: ${'a'.repeat(40_000)}`), 431, 'ERR_HEADERS_TOO_LARGE'],
  ]
  for (const [name, a, status, code] of cases) {
    t.equal(a.status, status, name)
    t.match(a.head, /content-type: application\/problem\+json/i, name)
    t.equal(problem(a).code, code, name)
    t.notMatch(a.body, marker, `${name}: the URL is not echoed`)
  }
  t.match(cases[1]![1].head, /allow: POST/i)
})
