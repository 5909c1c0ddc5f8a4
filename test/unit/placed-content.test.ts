// Issue 16 item 3: a jose-v2 part received by reference (PROTOCOL.md §17.8) tells the profile where
// the held shared bytes were put and their checked SHA-256 (PlacedContent). The parse then does not
// scan those bytes again for '"' and '\' (once per content instead), and the open memo compares the
// ciphertext by that SHA-256 instead of byte for byte. Both must decide exactly as without the hint:
// the same header, the same refusals (code, field, detail), the same held opening.
import t from 'tap'
import { createHash } from 'node:crypto'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import type { HeldOpening, OpenMemo, PlacedContent } from '../../src/crypto/types.js'
import { OpenedContents } from '../../src/services/receive/open-memo.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const pdf = bytesOf(150_000, 11)
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const key = (agency: string) => fed.agencies[agency]!.encryption.key

const sealed = await joseV2.sealMany(sealManyInput(fed, 'moi', ['mof', 'dga'], [pdf]))
const part = (i: number) => sealed.parts[i]!
const placedIn = (head: Buffer, shared: Buffer): PlacedContent => ({ start: head.length, end: head.length + shared.length, sha256: sha(shared) })

/** The outcome of peek(), as data: the header, or the refusal's code, field and detail. */
function peekOutcome(envelope: Buffer, placed?: PlacedContent): unknown {
  try {
    // A new Buffer each time: jose-v2 keeps a parse per Buffer.
    return { header: joseV2.peek(Buffer.from(envelope), undefined, placed) }
  } catch (e) {
    const err = e as { code?: string; field?: string; message?: string }
    return { code: err.code, field: err.field, message: err.message }
  }
}

t.test('peek with the placed content decides as without it', async (t) => {
  const head = part(1).head
  const cases: Array<[string, Buffer, Buffer]> = [
    ['a part as sealed', sealed.shared, part(1).tail],
    ['the ciphertext string goes on past the placed bytes', sealed.shared, Buffer.concat([Buffer.from('AAAA'), part(1).tail])],
    ['an escape after the placed bytes', sealed.shared, Buffer.concat([Buffer.from('\\u0041'), part(1).tail])],
    ['a quote inside the placed bytes (not clean: scanned)', Buffer.concat([sealed.shared.subarray(0, 1000), Buffer.from('"'), sealed.shared.subarray(1001)]), part(1).tail],
    ['an escape inside the placed bytes (not clean: scanned)', Buffer.concat([sealed.shared.subarray(0, 1000), Buffer.from('\\'), sealed.shared.subarray(1001)]), part(1).tail],
    ['no closing quote after the placed bytes', sealed.shared, Buffer.from(',"protected":"x"}')],
    ['a tail with a bad member', sealed.shared, Buffer.from(part(1).tail.toString('latin1').replace('"iv"', '"iw"'), 'latin1')],
  ]
  for (const [what, shared, tail] of cases) {
    const envelope = Buffer.concat([head, shared, tail])
    const placed = placedIn(head, shared)
    const without = peekOutcome(envelope)
    t.same(peekOutcome(envelope, placed), without, what)
    t.same(peekOutcome(envelope, placed), without, `${what} (the content's scan kept)`)
  }
  // Placed bytes that are not where a string starts are no hint at all.
  const envelope = Buffer.concat([head, sealed.shared, part(1).tail])
  t.same(peekOutcome(envelope, { ...placedIn(head, sealed.shared), start: head.length + 4 }), peekOutcome(envelope), 'a span not at the string\'s start')
  t.same(peekOutcome(envelope, { ...placedIn(head, sealed.shared), end: envelope.length + 1 }), peekOutcome(envelope), 'a span past the envelope')
})

/** The memo, counting the gets that found an entry. */
function counting(inner: OpenMemo): OpenMemo & { hits: number } {
  const m = {
    hits: 0,
    get(k: string) {
      const o = inner.get(k)
      if (o !== undefined) m.hits++
      return o
    },
    set: (k: string, held: HeldOpening, bytes: number) => inner.set(k, held, bytes),
  }
  return m
}

t.test('the held opening is matched by the placed SHA-256', async (t) => {
  const memo = counting(new OpenedContents({ now: () => 0 }))
  const whole = Buffer.concat([part(0).head, sealed.shared, part(0).tail])
  const first = await joseV2.open(whole, key('mof'), undefined, memo) // the first part, sent whole
  const byRef = Buffer.concat([part(1).head, sealed.shared, part(1).tail])
  const second = await joseV2.open(byRef, key('dga'), undefined, memo, placedIn(part(1).head, sealed.shared))
  t.equal(memo.hits, 1)
  t.equal(second.payload, first.payload, 'the held opening, found by the digest the first part was kept with')
  t.ok(second.attachments[0]!.equals(pdf))
  // A digest that is not the held ciphertext's: not the held opening (opened anew, here successfully,
  // since the bytes are genuine). Without the comparison by digest, the bytes would have matched.
  const other = await joseV2.open(Buffer.from(byRef), key('dga'), undefined, memo, { ...placedIn(part(1).head, sealed.shared), sha256: sha(Buffer.from('other')) })
  t.equal(memo.hits, 2, 'found under its key')
  t.not(other.payload, first.payload, 'and not used')
  t.ok(other.attachments[0]!.equals(pdf))
  // Without a placed content, the bytes are compared as before.
  const plain = await joseV2.open(Buffer.from(byRef), key('dga'), undefined, memo)
  t.equal(plain.payload, first.payload)
})
