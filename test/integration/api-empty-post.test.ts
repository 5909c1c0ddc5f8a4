// Regression (found by npm run fuzz, seed 11, api iteration 636): POST /api/v1/letters without a
// body and without a Content-Type answered 500 ERR_INTERNAL (a TypeError on the missing body).
import t from 'tap'
import { testNet, type TestNet } from '../helpers/nodes.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi'])
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

t.test('POST /api/v1/letters with no body: 400 ERR_REQUEST_INVALID, nothing stored', async (t) => {
  const moi = net.nodes.moi!
  const res = await fetch(`${moi.apiUrl}/api/v1/letters`, { method: 'POST', headers: { authorization: `Bearer ${moi.apiKey}` } })
  t.equal(res.status, 400)
  t.match(res.headers.get('content-type'), /^application\/problem\+json/)
  const body = (await res.json()) as { code: string; field: string }
  t.equal(body.code, 'ERR_REQUEST_INVALID')
  t.equal(body.field, '', 'the whole body (a JSON Pointer)')
  t.equal((moi.ctx!.db.sqlite.prepare('SELECT count(*) AS n FROM letters').get() as { n: number }).n, 0, 'no letter stored')
})
