// Issue 16 item 3: a node hosting many recipients of one circular opens its shared content once
// (services/receive/open-memo.ts, PROTOCOL.md §17.1). A held opening is used only for an envelope
// with the same content key, IV, AAD, tag, ciphertext and routing sender, and each envelope still
// binds its own routing (§17.3); the memo is bounded in bytes and in time.
import t from 'tap'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import type { HeldOpening, OpenMemo } from '../../src/crypto/types.js'
import { OpenedContents } from '../../src/services/receive/open-memo.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const pdf = bytesOf(200_000, 7)

/** The memo, counting the gets it answered with a held opening (used only if its ciphertext matches). */
function counting(inner: OpenMemo): OpenMemo & { hits: number } {
  const m = {
    hits: 0,
    get(key: string) {
      const o = inner.get(key)
      if (o !== undefined) m.hits++
      return o
    },
    set: (key: string, held: HeldOpening, bytes: number) => inner.set(key, held, bytes),
  }
  return m
}

async function circular(to: string[]) {
  const input = sealManyInput(fed, 'moi', to, [pdf])
  const sealed = await joseV2.sealMany(input)
  const env = (i: number) => Buffer.concat([sealed.parts[i]!.head, sealed.shared, sealed.parts[i]!.tail])
  return { input, sealed, env }
}
const key = (agency: string) => fed.agencies[agency]!.encryption.key

t.test('the second recipient of a circular on this node gets the first opening, bound to its own routing', async (t) => {
  const c = await circular(['mof', 'dga'])
  const memo = counting(new OpenedContents({ now: () => 0 }))
  const first = await joseV2.open(c.env(0), key('mof'), undefined, memo)
  t.equal(memo.hits, 0)
  const second = await joseV2.open(c.env(1), key('dga'), undefined, memo)
  t.equal(memo.hits, 1, 'opened once')
  t.equal(second.payload, first.payload)
  t.ok(second.attachments[0]!.equals(pdf))
  // Routed to an agency the signed letter does not address: refused on a hit too (§17.3).
  const rerouted = Buffer.from(c.env(0).toString('utf8').replace('"srb_to":"mof"', '"srb_to":"moi"'), 'utf8')
  await t.rejects(joseV2.open(rerouted, key('mof'), undefined, memo), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'srb_to' })
  t.equal(memo.hits, 2, 'that refusal came from the held opening')
})

t.test('another sender, another tag or another ciphertext is not the held opening', async (t) => {
  const c = await circular(['mof', 'dga'])
  const memo = counting(new OpenedContents({ now: () => 0 }))
  await joseV2.open(c.env(0), key('mof'), undefined, memo)
  const text = c.env(1).toString('utf8')
  const from = Buffer.from(text.replace('"srb_from":"moi"', '"srb_from":"mof"'), 'utf8')
  await t.rejects(joseV2.open(from, key('dga'), undefined, memo), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'srb_from' })
  const tag = JSON.parse(text).tag as string
  const badTag = Buffer.from(text.replace(`"tag":"${tag}"`, `"tag":"${tag[0] === 'A' ? 'B' : 'A'}${tag.slice(1)}"`), 'utf8')
  await t.rejects(joseV2.open(badTag, key('dga'), undefined, memo), { code: 'ERR_DECRYPT_FAILED' })
  const at = c.sealed.parts[1]!.head.length + 100
  const badText = Buffer.from(c.env(1))
  badText[at] = badText[at] === 0x41 ? 0x42 : 0x41
  t.equal(memo.hits, 0, 'another sender or tag: another key')
  // The same key, IV and tag with another ciphertext (whoever holds the key can forge a GCM tag):
  // the held opening is found and not used, since its ciphertext differs.
  await t.rejects(joseV2.open(badText, key('dga'), undefined, memo), { code: 'ERR_DECRYPT_FAILED' })
  t.equal(memo.hits, 1)
  t.equal((await joseV2.open(c.env(1), key('dga'), undefined, memo)).attachments[0]!.length, pdf.length)
  t.equal(memo.hits, 2, 'the genuine part gets it')
})

