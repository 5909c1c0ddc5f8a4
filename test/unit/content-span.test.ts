// EnvelopeProfile.contentSpan (PROTOCOL.md §17.1): in every part of a letter sealed for many, the
// span is exactly the shared bytes, so head ‖ shared ‖ tail split the received envelope as the sender
// built it; a single-recipient envelope has a span too (its ciphertext), jose-v1 none; an OpenSSL
// envelope with a chunked encrypted content has one that covers all its chunks.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { parseAuthEnveloped } from '../../src/crypto/cms/auth-enveloped.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import type { EnvelopeProfile, SealsMany } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput, sealManyInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const pdf = bytesOf(70_000, 3)

for (const profile of [cmsV1, joseV2] as Array<EnvelopeProfile & SealsMany>) {
  t.test(`${profile.id}: the span of each part is the shared content`, async (t) => {
    const sealed = await profile.sealMany(sealManyInput(fed, 'moi', ['mof', 'dga'], [pdf]))
    t.ok(sealed.shared.length > pdf.length)
    for (const p of sealed.parts) {
      const envelope = Buffer.concat([p.head, sealed.shared, p.tail])
      const span = profile.contentSpan(envelope)!
      t.same(span, { start: p.head.length, end: p.head.length + sealed.shared.length }, `${p.to}: head ‖ shared ‖ tail`)
    }
    const one = await profile.seal(sealInput(fed, 'moi', 'mof', [pdf]))
    const span = profile.contentSpan(one.envelope)!
    t.ok(span.end - span.start > pdf.length && span.end < one.envelope.length, 'a one-recipient envelope: its ciphertext')
    t.throws(() => profile.contentSpan(Buffer.from('not an envelope')), { code: 'ERR_ENVELOPE_MALFORMED' })
  })
}

t.test('jose-v1: content encrypted per recipient, no span', async (t) => {
  const one = await joseV1.seal(sealInput(fed, 'moi', 'mof', [pdf]))
  t.equal(joseV1.contentSpan(one.envelope), undefined)
})

t.test('cms-v1 from OpenSSL (indefinite lengths, chunked content): the span holds every chunk', async (t) => {
  const v = JSON.parse(readFileSync(new URL('../vectors/cms-v1/envelopes/06-valid-openssl-streamed.json', import.meta.url), 'utf8')) as { envelope: string }
  const envelope = Buffer.from(v.envelope, 'base64')
  const span = cmsV1.contentSpan(envelope)!
  const chunks = parseAuthEnveloped(envelope).ciphertext
  t.ok(chunks.length > 1, `${chunks.length} chunks`)
  for (const c of chunks) {
    const at = c.byteOffset - envelope.byteOffset
    if (at < span.start || at + c.length > span.end) t.fail(`a chunk at ${at} is outside [${span.start}, ${span.end})`)
  }
  t.equal(envelope[span.start], 0x04, 'the span starts at the first chunk\'s OCTET STRING')
  t.ok(span.end < envelope.length, 'and ends before the mac')
})
