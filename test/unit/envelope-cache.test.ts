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

t.test('a shared content is held once for all the heads that refer to it', async (t) => {
  const c = new EnvelopeCache(10_000)
  c.putContent(7, Buffer.alloc(2_000, 1))
  for (let i = 0; i < 50; i++) c.putParts(`m${i}`, { head: Buffer.alloc(40), contentId: 7, tail: Buffer.alloc(10) })
  t.equal(c.bytes, 2_000 + 50 * 50, 'content once + heads and tails')
  t.same(c.getParts('m3'), { head: Buffer.alloc(40), contentId: 7, tail: Buffer.alloc(10) })
  t.equal(c.get('m3'), undefined, 'get() is for whole envelopes only')
  t.equal(c.getContent(7)!.length, 2_000)
  // reading the content keeps it newest: filling the cache evicts old heads first
  for (let i = 50; i < 200; i++) {
    c.putParts(`m${i}`, { head: Buffer.alloc(40), contentId: 7, tail: Buffer.alloc(10) })
    c.getContent(7)
  }
  t.ok(c.bytes <= 10_000)
  t.ok(c.getContent(7), 'the content in use stays')
  t.equal(c.getParts('m0'), undefined, 'the oldest heads went')
  c.deleteContent(7)
  t.equal(c.getContent(7), undefined)
  c.putContent(8, Buffer.alloc(3_000))
  t.equal(c.getContent(8), undefined, 'a content larger than a quarter of the budget is not cached (read from the store)')
})