t.test('bounded: a content larger than the budget is not kept; entries expire', async (t) => {
  let now = 0
  const c = await circular(['mof', 'dga'])
  const tiny = counting(new OpenedContents({ now: () => now }, { maxBytes: 1000 }))
  await joseV2.open(c.env(0), key('mof'), undefined, tiny)
  await joseV2.open(c.env(1), key('dga'), undefined, tiny)
  t.equal(tiny.hits, 0, 'too large to keep')
  const inner = new OpenedContents({ now: () => now }, { ttlMs: 1000 })
  const memo = counting(inner)
  await joseV2.open(c.env(0), key('mof'), undefined, memo)
  t.equal(inner.size.entries, 1)
  t.ok(inner.size.bytes >= pdf.length)
  now = 1001
  await joseV2.open(c.env(1), key('dga'), undefined, memo)
  t.equal(memo.hits, 0, 'expired')
  // Two letters in a budget for one: the older goes.
  const d = await circular(['mof', 'dga'])
  const one = new OpenedContents({ now: () => now }, { maxBytes: inner.size.bytes + 10 })
  await joseV2.open(c.env(0), key('mof'), undefined, one)
  await joseV2.open(d.env(0), key('mof'), undefined, one)
  t.equal(one.size.entries, 1)
  const m = counting(one)
  await joseV2.open(d.env(1), key('dga'), undefined, m)
  t.equal(m.hits, 1, 'the newer is kept')
})

t.test('an evidence archive opens a circular\'s parts with their content key once (openWithContentKey)', async (t) => {
  const c = await circular(['mof', 'dga'])
  const memo = counting(new OpenedContents({ now: () => 0 }))
  const cek = c.sealed.parts[0]!.contentKey
  const a = await joseV2.openWithContentKey(c.env(0), cek, memo)
  const b = await joseV2.openWithContentKey(c.env(1), cek, memo)
  t.equal(memo.hits, 1)
  t.equal(b.payload, a.payload)
  await t.rejects(joseV2.openWithContentKey(c.env(1), Buffer.alloc(32, 7), memo), { code: 'ERR_DECRYPT_FAILED' }, 'another key is not the held opening')
  t.equal(memo.hits, 1)
})

t.test('cms-v1 parts of a circular (PROTOCOL.md §17.6) are opened once too, each bound to its own routing headers', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [pdf])
  const sealed = await cmsV1.sealMany(input)
  const env = (i: number) => Buffer.concat([sealed.parts[i]!.head, sealed.shared, sealed.parts[i]!.tail])
  const routing = (i: number, to = sealed.parts[i]!.to) => ({ messageId: sealed.parts[i]!.messageId, from: 'moi', to })
  const memo = counting(new OpenedContents({ now: () => 0 }))
  const a = await cmsV1.open(env(0), key('mof'), routing(0), memo)
  const b = await cmsV1.open(env(1), key('dga'), routing(1), memo)
  t.equal(memo.hits, 1)
  t.equal(b.payload, a.payload)
  t.ok(b.attachments[0]!.equals(pdf))
  await t.rejects(cmsV1.open(env(0), key('mof'), routing(0, 'moi'), memo), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'Saraban-To' })
  t.equal(memo.hits, 2, 'refused from the held opening')
  await t.rejects(cmsV1.open(env(1), key('dga'), { ...routing(1), from: 'mof' }, memo), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'Saraban-From' })
  t.equal(memo.hits, 2, 'another routing sender is not the held opening')
})

t.test('the memo keeps its own copy of the ciphertext: the first envelope\'s bytes may be reused', async (t) => {
  // A hosting node lends a frame to the next part once a receive is over (federation/shared-ref.ts),
  // and a reference may name any span as shared: a view into the first envelope could change under
  // the memo. Here the first envelope's buffer is overwritten with another ciphertext after it was
  // opened; an envelope carrying that other ciphertext must not get the held opening.
  const c = await circular(['mof', 'dga'])
  const memo = counting(new OpenedContents({ now: () => 0 }))
  const first = c.env(0)
  await joseV2.open(first, key('mof'), undefined, memo)
  const at = c.sealed.parts[0]!.head.length + 100
  first[at] = first[at] === 0x41 ? 0x42 : 0x41
  const forged = Buffer.from(c.env(1))
  forged[c.sealed.parts[1]!.head.length + 100] = first[at]!
  await t.rejects(joseV2.open(forged, key('dga'), undefined, memo), { code: 'ERR_DECRYPT_FAILED' }, 'compared with the bytes opened, not with what the buffer holds now')
  t.equal(memo.hits, 1, 'the held opening was found and not used')
  t.equal((await joseV2.open(c.env(1), key('dga'), undefined, memo)).attachments[0]!.length, pdf.length, 'the genuine part still gets it')
})
