// Issue 16 item 2: request bodies read into one buffer of their declared length (src/http/exact-body.ts),
// over a real HTTP listener: the bytes arrive intact whether they come with Content-Length or chunked,
// and Fastify's limits and codes still hold (413 over bodyLimit, declared or counted).
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { readExactBody } from '../../src/http/exact-body.js'

const LIMIT = 4 * 1024 * 1024
let app: FastifyInstance
let port: number

t.before(async () => {
  app = Fastify({ bodyLimit: LIMIT })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/jose', (req, payload, done) => readExactBody(req, payload, done))
  app.post('/echo', async (req) => ({ length: (req.body as Buffer).length, sha256: createHash('sha256').update(req.body as Buffer).digest('hex') }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
})
t.teardown(() => app.close())

/** POSTs `body` in 7 KiB pieces (several socket reads), with or without Content-Length. */
function post(body: Buffer, chunked: boolean, declared = body.length): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/jose', ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(declared) }) }
    const req = request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }))
    })
    req.on('error', reject)
    const pieces = Array.from({ length: Math.ceil(body.length / 7168) }, (_, i) => body.subarray(i * 7168, (i + 1) * 7168))
    Readable.from(pieces).pipe(req)
  })
}

t.test('a body with Content-Length arrives intact', async (t) => {
  const body = randomBytes(3 * 1024 * 1024 + 5)
  const res = await post(body, false)
  t.equal(res.status, 200)
  t.same(res.json, { length: body.length, sha256: createHash('sha256').update(body).digest('hex') })
})

t.test('a chunked body (no Content-Length) arrives intact', async (t) => {
  const body = randomBytes(1024 * 1024 + 1)
  const res = await post(body, true)
  t.equal(res.status, 200)
  t.same(res.json, { length: body.length, sha256: createHash('sha256').update(body).digest('hex') })
})

t.test('an empty body is an empty buffer', async (t) => {
  const res = await post(Buffer.alloc(0), false)
  t.equal(res.status, 200)
  t.equal(res.json['length'], 0)
})

t.test('a declared length over bodyLimit is refused with Fastify\'s code', async (t) => {
  const res = await post(randomBytes(LIMIT + 1), false)
  t.equal(res.status, 413)
  t.equal(res.json['code'], 'FST_ERR_CTP_BODY_TOO_LARGE')
})

t.test('a chunked body that grows over bodyLimit is refused', async (t) => {
  const res = await post(randomBytes(LIMIT + 1), true)
  t.equal(res.status, 413)
  t.equal(res.json['code'], 'FST_ERR_CTP_BODY_TOO_LARGE')
})
