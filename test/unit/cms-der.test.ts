// The small DER writer and BER reader under cms-v1 (X.690): length forms, OIDs, SET OF order,
// times, indefinite lengths and chunked OCTET STRINGs as OpenSSL writes them, and refusals.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { children, DerError, octetChunks, readOid, readTime, readTlv } from '../../src/crypto/cms/der-read.js'
import { header, int, oid, octets, setOf, signingTime, tlv } from '../../src/crypto/cms/der-write.js'

t.test('definite lengths: short and long forms round-trip', async (t) => {
  for (const n of [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x123456]) {
    const el = Buffer.concat([header(0x04, n), Buffer.alloc(n)])
    const r = readTlv(el, 0)
    t.equal(r.end - r.body, n, `length ${n}`)
    t.equal(r.next, el.length)
  }
  t.same(header(0x30, 0x80), Buffer.from([0x30, 0x81, 0x80]))
  t.same(header(0x30, 0x100), Buffer.from([0x30, 0x82, 0x01, 0x00]))
})

t.test('OIDs and INTEGERs as OpenSSL encodes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cms-der-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const o of ['1.2.840.113549.1.9.16.1.23', '2.16.840.1.101.3.4.1.46', '1.3.132.1.11.1', '1.3.6.1.4.1.999999.764.2.1', '2.5.29.14']) {
    const der = oid(o)
    t.equal(readOid(der, readTlv(der, 0)), o)
    const out = join(dir, 'oid.der')
    execFileSync('openssl', ['asn1parse', '-genstr', `OID:${o}`, '-out', out, '-noout'])
    t.same(der, readFileSync(out), `${o} matches openssl asn1parse -genstr`)
  }
  t.same(int(0), Buffer.from([2, 1, 0]))
  t.same(int(16), Buffer.from([2, 1, 16]))
  t.same(int(Buffer.from([0x80, 1])), Buffer.from([2, 3, 0, 0x80, 1]), 'a high bit gets a leading zero')
  t.same(int(Buffer.from([0, 0, 0x7f])), Buffer.from([2, 1, 0x7f]), 'leading zeros are dropped')
})

t.test('SET OF elements in ascending DER order (X.690 §11.6)', async (t) => {
  const a = octets(Buffer.from([2])), b = octets(Buffer.from([1, 9])), c = octets(Buffer.from([1]))
  const set = setOf(a, b, c)
  const order = children(set, readTlv(set, 0)).map((e) => set.subarray(e.start, e.next).toString('hex'))
  t.same(order, [c, a, b].map((x) => x.toString('hex')))
})

t.test('signing-time: UTCTime until 2049, GeneralizedTime from 2050 (RFC 5652 §11.3)', async (t) => {
  const u = signingTime(new Date('2026-11-25T03:04:05.678Z'))
  t.equal(u[0], 0x17)
  t.equal(u.subarray(2).toString(), '261125030405Z')
  t.equal(readTime(u, readTlv(u, 0))!.toISOString(), '2026-11-25T03:04:05.000Z')
  const g = signingTime(new Date('2050-01-01T00:00:00Z'))
  t.equal(g[0], 0x18)
  t.equal(readTime(g, readTlv(g, 0))!.toISOString(), '2050-01-01T00:00:00.000Z')
  const bad = tlv(0x17, Buffer.from('261399030405Z'))
  t.equal(readTime(bad, readTlv(bad, 0)), undefined, 'month 13 is not a time')
})

t.test('indefinite lengths and chunked OCTET STRINGs', async (t) => {
  // SEQUENCE (indefinite) { [0] constructed (indefinite) { OCTET STRING "ab", OCTET STRING (constructed) { "c" } } }
  const ber = Buffer.from('3080a08004026162240304016300000000', 'hex')
  const seqT = readTlv(ber, 0)
  t.equal(seqT.next, ber.length)
  const [inner] = children(ber, seqT)
  t.same(Buffer.concat(octetChunks(ber, inner!, 0x80)).toString(), 'abc')
})

t.test('refusals', async (t) => {
  const bad: Array<[string, string]> = [
    ['0403616263ff', 'ok'], // trailing bytes are the caller's business
    ['04056162', 'content runs past'],
    ['1f0100', 'high tag'],
    ['0480616200', 'indefinite primitive'],
    ['3080', 'no end-of-contents'],
    ['30850100000000', 'length too long'],
    ['30', 'truncated'],
  ]
  for (const [hex, why] of bad) {
    const b = Buffer.from(hex, 'hex')
    if (why === 'ok') t.equal(readTlv(b, 0).next, 5)
    else t.ok(throwsDer(() => readTlv(b, 0)), why)
  }
  let deep = Buffer.from('0400', 'hex')
  for (let i = 0; i < 40; i++) deep = Buffer.concat([Buffer.from([0x30, 0x80]), deep, Buffer.from([0, 0])])
  t.ok(throwsDer(() => readTlv(deep, 0)), 'nesting deeper than 32')
})

function throwsDer(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (e) {
    return e instanceof DerError
  }
}
