// Parsing before any key is used (PROTOCOL.md §5.1, §5.5): peek(), the profile table, strict
// base64url, the compact splitter, and the Concat KDF against RFC 7518 Appendix C.
import t from 'tap'
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { defaultProfiles, profileForEnvelope } from '../../src/crypto/profiles.js'
import { decodeStrict, encodedLength } from '../../src/crypto/jose/b64.js'
import { Base64UrlWriter } from '../../src/crypto/jose/b64-writer.js'
import { splitCompact } from '../../src/crypto/jose/compact.js'
import { concatKdf } from '../../src/crypto/jose/ecdh-es.js'
import { testFederation } from '../helpers/federation.js'
import { spliceHeader } from '../vectors/craft.js'
import { sealInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const input = sealInput(fed, 'moi', 'mof', [Buffer.from('pdf')])
const { envelope } = await joseV1.seal(input)
const rsaEnvelope = (await joseV1.seal(sealInput(fed, 'mof', 'moi', []))).envelope
const b = (s: string) => Buffer.from(s, 'latin1')

function impossibleCiphertext(): Buffer {
  const parts = envelope.toString('latin1').split('.')
  while (parts[3]!.length % 4 !== 1) parts[3] += 'A'
  return b(parts.join('.'))
}

t.test('peek refuses malformed and unsupported envelopes without a key', async (t) => {
  const peek = (env: Buffer) => () => joseV1.peek(env)
  const h = (mutate: (h: Record<string, unknown>) => unknown) => spliceHeader(envelope, mutate)
  const cases: Array<[string, Buffer, string]> = [
    ['empty', b(''), 'ERR_ENVELOPE_MALFORMED'],
    ['4 parts', b(envelope.toString('latin1').split('.').slice(0, 4).join('.')), 'ERR_ENVELOPE_MALFORMED'],
    ['6 parts', Buffer.concat([envelope, b('.AAAA')]), 'ERR_ENVELOPE_MALFORMED'],
    ['JWS (3 parts)', b('eyJhbGciOiJub25lIn0.e30.'), 'ERR_ENVELOPE_MALFORMED'],
    ['header too large', h((x) => ({ ...x, pad: 'x'.repeat(13000) })), 'ERR_ENVELOPE_MALFORMED'],
    ['header not JSON', Buffer.concat([b(b('{nope').toString('base64url')), envelope.subarray(envelope.indexOf(0x2e))]), 'ERR_ENVELOPE_MALFORMED'],
    ['header an array', h(() => []), 'ERR_ENVELOPE_MALFORMED'],
    ['header with "+"', Buffer.concat([b('eyJ+'), envelope.subarray(envelope.indexOf(0x2e))]), 'ERR_ENVELOPE_MALFORMED'],
    ['alg none', h((x) => ({ ...x, alg: 'none' })), 'ERR_PROFILE_UNSUPPORTED'],
    ['alg dir', h((x) => ({ ...x, alg: 'dir' })), 'ERR_PROFILE_UNSUPPORTED'],
    ['alg RSA1_5', h((x) => ({ ...x, alg: 'RSA1_5' })), 'ERR_PROFILE_UNSUPPORTED'],
    ['enc A128GCM', h((x) => ({ ...x, enc: 'A128GCM' })), 'ERR_PROFILE_UNSUPPORTED'],
    ['typ other', h((x) => ({ ...x, typ: 'JWE' })), 'ERR_PROFILE_UNSUPPORTED'],
    ['srb_v 2', h((x) => ({ ...x, srb_v: 2 })), 'ERR_PROFILE_UNSUPPORTED'],
    ['crit', h((x) => ({ ...x, crit: ['srb_v'] })), 'ERR_PROFILE_UNSUPPORTED'],
    ['zip', h((x) => ({ ...x, zip: 'DEF' })), 'ERR_ENVELOPE_MALFORMED'],
    ['extra member', h((x) => ({ ...x, kid: 'k1' })), 'ERR_ENVELOPE_MALFORMED'],
    ['epk on an RSA envelope', spliceHeader(rsaEnvelope, (x) => ({ ...x, epk: {} })), 'ERR_ENVELOPE_MALFORMED'],
    ['ECDH-ES envelope without epk', h(({ epk: _, ...x }) => x), 'ERR_ENVELOPE_MALFORMED'],
    ['missing srb_to', h(({ srb_to: _, ...x }) => x), 'ERR_ENVELOPE_MALFORMED'],
    ['cty other', h((x) => ({ ...x, cty: 'JWT' })), 'ERR_ENVELOPE_MALFORMED'],
    ['uppercase message id', h((x) => ({ ...x, srb_mid: String(x['srb_mid']).toUpperCase() })), 'ERR_ENVELOPE_MALFORMED'],
    ['bad agency id', h((x) => ({ ...x, srb_from: 'MOI' })), 'ERR_ENVELOPE_MALFORMED'],
    ['x5t#S256 not 32 bytes', h((x) => ({ ...x, 'x5t#S256': 'AAAA' })), 'ERR_ENVELOPE_MALFORMED'],
    ['iv too short', b(envelope.toString('latin1').replace(/^([^.]*\.[^.]*\.)[^.]{4}/, '$1')), 'ERR_ENVELOPE_MALFORMED'],
    ['ciphertext of impossible length', impossibleCiphertext(), 'ERR_ENVELOPE_MALFORMED'],
  ]
  for (const [name, env, code] of cases) t.throws(peek(env), { code }, name)
  t.same(joseV1.peek(envelope).to, 'mof')
})

t.test('profile table: resolved once from the Content-Type', async (t) => {
  const table = defaultProfiles()
  t.same(table.ids(), ['jose-v1', 'cms-v1', 'jose-v2'])
  t.equal(table.forEnvelope('application/jose', envelope).id, 'jose-v1')
  t.equal(table.forEnvelope('Application/JOSE; charset=us-ascii', envelope).id, 'jose-v1')
  t.equal(profileForEnvelope('application/jose', envelope), joseV1)
  t.throws(() => table.forEnvelope('application/json', envelope), { code: 'ERR_PROFILE_UNSUPPORTED' })
  t.throws(() => table.forEnvelope('', envelope), { code: 'ERR_PROFILE_UNSUPPORTED' })
  t.throws(() => table.get('cms-v9'), { code: 'ERR_PROFILE_UNSUPPORTED' })
  t.equal(table.get('jose-v1').receiptMediaType, 'application/jose')
  t.equal(table.choose(['cms-v9', 'jose-v1'])?.id, 'jose-v1', 'the first the recipient lists that this node has')
  t.equal(table.choose(['cms-v1', 'jose-v1'])?.id, 'cms-v1')
  t.equal(table.choose(['cms-v9']), undefined)
  t.equal(table.choose([]), undefined)
})

t.test('strict base64url', async (t) => {
  t.same(decodeStrict(b('AAEC')), Buffer.from([0, 1, 2]))
  t.same(decodeStrict(b('AAE')), Buffer.from([0, 1]))
  t.same(decodeStrict(b('AA')), Buffer.from([0]))
  t.same(decodeStrict(b('')), Buffer.alloc(0))
  for (const bad of ['A', 'AB', 'AAF', 'AA==', 'AA+A', 'AA/A', 'AA A', 'AA\nA', 'AA*A', 'AAA=']) t.equal(decodeStrict(b(bad)), undefined, JSON.stringify(bad))
  for (let n = 0; n < 64; n++) {
    const bytes = randomBytes(n)
    t.same(decodeStrict(b(bytes.toString('base64url'))), bytes)
    t.equal(encodedLength(n), bytes.toString('base64url').length)
  }
})

t.test('Base64UrlWriter equals one-shot base64url for any chunking', async (t) => {
  for (let round = 0; round < 200; round++) {
    const data = randomBytes(Math.floor(Math.random() * 300))
    const out = Buffer.alloc(encodedLength(data.length) + 2, 0x2e)
    const w = new Base64UrlWriter(out, 1)
    for (let at = 0; at < data.length;) {
      const n = Math.floor(Math.random() * 8)
      w.write(data.subarray(at, at + n))
      at += n
    }
    t.equal(w.end(), out.length - 1)
    if (out.toString('latin1', 1, out.length - 1) !== data.toString('base64url')) t.fail(`round ${round}`)
  }
  t.pass('200 random chunkings')
})

t.test('splitCompact part counts', async (t) => {
  t.same(splitCompact(b('a.b.c'), 3, 10)?.map(String), ['a', 'b', 'c'])
  t.same(splitCompact(b('a..c'), 3, 10)?.map(String), ['a', '', 'c'])
  t.equal(splitCompact(b('a.b'), 3, 10), undefined)
  t.equal(splitCompact(b('a.b.c.d'), 3, 10), undefined)
  t.equal(splitCompact(b('.b.c'), 3, 10), undefined)
  t.equal(splitCompact(b('aaaa.b.c'), 3, 3), undefined, 'header longer than the bound')
  t.same(splitCompact(b('a.b.c.d.e'), 5, 10)?.length, 5)
})

t.test('Concat KDF: RFC 7518 Appendix C', async (t) => {
  const bob = createPrivateKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: 'weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ', y: 'e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck', d: 'VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw' } })
  const alice = createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0', y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps' } })
  const z = diffieHellman({ privateKey: bob, publicKey: alice })
  t.same([...z], [158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196])
  t.equal(concatKdf(z, 'A128GCM', 128, Buffer.from('Alice'), Buffer.from('Bob')).toString('base64url'), 'VqqN6vgjbSBcIijNcacQGg')
})
