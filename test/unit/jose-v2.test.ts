// jose-v2 (PROTOCOL.md §17.7): round trips for RSA and EC recipients, sealMany parts that share the
// protected header, IV, ciphertext and tag, and the strict reading of the flattened JSON envelope.
import t from 'tap'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { defaultProfiles, partSha256 } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealInput, sealManyInput, sha256Hex } from '../vectors/fixtures.js'

const fed = await testFederation()
const big = bytesOf(500_000, 21)
const small = Buffer.from('บันทึกข้อความ\n', 'utf8')

t.test('seal / open, one recipient: payload v1 in the jose-v2 container', async (t) => {
  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi'], ['dga', 'dga']] as const) {
    const input = sealInput(fed, from, to, [big, small])
    const sealed = await joseV2.seal(input)
    t.equal(sealed.mediaType, 'application/jose+json')
    t.equal(sealed.envelopeSha256, sha256Hex(sealed.envelope))
    const h = joseV2.peek(sealed.envelope, { messageId: input.messageId, from, to })
    t.match(h, { profile: 'jose-v2', messageId: input.messageId, from, to })
    t.ok(joseV2.matchesRecipient(h, fed.agencies[to]!.encryption.cert))
    const opened = await joseV2.open(sealed.envelope, fed.agencies[to]!.encryption.key)
    t.strictSame(opened.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
    t.ok(opened.attachments[0]!.equals(big) && opened.attachments[1]!.equals(small))
    t.ok(opened.signature.equals(sealed.signature))
    t.strictSame((await joseV2.openWithContentKey(sealed.envelope, sealed.contentKey)).payload, opened.payload)
    JSON.parse(sealed.envelope.toString('utf8')) // plain JSON to any parser
  }
})

t.test('sealMany: shared ciphertext text, small heads and tails, each part opens for its recipient only', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [big], { copyTo: ['moi'] })
  const sealed = await joseV2.sealMany(input)
  t.ok(sealed.shared.length >= (big.length * 4) / 3, 'shared is the base64url ciphertext')
  t.match(sealed.shared.subarray(0, 100).toString('latin1'), /^[A-Za-z0-9_-]+$/)
  for (const [i, p] of sealed.parts.entries()) {
    t.ok(p.head.length === 15 && p.tail.length < 1024, `${p.to}: head ${p.head.length} bytes, tail ${p.tail.length}`)
    const env = Buffer.concat([p.head, sealed.shared, p.tail])
    t.equal(p.envelopeSha256, partSha256(p.head, sealed.shared, p.tail))
    t.equal(joseV2.peek(env).messageId, input.recipients[i]!.messageId)
    const o = await joseV2.open(env, fed.agencies[p.to]!.encryption.key)
    t.strictSame(o.payload, { v: 2, lid: input.letterId, from: 'moi', sentAt: input.sentAt, letter: input.letter })
    t.ok(o.attachments[0]!.equals(big))
    const other = p.to === 'mof' ? 'dga' : 'mof'
    await t.rejects(joseV2.open(env, fed.agencies[other]!.encryption.key), { code: 'ERR_DECRYPT_FAILED' })
  }
  t.ok(sealed.parts.every((p) => p.head.equals(Buffer.from('{"ciphertext":"'))), 'every head is the opening of the ciphertext member')
})

t.test('the per-recipient header is unprotected: what it routes must be what was signed (§17.3)', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [small])
  const sealed = await joseV2.sealMany(input)
  const p = sealed.parts[0]!
  const env = Buffer.concat([p.head, sealed.shared, p.tail]).toString('utf8')
  const key = fed.agencies.mof!.encryption.key
  const swap = (a: string, b: string) => Buffer.from(env.replace(a, b), 'utf8')
  await t.rejects(joseV2.open(swap('"srb_from":"moi"', '"srb_from":"dga"'), key), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'srb_from' })
  await t.rejects(joseV2.open(swap('"srb_to":"mof"', '"srb_to":"moi"'), key), { code: 'ERR_ENVELOPE_HEADER_MISMATCH', field: 'srb_to' })
  const newMid = '0b8a3c1e-4f7d-4e2a-9c55-2d6f8e1a7b90'
  t.equal((await joseV2.open(swap(p.messageId, newMid), key)).payload.v, 2, 'the message id is routing only (the receipt binds it, §17.5 refuses a second copy)')
  t.throws(() => joseV2.peek(Buffer.from(env), { messageId: p.messageId, from: 'moi', to: 'dga' }), { code: 'ERR_ENVELOPE_HEADER_MISMATCH' }, 'routing headers must agree')
})

