// The RFC 3161 client against our TSA over real HTTP, and its failures: nothing listening, a server that
// never answers (the timeout), an answer that is not a TimeStampResp, a refusal.
import t from 'tap'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { TsaClient } from '../../src/tsa/client.js'
import { verifyTimeStampToken } from '../../src/tsa/verify.js'
import { SarabanError } from '../../src/errors.js'
import { testTrust } from '../helpers/federation.js'
import { freePort } from '../helpers/nodes.js'
import { testTsa } from '../helpers/tsa.js'

const imprint = createHash('sha256').update('signature').digest()

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return err instanceof SarabanError ? err.code : `not a SarabanError: ${String(err)}`
  }
}

t.test('stamps over HTTP and the token verifies with our nonce', async (t) => {
  const { anchors } = await testTrust()
  const tsa = await testTsa()
  t.teardown(() => tsa.stop())
  const client = new TsaClient({ url: tsa.url, timeoutMs: 5000 })
  t.teardown(() => client.close())
  const { token, nonce } = await client.stamp(imprint)
  const v = await verifyTimeStampToken(token, { imprint, anchors, nonce })
  t.ok(v.ok, v.ok ? 'verified' : v.reason)
})

t.test('nothing listening: ERR_TSA_UNAVAILABLE', async (t) => {
  const client = new TsaClient({ url: `http://127.0.0.1:${await freePort()}/`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  t.equal(await codeOf(client.stamp(imprint)), 'ERR_TSA_UNAVAILABLE')
})

t.test('a TSA that never answers: ERR_TSA_UNAVAILABLE after the timeout', async (t) => {
  const sockets: Socket[] = []
  const silent = createTcpServer((s) => { sockets.push(s) }) // accepts, reads, never writes
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const client = new TsaClient({ url: `http://127.0.0.1:${(silent.address() as { port: number }).port}/`, timeoutMs: 500 })
  t.teardown(() => client.close())
  const start = Date.now()
  t.equal(await codeOf(client.stamp(imprint)), 'ERR_TSA_UNAVAILABLE')
  const took = Date.now() - start
  t.ok(took >= 400 && took < 3000, `gave up after ${took} ms`)
})

t.test('answers that are not a granted TimeStampResp', async (t) => {
  let mode = 'junk'
  const server = createServer((req, res) => {
    req.resume()
    if (mode === 'junk') res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end('not asn.1')
    else if (mode === '503') res.writeHead(503).end()
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const client = new TsaClient({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  t.equal(await codeOf(client.stamp(imprint)), 'ERR_TSA_UNAVAILABLE', 'junk bytes')
  mode = '503'
  t.equal(await codeOf(client.stamp(imprint)), 'ERR_TSA_UNAVAILABLE', 'HTTP 503')
  mode = 'html'
  t.equal(await codeOf(client.stamp(imprint)), 'ERR_TSA_REFUSED', 'another media type')
})
