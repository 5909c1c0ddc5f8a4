// Shared content by reference (PROTOCOL.md §17.8): the request headers' strict forms, putting the
// shared bytes back in place, and the sender's choice between a whole part and a reference, with a
// scripted peer (the real exchange over mTLS is in test/integration/shared-ref.test.ts).
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { parseSharedRef, withShared, sharedRefHeaders, type SharedRef } from '../../src/federation/shared-ref.js'
import { postEnvelope } from '../../src/services/post-envelope.js'
import { SharedRefs, MIN_SHARED_BYTES, type EnvelopePieces } from '../../src/services/shared-refs.js'
import { MIN_SHARED_CONTENT_BYTES } from '../../src/storage/inbox.js'
import type { PeerClient, PeerResponse } from '../../src/federation/peer-client.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

t.test('the three headers: all or none, strict forms', async (t) => {
  const h = { 'saraban-shared-sha256': 'ab'.repeat(32), 'saraban-shared-offset': '15', 'saraban-shared-length': '1048576' }
  t.equal(parseSharedRef({}, 100), undefined, 'none: a whole envelope')
  t.same(parseSharedRef(h, 100), { sha256: 'ab'.repeat(32), offset: 15, length: 1048576 })
  t.same(parseSharedRef(sharedRefHeaders({ sha256: 'cd'.repeat(32), offset: 0, length: 1 }), 0), { sha256: 'cd'.repeat(32), offset: 0, length: 1 }, 'what the sender writes, the receiver reads')
  const refused = (headers: Record<string, string | string[]>, field: string, what: string, body = 100) =>
    t.throws(() => parseSharedRef(headers, body), { code: 'ERR_ENVELOPE_MALFORMED', field }, what)
  // §17.8: `field` names the first header, in the order of the table, that is missing or repeated.
  refused({ 'saraban-shared-sha256': h['saraban-shared-sha256'] }, 'Saraban-Shared-Offset', 'one header alone: the first missing one is named')
  refused({ 'saraban-shared-offset': '15', 'saraban-shared-length': '9' }, 'Saraban-Shared-Sha256', 'the digest missing')
  refused({ ...h, 'saraban-shared-length': undefined as unknown as string }, 'Saraban-Shared-Length', 'the length missing (vector shared-ref/03)')
  refused({ ...h, 'saraban-shared-length': ['1', '2'] }, 'Saraban-Shared-Length', 'a header twice')
  refused({ ...h, 'saraban-shared-sha256': 'AB'.repeat(32), 'saraban-shared-length': ['1', '2'] }, 'Saraban-Shared-Length', 'missing or repeated before malformed')
  refused({ ...h, 'saraban-shared-sha256': 'AB'.repeat(32) }, 'Saraban-Shared-Sha256', 'uppercase hex')
  refused({ ...h, 'saraban-shared-sha256': 'ab'.repeat(31) }, 'Saraban-Shared-Sha256', 'short digest')
  refused({ ...h, 'saraban-shared-offset': '015' }, 'Saraban-Shared-Offset', 'leading zero')
  refused({ ...h, 'saraban-shared-offset': '101' }, 'Saraban-Shared-Offset', 'offset beyond the body')
  refused({ ...h, 'saraban-shared-offset': '-1' }, 'Saraban-Shared-Offset', 'a sign')
  refused({ ...h, 'saraban-shared-length': '0' }, 'Saraban-Shared-Length', 'zero length')
  refused({ ...h, 'saraban-shared-length': '1e6' }, 'Saraban-Shared-Length', 'not a decimal number')
})

t.test('the envelope is body[0, offset) ‖ shared ‖ body[offset, …)', async (t) => {
  const [head, shared, tail] = [Buffer.from('{"ciphertext":"'), randomBytes(1000), Buffer.from('","tag":"x"}')]
  const ref: SharedRef = { sha256: sha(shared), offset: head.length, length: shared.length }
  t.ok(withShared(Buffer.concat([head, tail]), ref, shared).equals(Buffer.concat([head, shared, tail])))
  t.ok(withShared(tail, { ...ref, offset: 0 }, shared).equals(Buffer.concat([shared, tail])), 'at the start')
  t.ok(withShared(head, { ...ref, offset: head.length }, shared).equals(Buffer.concat([head, shared])), 'at the end')
})

interface Call { to: string; bodyLength: number; ref?: SharedRef | undefined }

/** A peer that holds what it was sent whole (when it announces §17.8) and resolves references to it. */
function scriptedPeer(opts: { announces: boolean; delayMs?: number; failFirst?: boolean }) {
  const calls: Call[] = []
  const held = new Set<string>()
  let failing = opts.failFirst === true
  const ok = (): PeerResponse => ({ status: 201, contentType: 'application/jose', body: Buffer.from('receipt'), sharesContent: opts.announces })
  const peers = {
    async post(_e: string, _p: string, _m: string, pieces: readonly Buffer[], routing: { to: string }, ref?: SharedRef): Promise<PeerResponse> {
      const body = Buffer.concat(pieces.filter((b) => b.length > 0))
      calls.push({ to: routing.to, bodyLength: body.length, ref })
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 1))
      if (failing) {
        failing = false
        throw new Error('ECONNRESET')
      }
      if (ref) {
        if (!held.has(ref.sha256)) return { status: 412, contentType: 'application/problem+json', body: Buffer.from('{"code":"ERR_SHARED_CONTENT_UNKNOWN"}'), sharesContent: opts.announces }
        return ok()
      }
      if (opts.announces && pieces.length === 3) held.add(sha(pieces[1]!))
      return ok()
    },
    forgetAll: () => held.clear(),
  }
  return { calls, peers: peers as unknown as PeerClient & { forgetAll(): void } }
}