t.test('strict flattened JSON (§17.7)', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [small])
  const env = (await joseV2.seal(input)).envelope.toString('utf8')
  const obj = JSON.parse(env)
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const prot = JSON.parse(Buffer.from(obj.protected, 'base64url').toString())
  const code = (s: string | Buffer, field?: string) => {
    try {
      joseV2.peek(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'))
      return 'ok'
    } catch (e) {
      const err = e as { code: string; field?: string }
      return field === undefined ? err.code : `${err.code} ${err.field}`
    }
  }
  const withObj = (o: Record<string, unknown>) => JSON.stringify(o)
  t.equal(code(env), 'ok')
  t.equal(code(JSON.stringify(obj, null, 2)), 'ok', 'insignificant whitespace is JSON')
  t.equal(code(env + ' '), 'ok')
  t.equal(code(env + 'x'), 'ERR_ENVELOPE_MALFORMED', 'bytes after the object')
  t.equal(code(withObj({ ...obj, aad: 'AA' }), 'f'), 'ERR_ENVELOPE_MALFORMED aad', 'aad is not used')
  t.equal(code(withObj({ ...obj, unprotected: {} }), 'f'), 'ERR_ENVELOPE_MALFORMED unprotected')
  t.equal(code(withObj({ ...obj, recipients: [] }), 'f'), 'ERR_ENVELOPE_MALFORMED recipients', 'general serialization is not jose-v2')
  t.equal(code(env.replace('{"ciphertext"', `{"iv":"${obj.iv}","ciphertext"`), 'f'), 'ERR_ENVELOPE_MALFORMED iv', 'a member twice')
  t.equal(code(env.replace('"encrypted_key"', '"encrypted\\u005fkey"')), 'ERR_ENVELOPE_MALFORMED', 'escapes')
  const { tag: _t, ...noTag } = obj
  t.equal(code(withObj(noTag), 'f'), 'ERR_ENVELOPE_MALFORMED tag')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, srb_v: 1 }) })), 'ERR_PROFILE_UNSUPPORTED')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, typ: 'JWE' }) })), 'ERR_PROFILE_UNSUPPORTED')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, enc: 'A128GCM' }) }), 'f'), 'ERR_PROFILE_UNSUPPORTED enc')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, crit: ['x'] }) }), 'f'), 'ERR_PROFILE_UNSUPPORTED crit')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, zip: 'DEF' }) }), 'f'), 'ERR_ENVELOPE_MALFORMED zip')
  t.equal(code(withObj({ ...obj, protected: b64({ ...prot, alg: 'RSA-OAEP-256' }) }), 'f'), 'ERR_ENVELOPE_MALFORMED alg', 'a member in both headers')
  t.equal(code(withObj({ ...obj, header: { ...obj.header, alg: 'dir' } }), 'f'), 'ERR_PROFILE_UNSUPPORTED alg')
  t.equal(code(withObj({ ...obj, header: { ...obj.header, kid: 'x' } }), 'f'), 'ERR_ENVELOPE_MALFORMED kid')
  const rsa = JSON.parse((await joseV2.seal(sealInput(fed, 'mof', 'moi', [small]))).envelope.toString('utf8'))
  t.equal(code(withObj({ ...rsa, header: { ...rsa.header, epk: obj.header.epk } }), 'f'), 'ERR_ENVELOPE_MALFORMED epk', 'epk with RSA-OAEP-256')
  t.equal(code(withObj({ ...obj, header: { ...obj.header, srb_mid: 'X' } }), 'f'), 'ERR_ENVELOPE_MALFORMED srb_mid')
  t.equal(code(withObj({ ...obj, header: 'x' }), 'f'), 'ERR_ENVELOPE_MALFORMED header')
  t.equal(code(env.replace('"srb_to":"mof"', '"srb_to":"mof","srb_to":"dga"'), 'f'), 'ERR_ENVELOPE_MALFORMED header', 'a header member twice')
  t.equal(code(env.replace('"srb_to":"mof"', '"srb_to":"mof","sr\\u0062_to":"dga"'), 'f'), 'ERR_ENVELOPE_MALFORMED header', 'twice, once escaped')
  t.equal(code(env.replace('"kty":"EC"', '"kty":"EC","kty":"EC"'), 'f'), 'ERR_ENVELOPE_MALFORMED header', 'an epk member twice')
  t.equal(code(withObj({ ...obj, header: { ...obj.header, pad: 'x'.repeat(5000) } }), 'f'), 'ERR_ENVELOPE_MALFORMED header', 'header bound')
  t.equal(code(withObj({ ...obj, iv: obj.iv + 'A' }), 'f'), 'ERR_ENVELOPE_MALFORMED iv')
  t.equal(code(withObj({ ...obj, tag: obj.tag.slice(0, -1) + 'B' }), 'f'), 'ERR_ENVELOPE_MALFORMED undefined', 'non-canonical base64url')
  t.equal(code(withObj({ ...obj, ciphertext: obj.ciphertext + 'A'.repeat(((1 - obj.ciphertext.length % 4) + 4) % 4 || 4) }), 'f'), 'ERR_ENVELOPE_MALFORMED ciphertext', 'a ciphertext length of 1 modulo 4')
  t.equal(code(withObj({ ...obj, iv: 1 })), 'ERR_ENVELOPE_MALFORMED')
  t.equal(code('[]'), 'ERR_ENVELOPE_MALFORMED')
  t.equal(code(Buffer.from(env).subarray(0, env.length - 5)), 'ERR_ENVELOPE_MALFORMED', 'truncated')
  const key = fed.agencies.mof!.encryption.key
  const flip = (member: string) => withObj({ ...obj, [member]: (obj[member] as string).replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })
  for (const m of ['ciphertext', 'tag', 'iv', 'encrypted_key']) await t.rejects(joseV2.open(Buffer.from(flip(m)), key), { code: 'ERR_DECRYPT_FAILED' }, `tampered ${m}`)
  await t.rejects(joseV2.open(Buffer.from(withObj({ ...obj, protected: b64({ cty: prot.cty, enc: prot.enc, typ: prot.typ, srb_v: 2 }) })), key), { code: 'ERR_DECRYPT_FAILED' }, 'the protected header is the AAD, as received')
})

