// BER element count and depth (PROTOCOL.md §12.7; issue 13 §2): a tree of tiny elements is refused
// by a single counting walk before it is parsed, in every place a peer's BER is read (envelopes,
// signed letters and receipts, time-stamp tokens, CRLs); what valid encoders write still passes.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { isSarabanError } from '../../src/errors.js'
import { checkBer, children, content, DerError, elementBudget, raw, readTlv } from '../../src/crypto/cms/der-read.js'
import { ctx, seq, tlv } from '../../src/crypto/cms/der-write.js'
import { parseAuthEnveloped } from '../../src/crypto/cms/auth-enveloped.js'
import { CmsSignedError, signCms, verifyCms } from '../../src/crypto/cms/signed-data.js'
import { OID_CT_SARABAN_LETTER } from '../../src/crypto/cms/oids.js'
import { parseOne, Asn1Error } from '../../src/tsa/der.js'
import { parseCrl } from '../../src/pki/crl.js'
import { testFederation } from '../helpers/federation.js'
import { signerOf } from '../vectors/fixtures.js'
import { assembleEnvelope } from '../vectors/cms-craft.js'

const fed = await testFederation()
const NULL = Buffer.from([0x05, 0x00])

/** `groups` SEQUENCEs of `each` NULLs: many elements, none with more children than the reader's per-element cap. */
function tinyTree(groups: number, each: number): Buffer[] {
  const one = seq(...Array.from({ length: each }, () => NULL))
  return Array.from({ length: groups }, () => one)
}

/** What `fn` throws (undefined: nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

/** `n` nested SEQUENCEs around a NULL. */
function deep(n: number): Buffer {
  let b: Buffer = NULL
  for (let i = 0; i < n; i++) b = seq(b)
  return b
}

/** A signed letter with `crls` [1] inserted (a member cms-v1 skips, so only a walk of the whole encoding sees it). */
function withCrls(der: Buffer, crls: Buffer): Buffer {
  const ci = readTlv(der, 0)
  const [ct, wrapped] = children(der, ci)
  const sd = children(der, children(der, wrapped!)[0]!)
  const certsAt = sd.findIndex((e) => e.tag === 0xa0)
  const parts = sd.map((e) => raw(der, e))
  parts.splice(certsAt + 1, 0, crls)
  return seq(raw(der, ct!), ctx(0, seq(...parts)))
}

t.test('the budget: what valid encoders write passes', async (t) => {
  t.ok(elementBudget(150 * 1024 * 1024) > (150 * 1024 * 1024) / 1000, 'CER segments of 1000 octets fit for a 150 MB envelope')
  const body = randomBytes(2 * 1024 * 1024)
  const segments: Buffer[] = []
  for (let i = 0; i < body.length; i += 1000) segments.push(tlv(0x04, body.subarray(i, i + 1000)))
  const cer = Buffer.concat([Buffer.from([0x24, 0x80]), ...segments, Buffer.from([0, 0])])
  t.equal(checkBer(cer), cer.length, 'a 2 MB OCTET STRING in 1000-octet segments')
  const signed = signCms(OID_CT_SARABAN_LETTER, Buffer.from('{}'), signerOf(fed, 'moi')).der
  t.equal(checkBer(signed), signed.length, 'a signed letter')
  t.equal(verifyCms(signed).contentType, OID_CT_SARABAN_LETTER)
})

t.test('a signed letter with a tree of tiny elements, or one nested too deep, is malformed', async (t) => {
  const signed = signCms(OID_CT_SARABAN_LETTER, Buffer.from('{}'), signerOf(fed, 'moi')).der
  const tree = withCrls(signed, ctx(1, ...tinyTree(20_000, 10)))
  t.ok(thrown(() => checkBer(tree)) instanceof DerError)
  const e1 = thrown(() => verifyCms(tree))
  t.ok(e1 instanceof CmsSignedError && e1.kind === 'malformed', 'too many elements')
  const nested = withCrls(signed, ctx(1, deep(40)))
  const e2 = thrown(() => verifyCms(nested))
  t.ok(e2 instanceof CmsSignedError && e2.kind === 'malformed', 'nested too deeply')
})

t.test('an envelope whose encrypted content is cut into a tree of 1-octet segments is ERR_ENVELOPE_MALFORMED', async (t) => {
  const env = assembleEnvelope({ plaintext: [randomBytes(200_000)], recipient: fed.agencies.mof!.encryption.cert })
  t.ok(parseAuthEnveloped(env), 'the envelope as built parses (control)')
  const ci = readTlv(env, 0)
  const [ct, wrapped] = children(env, ci)
  const f = children(env, children(env, wrapped!)[0]!)
  const eci = children(env, f[2]!)
  const bytes = content(env, eci[2]!)
  const groups: Buffer[] = []
  for (let i = 0; i < bytes.length; i += 2000) {
    const g = bytes.subarray(i, i + 2000)
    groups.push(tlv(0x24, ...Array.from(g, (b) => tlv(0x04, Buffer.from([b])))))
  }
  const tree = tlv(0xa0, ...groups)
  const rebuilt = seq(raw(env, ct!), ctx(0, seq(raw(env, f[0]!), raw(env, f[1]!), seq(raw(env, eci[0]!), raw(env, eci[1]!), tree), raw(env, f[3]!))))
  const e = thrown(() => parseAuthEnveloped(rebuilt))
  t.ok(isSarabanError(e) && e.code === 'ERR_ENVELOPE_MALFORMED', 'refused as malformed')
})

t.test('time-stamp tokens and CRLs are walked before asn1js parses them', async (t) => {
  const tokenTree = seq(...tinyTree(6_000, 10))
  t.ok(thrown(() => parseOne(tokenTree, 'token')) instanceof Asn1Error, 'a token of tiny elements')
  t.ok(thrown(() => parseOne(deep(40), 'token')) instanceof Asn1Error, 'a token nested too deep')
  t.throws(() => parseCrl(seq(deep(40))), /nested too deeply/)
  t.throws(() => parseCrl(seq(...tinyTree(40_000, 10))), /elements/)
})