const shared = randomBytes(MIN_SHARED_BYTES + 1)
const pieces = (to: string, s = shared): EnvelopePieces => ({ head: Buffer.from(`{"h":"${to}","ciphertext":"`), shared: s, tail: Buffer.from('"}') })
const send = (deps: { peers: PeerClient; refs: SharedRefs }, to: string, p = pieces(to)) =>
  postEnvelope(deps, { endpoint: 'https://node-a.test:8443/', path: 'federation/v1/messages', mediaType: 'application/jose+json', routing: { messageId: `m-${to}`, from: 'hq', to } }, p)

t.test('first part whole, the rest by reference; concurrent parts wait for the first answer', async (t) => {
  const { calls, peers } = scriptedPeer({ announces: true, delayMs: 20 })
  const deps = { peers, refs: new SharedRefs() }
  const answers = await Promise.all(['a1', 'a2', 'a3', 'a4', 'a5'].map((to) => send(deps, to)))
  t.ok(answers.every((a) => a.status === 201), 'all delivered')
  t.equal(calls.filter((c) => c.ref === undefined).length, 1, 'one whole part')
  const refs = calls.filter((c) => c.ref !== undefined)
  t.equal(refs.length, 4, 'four by reference')
  for (const c of refs) {
    t.same(c.ref, { sha256: sha(shared), offset: pieces(c.to).head.length, length: shared.length }, `${c.to}: the reference names the shared bytes`)
    t.equal(c.bodyLength, pieces(c.to).head.length + 2, `${c.to}: the body is head ‖ tail only`)
  }
})

t.test('a peer that does not announce the capability always gets whole parts', async (t) => {
  const { calls, peers } = scriptedPeer({ announces: false })
  const deps = { peers, refs: new SharedRefs() }
  for (const to of ['b1', 'b2', 'b3']) await send(deps, to)
  t.same(calls.map((c) => c.ref), [undefined, undefined, undefined])
})

t.test('§17.8 floor: the sender references only what every receiver must hold, and this receiver holds it', async (t) => {
  t.equal(MIN_SHARED_BYTES, 65_536, 'PROTOCOL.md §17.8: a sender may count on shared parts of at least 65 536 bytes, and references none smaller')
  t.ok(MIN_SHARED_CONTENT_BYTES <= MIN_SHARED_BYTES, `this node as a receiver holds every shared part from ${MIN_SHARED_CONTENT_BYTES} bytes, below the floor`)
})

t.test('small shared bytes, single-recipient envelopes and whole envelopes stored as content go whole', async (t) => {
  const { calls, peers } = scriptedPeer({ announces: true })
  const deps = { peers, refs: new SharedRefs() }
  const small = randomBytes(MIN_SHARED_BYTES - 1)
  for (const to of ['c1', 'c2']) await send(deps, to, pieces(to, small))
  for (const to of ['c3', 'c4']) await send(deps, to, pieces(to, Buffer.alloc(0)))
  // A per-recipient envelope stored whole as a content row (empty head and tail) is not shared.
  for (const to of ['c5', 'c6']) await send(deps, to, { head: Buffer.alloc(0), shared, tail: Buffer.alloc(0) })
  t.same(calls.map((c) => c.ref), [undefined, undefined, undefined, undefined, undefined, undefined])
})

t.test('412 ERR_SHARED_CONTENT_UNKNOWN: the same part goes whole at once, and references resume after it', async (t) => {
  const { calls, peers } = scriptedPeer({ announces: true })
  const deps = { peers, refs: new SharedRefs() }
  await send(deps, 'd1')
  peers.forgetAll() // e.g. the receiving node's database was restored from a backup
  const r = await send(deps, 'd2')
  t.equal(r.status, 201, 'delivered within the same call')
  t.same(calls.slice(1).map((c) => [c.to, c.ref !== undefined]), [['d2', true], ['d2', false]], 'reference refused, then whole')
  await send(deps, 'd3')
  t.equal(calls.at(-1)!.ref?.sha256, sha(shared), 'the whole part taught the sender again')
})

t.test('when the first whole part fails, the waiting parts go whole at once, not one after another', async (t) => {
  const { calls, peers } = scriptedPeer({ announces: true, delayMs: 20, failFirst: true })
  const deps = { peers, refs: new SharedRefs() }
  const results = await Promise.allSettled(['e1', 'e2', 'e3'].map((to) => send(deps, to)))
  t.equal(results[0]!.status, 'rejected', 'the first failed in transport')
  t.ok(results.slice(1).every((r) => r.status === 'fulfilled'), 'the others were delivered')
  t.same(calls.map((c) => c.ref), [undefined, undefined, undefined], 'all whole')
})
