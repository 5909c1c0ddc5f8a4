// One byte range per request (RFC 9110 §14.1.2): what is sent, what is refused (416), what is ignored.
import t from 'tap'
import { byteRange, etagOf } from '../../src/api/byte-range.js'

const E = etagOf('ab'.repeat(32))
t.test('byteRange', async (t) => {
  t.same(byteRange('bytes=0-99', undefined, E, 1000), { start: 0, end: 100 })
  t.same(byteRange('bytes=900-', undefined, E, 1000), { start: 900, end: 1000 })
  t.same(byteRange('bytes=-10', undefined, E, 1000), { start: 990, end: 1000 })
  t.same(byteRange('bytes=-5000', undefined, E, 1000), { start: 0, end: 1000 }, 'a suffix longer than the file is the whole file')
  t.same(byteRange('bytes=990-5000', undefined, E, 1000), { start: 990, end: 1000 }, 'the last byte is clipped')
  t.equal(byteRange('bytes=1000-', undefined, E, 1000), 'unsatisfiable')
  t.equal(byteRange('bytes=-0', undefined, E, 1000), 'unsatisfiable')
  t.equal(byteRange('bytes=0-0', undefined, E, 0), 'unsatisfiable', 'nothing to send from an empty file')
  for (const ignored of ['bytes=5-1', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=a-b', 'bytes= 1-2']) t.equal(byteRange(ignored, undefined, E, 1000), undefined, ignored)
  t.equal(byteRange(undefined, undefined, E, 1000), undefined)
  t.equal(byteRange('bytes=0-1', '"other"', E, 1000), undefined, 'If-Range with another validator: the whole file')
  t.same(byteRange('bytes=0-1', E, E, 1000), { start: 0, end: 2 })
})
