import t from 'tap'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'

t.test('the cache stays within its byte budget, evicting the oldest first', async (t) => {
  const c = new EnvelopeCache(1000)
  c.put('a', Buffer.alloc(200))
  c.put('b', Buffer.alloc(200))
  c.put('c', Buffer.alloc(200))
  t.equal(c.bytes, 600)
  for (const id of ['d', 'e', 'f']) c.put(id, Buffer.alloc(200))
  t.ok(c.bytes <= 1000, `holds ${c.bytes} bytes`)
  t.equal(c.get('a'), undefined, 'the oldest went first')
  t.ok(c.get('f'), 'the newest stays')
  c.delete('f')
  t.equal(c.get('f'), undefined)
  c.put('huge', Buffer.alloc(600))
  t.equal(c.get('huge'), undefined, 'an envelope larger than a quarter of the budget is not cached')
  c.put('e', Buffer.alloc(100))
  t.equal(c.get('e')!.length, 100, 'a second put replaces, and the byte count follows')
  t.equal(c.bytes, [...'bcde'].reduce((n, id) => n + (c.get(id)?.length ?? 0), 0))
})
