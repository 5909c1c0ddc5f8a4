// PROTOCOL.md §5.6: signed JSON texts are strict I-JSON (RFC 7493): a member name twice is refused
// in every signed header and payload, whatever a parser would keep.
import t from 'tap'
import { firstDuplicateMember, parseStrictJsonObject } from '../../src/domain/strict-json.js'

t.test('repeated names are found at any depth, after unescaping, and named by their pointer', async (t) => {
  t.equal(firstDuplicateMember('{"a":1,"b":2}'), undefined)
  t.equal(firstDuplicateMember('{"a":1,"a":2}'), '/a')
  t.equal(firstDuplicateMember('{"a":1,"\\u0061":2}'), '/a', 'an escaped name is the same name')
  t.equal(firstDuplicateMember('{"x":{"a":{},"b":[{"c":1,"c":2}]}}'), '/x/b/0/c')
  t.equal(firstDuplicateMember('{"x":[1,2,{"k":"\\"}","k":0}]}'), '/x/2/k', 'quotes and braces inside strings are text')
  t.equal(firstDuplicateMember('{"a/b":1,"a/b":2}'), '/a~1b')
  t.equal(firstDuplicateMember('[{"a":1},{"a":1}]'), undefined, 'the same name in two objects is fine')
  t.equal(firstDuplicateMember('{"s":"a\\\\","t":"a\\\\"}'), undefined, 'a string ending in an escaped backslash ends there')
})

t.test('parseStrictJsonObject says why', async (t) => {
  t.same(parseStrictJsonObject(Buffer.from('{"v":1}')), { ok: true, value: { v: 1 } })
  t.match(parseStrictJsonObject(Buffer.from('{"v":1,"v":2}')), { ok: false, problem: 'duplicate', pointer: '/v' })
  t.match(parseStrictJsonObject(Buffer.from([0x7b, 0xff, 0x7d])), { ok: false, problem: 'utf8' })
  t.match(parseStrictJsonObject(Buffer.from('[1]')), { ok: false, problem: 'not-object' })
  t.match(parseStrictJsonObject(Buffer.from('{')), { ok: false, problem: 'syntax' })
})
