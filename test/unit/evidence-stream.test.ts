// The streamed evidence bundle (services/evidence/stream.ts) is byte for byte the archive
// buildEvidenceArchive() writes (PROTOCOL.md §8.4: the format is normative), for real sealed and
// acknowledged messages with time-stamps, CRLs, an undelivered recipient and shared files first
// added by a later message; its announced size is its length; what changes between the two passes
// is either the first pass's state or an error that ends the stream short of its size.
import t from 'tap'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { buildEvidenceArchive, verifyEvidence, type StoredToken } from '../../src/services/evidence/index.js'
import { planEvidenceArchive, type EvidenceSource } from '../../src/services/evidence/stream.js'
import type { OutboxMessage } from '../../src/storage/outbox.js'
import { verifyTimeStampToken } from '../../src/tsa/index.js'
import { testFederation } from '../helpers/federation.js'
import { opensslTsa, sendAndAcknowledge, testCrl } from './evidence-fixture.js'

const fed = await testFederation()
const profiles = defaultProfiles()
const tsa = opensslTsa(fed)
t.teardown(() => tsa.close())
const at = Date.now()
const crls = [await testCrl(fed, { by: 'intermediate' }), await testCrl(fed, { by: 'root' })]
// A fixed clock: both builds carry the same generatedAt.
const deps = { clock: { now: () => at }, profiles, directoryJws: () => fed.directoryJws, crlsAt: () => crls }

const source = (messages: readonly OutboxMessage[], envelope?: (m: OutboxMessage, call: number) => Buffer): EvidenceSource => {
  const calls = new Map<string, number>()
  return {
    messages: messages.map(({ envelope: _e, contentKey: _k, ...meta }) => meta),
    message: (id) => {
      const m = messages.find((x) => x.messageId === id)
      if (!m) return undefined
      const n = (calls.get(id) ?? 0) + 1
      calls.set(id, n)
      return envelope ? { ...m, envelope: envelope(m, n) } : m
    },
  }
}
async function streamed(plan: { chunks(): AsyncGenerator<Buffer> }): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of plan.chunks()) parts.push(c)
  return Buffer.concat(parts)
}

for (const profile of [joseV1, cmsV1]) {
  t.test(`${profile.id}: the streamed archive is the buffered one, byte for byte`, async (t) => {
    const first = await sendAndAcknowledge({ fed, profile, to: ['mof', 'dga', 'moi'], undelivered: ['dga'] })
    // Another letter's messages after these: their attachments are shared files that a later
    // message adds first (so the second pass rebuilds them from it, not from the first).
    const other = await sendAndAcknowledge({ fed, profile, to: ['mof'], attachments: [Buffer.from('%PDF-1.7\n% another\n'), Buffer.alloc(70_000, 3)] })
    const messages = [...first.messages, ...other.messages]
    const stamps = [tsa.tokensFor(first), tsa.tokensFor(other)]
    const tokensFor = (id: string): StoredToken[] => stamps.flatMap((f) => f(id))
    const d = { ...deps, tokensFor }

    const buffered = await buildEvidenceArchive(d, first.letter, messages)
    const plan = await planEvidenceArchive(d, first.letter, source(messages))
    const bytes = await streamed(plan)
    t.equal(plan.size, bytes.length, 'the announced size is the length')
    t.equal(bytes.length, buffered.length)
    t.ok(bytes.equals(buffered), 'identical bytes')
    t.ok(Buffer.concat([await streamed(plan)]).equals(buffered), 'and again from the same plan')
    const report = await verifyEvidence(bytes, { anchors: new TrustAnchors([fed.root.cert]), profiles, verifyTimeStampToken })
    t.ok(report.findings.some((f) => f.ok && /RFC 3161 time-stamp/.test(f.detail)), 'the verifier reads it (time-stamps included)')
  })
}

t.test('what the sources answer between the passes is what they answered in the first', async (t) => {
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof', 'dga'], undelivered: ['dga'] })
  // The time-stamp queue answers with other tokens (other serials) once the plan is made.
  const before = tsa.tokensFor(sent)
  const after = tsa.tokensFor(sent)
  t.notOk(before(sent.messages[0]!.messageId)[0]!.token.equals(after(sent.messages[0]!.messageId)[0]!.token), 'the answers differ')
  const buffered = await buildEvidenceArchive({ ...deps, tokensFor: before }, sent.letter, sent.messages)
  let late = false
  const plan = await planEvidenceArchive({ ...deps, tokensFor: (id) => (late ? after(id) : before(id)) }, sent.letter, source(sent.messages))
  late = true
  t.ok((await streamed(plan)).equals(buffered), 'the archive as planned')
})

t.test('an envelope that changes between the passes ends the stream short of its size', async (t) => {
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof', 'dga'] })
  const [a, b] = sent.messages as [OutboxMessage, OutboxMessage]
  // Second read of dga's message: mof's envelope bytes (the store cannot do this; a bug could).
  const plan = await planEvidenceArchive(deps, sent.letter, source(sent.messages, (m, call) => (m === b && call > 1 ? a.envelope : m.envelope)))
  let written = 0
  const failed = await (async () => {
    try {
      for await (const c of plan.chunks()) written += c.length
      return undefined
    } catch (e) {
      return e as Error
    }
  })()
  t.ok(failed, `the stream fails: ${failed?.message}`)
  t.ok(written < plan.size, `after ${written} of its ${plan.size} bytes (a client sees the body cut short)`)
})
