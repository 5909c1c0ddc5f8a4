// Issue 16 item 3: a hosting node puts each part received by reference back together (PROTOCOL.md
// §17.8) in a frame that holds the shared bytes once, instead of a new buffer per part. Every lent
// envelope must be byte for byte the one withShared() makes, parts lent at the same time must not
// touch each other, and a frame's shared bytes never change while it is reused.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { SharedEnvelopes, SHARED_SLACK_BYTES, withShared, type SharedRef } from '../../src/federation/shared-ref.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const refOf = (shared: Buffer, offset: number): SharedRef => ({ sha256: sha(shared), offset, length: shared.length })

t.test('each lent envelope is the envelope withShared() makes', async (t) => {
  const shared = randomBytes(300_000)
  const other = randomBytes(70_000)
  const e = new SharedEnvelopes({ maxContents: 1 })
  const jose = Buffer.from('{"ciphertext":"')
  const cases: Array<[Buffer, Buffer, number, string]> = []
  for (let i = 0; i < 4; i++) cases.push([Buffer.concat([jose, randomBytes(300 + 37 * i)]), shared, jose.length, `jose-v2 part ${i}`])
  for (let i = 0; i < 3; i++) { // cms-v1: a head of its own per recipient (RecipientInfo), of several lengths
    const head = randomBytes(400 + 50 * i)
    cases.push([Buffer.concat([head, randomBytes(18)]), shared, head.length, `cms-v1 part ${i}`])
  }
  cases.push([Buffer.from(jose), shared, jose.length, 'an empty tail'])
  cases.push([randomBytes(200), shared, 0, 'an empty head'])
  cases.push([Buffer.concat([jose, randomBytes(100)]), other, jose.length, 'another content (the first is dropped: maxContents 1)'])
  cases.push([Buffer.concat([jose, randomBytes(90)]), shared, jose.length, 'the first content again'])
  cases.push([Buffer.concat([randomBytes(SHARED_SLACK_BYTES + 1), randomBytes(10)]), shared, SHARED_SLACK_BYTES + 1, 'a head larger than the room'])
  cases.push([Buffer.concat([jose, randomBytes(SHARED_SLACK_BYTES + 1)]), shared, jose.length, 'a tail larger than the room'])
  for (const [body, s, offset, what] of cases) {
    const r = refOf(s, offset)
    const lent = e.lend(body, r, s)
    t.ok(lent.envelope.equals(withShared(body, r, s)), what)
    t.equal(sha(lent.envelope), sha(withShared(body, r, s)), `${what}: the same SHA-256`)
    lent.release()
    lent.release() // twice is harmless
  }
})

t.test('parts lent at the same time have frames of their own; a frame is reused once released', async (t) => {
  const shared = randomBytes(100_000)
  const head = Buffer.from('{"ciphertext":"')
  const r = refOf(shared, head.length)
  const e = new SharedEnvelopes({ maxFreeBytes: 2 * (100_000 + 2 * SHARED_SLACK_BYTES) })
  const bodies = Array.from({ length: 5 }, (_, i) => Buffer.concat([head, randomBytes(200 + i)]))
  const lent = bodies.map((b) => e.lend(b, r, shared))
  t.equal(e.size.frames, 5, 'five in flight: five frames')
  lent.forEach((l, i) => t.ok(l.envelope.equals(withShared(bodies[i]!, r, shared)), `part ${i} intact while the others were written`))
  // A view of the shared bytes (what an open memo or a parse may hold) stays the same bytes.
  const view = lent[0]!.envelope.subarray(head.length, head.length + shared.length)
  for (const l of lent) l.release()
  t.same(e.size, { frames: 2, freeBytes: 2 * (100_000 + 2 * SHARED_SLACK_BYTES) }, 'at most maxFreeBytes kept once released')
  const again = e.lend(Buffer.concat([head, randomBytes(999)]), r, shared)
  t.same(e.size, { frames: 2, freeBytes: 100_000 + 2 * SHARED_SLACK_BYTES }, 'a released frame is lent again')
  t.ok(view.equals(shared), 'the shared bytes of a reused frame did not change')
  again.release()
  t.equal(e.size.freeBytes, 2 * (100_000 + 2 * SHARED_SLACK_BYTES))
  // Another content past maxContents drops the first one's free frames from the count.
  const small = new SharedEnvelopes({ maxContents: 1 })
  small.lend(Buffer.concat([head, randomBytes(10)]), r, shared).release()
  const otherShared = randomBytes(1000)
  const held = small.lend(Buffer.concat([head, randomBytes(10)]), refOf(otherShared, head.length), otherShared)
  t.same(small.size, { frames: 1, freeBytes: 0 }, 'the dropped content\'s frame is gone')
  held.release()
  t.same(small.size, { frames: 1, freeBytes: 1000 + 2 * SHARED_SLACK_BYTES })
})