t.test('the profile table: jose-v2 after jose-v1 and cms-v1, chosen by its media type', async (t) => {
  const table = defaultProfiles()
  t.strictSame(table.ids(), ['jose-v1', 'cms-v1', 'jose-v2'])
  const sealed = await joseV2.seal(sealInput(fed, 'moi', 'mof', [small]))
  t.equal(table.forEnvelope('application/jose+json; charset=utf-8', sealed.envelope).id, 'jose-v2')
  t.throws(() => table.forEnvelope('application/jose', sealed.envelope).peek(sealed.envelope), { code: 'ERR_ENVELOPE_MALFORMED' }, 'sent as application/jose it is not a jose-v1 envelope')
})

t.test('§17.7: the 4 096-byte bound on "header" counts its bytes as received, whitespace included', async (t) => {
  const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [small])
  const sealed = await joseV2.sealMany(input)
  const p = sealed.parts[0]!
  const env = Buffer.concat([p.head, sealed.shared, p.tail]).toString('utf8')
  const header = JSON.stringify(JSON.parse(env).header)
  t.ok(env.includes(`"header":${header}`), 'the sealer writes the header compactly')
  // Insignificant whitespace after "{" pads the header to exactly n bytes; re-serialized it would be shorter.
  const padded = (n: number) => Buffer.from(env.replace(`"header":${header}`, `"header":{${' '.repeat(n - Buffer.byteLength(header))}${header.slice(1)}`), 'utf8')
  const at4096 = padded(4096)
  t.equal(joseV2.peek(at4096).messageId, p.messageId, '4 096 bytes as received: accepted')
  t.equal((await joseV2.open(at4096, fed.agencies.mof!.encryption.key)).payload.v, 2, 'and it opens')
  t.throws(() => joseV2.peek(padded(4097)), { code: 'ERR_ENVELOPE_MALFORMED', field: 'header' }, '4 097 bytes as received: refused, though its members are those of a valid header')
})

t.test('§17.2: a profile group of one recipient is sealed with a v1 payload, several with v2', async (t) => {
  for (const profile of [joseV2, defaultProfiles().get('cms-v1')]) {
    // A letter to mof with a copy to dga, where dga's profile is another one: this group holds mof alone.
    const letter = sealManyInput(fed, 'moi', ['mof'], [small], { copyTo: ['dga'] })
    const one = { ...letter, recipients: letter.recipients.filter((r) => r.to === 'mof') }
    const sealed = await (profile as typeof joseV2).sealMany(one)
    t.equal(sealed.parts.length, 1)
    const part = sealed.parts[0]!
    const o = await profile.openWithContentKey(Buffer.concat([part.head, sealed.shared, part.tail]), part.contentKey)
    t.match(o.payload, { v: 1, mid: one.recipients[0]!.messageId, to: 'mof' }, `${profile.id}: one recipient (of a letter with a copy sealed elsewhere): v1, binding mid and to`)
    const two = await (profile as typeof joseV2).sealMany(sealManyInput(fed, 'moi', ['mof', 'dga'], [small]))
    const q = two.parts[1]!
    t.equal((await profile.openWithContentKey(Buffer.concat([q.head, two.shared, q.tail]), q.contentKey)).payload.v, 2, `${profile.id}: two recipients: v2`)
  }
})
