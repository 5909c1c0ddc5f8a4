// Fetching trust documents over real HTTPS on loopback (PROTOCOL.md §14.1): src/services/sources/fetch-document.ts.
import t from 'tap'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { documentFetcher } from '../../src/services/sources/fetch-document.js'
import { foreignFederation, testFederation } from '../helpers/federation.js'

async function serve(tls: { key: string; cert: string }, handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer({ ...tls }, handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

t.test('https: trusted server, ETag round trip, limits and failures are ERR_TRUST_DOCUMENT_UNAVAILABLE', async (t) => {
  const fed = await testFederation()
  const tls = { key: fed.agencies.mof!.tls.keyPem, cert: fed.agencies.mof!.tls.chainPem }
  const body = Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30.sig')
  const { server, url } = await serve(tls, (req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 6000)
    if (req.url === '/big') return void res.end(Buffer.alloc(4096))
    if (req.url === '/missing') return void res.writeHead(404).end()
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end()
    res.writeHead(200, { etag: '"v1"' }).end(body)
  })
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const settings = { timeoutMs: 15_000, maxBytes: 1024, extraCa: [fed.root.certPem] }
  const f = documentFetcher(`${url}/directory.jws`, settings)
  t.teardown(() => f.close())
  const first = await f.fetch()
  t.same(first, { kind: 'document', bytes: body, etag: '"v1"' })
  t.same(await f.fetch('"v1"'), { kind: 'unchanged' }, 'If-None-Match → 304')
  for (const [path, why] of [['/slow', 'too slow'], ['/big', 'too large'], ['/missing', 'HTTP 404']] as const) {
    const g = documentFetcher(`${url}${path}`, path === '/slow' ? { ...settings, timeoutMs: 1500 } : settings)
    await t.rejects(g.fetch(), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE', message: path === '/slow' ? /no answer within 1500 ms/ : /./ }, why)
    await g.close()
  }
  const untrusting = documentFetcher(`${url}/directory.jws`, { timeoutMs: 15_000, maxBytes: 1024 })
  await t.rejects(untrusting.fetch(), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE' }, 'a server certificate under no trusted root')
  await untrusting.close()
})

t.test('https: a server certificate from another federation is refused', async (t) => {
  const [fed, foreign] = await Promise.all([testFederation(), foreignFederation()])
  const { server, url } = await serve({ key: foreign.agencies.moi!.tls.keyPem, cert: foreign.agencies.moi!.tls.chainPem }, (_req, res) => res.end('x'))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const f = documentFetcher(`${url}/directory.jws`, { timeoutMs: 15_000, maxBytes: 1024, extraCa: [fed.root.certPem] })
  await t.rejects(f.fetch(), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE' })
  await f.close()
})

t.test('files: read whole, bounded; http:// is refused outright', async (t) => {
  const dir = t.testdir({ 'd.jws': 'abc', 'big.jws': 'x'.repeat(2000) })
  const ok = documentFetcher(`${dir}/d.jws`, { timeoutMs: 1000, maxBytes: 1024 })
  t.same(await ok.fetch(), { kind: 'document', bytes: Buffer.from('abc') })
  await t.rejects(documentFetcher(`${dir}/big.jws`, { timeoutMs: 1000, maxBytes: 1024 }).fetch(), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE' })
  await t.rejects(documentFetcher(`${dir}/none.jws`, { timeoutMs: 1000, maxBytes: 1024 }).fetch(), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE' })
  t.throws(() => documentFetcher('http://127.0.0.1/directory.jws', { timeoutMs: 1000, maxBytes: 1024 }), { code: 'ERR_CONFIG_INVALID' })
})
