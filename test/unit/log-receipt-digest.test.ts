// The digest of a stored receipt in `message.delivered` and `message.stored` entries (PROTOCOL.md
// §20.3.2, §20.3.4): SHA-256 of the receipt's bytes, a compact JWS as its text and a cms-v1 receipt
// as its base64-decoded DER. storedReceiptSha256 hashes a JWS's text without copying it (issue 14 §6);
// it must give the digest of storedReceiptBytes for every text, well-formed or not.
import t from 'tap'
import { hash } from 'node:crypto'
import { storedReceiptBytes, storedReceiptSha256 } from '../../src/services/log/receipt-claims.js'
import { isoTime } from '../../src/clock.js'

const digest = (text: string) => hash('sha256', storedReceiptBytes(text), 'hex')

t.test('the same digest as the receipt bytes, for each form of stored text', async (t) => {
  const cases = [
    'eyJhbGciOiJFUzI1NiJ9.eyJ2IjoxfQ.c2ln', // a compact JWS
    `${'A'.repeat(40)}.${'b_-'.repeat(2000)}.${'Z9'.repeat(43)}`, // a long one
    Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff, 0xfe]).toString('base64'), // cms-v1: base64 DER
    'MII+/w==',
    'not.a.jws.at.all', // neither form: decoded as base64, as before
    'ก.ข.ค', // non-ASCII with two dots: not a compact JWS
    '',
  ]
  for (const c of cases) t.equal(storedReceiptSha256(c), digest(c), JSON.stringify(c.slice(0, 20)))
})

// isoTime keeps the last instant it formatted: it must never hand back another instant's text.
t.test('isoTime: alternating instants, the epoch, an invalid time', async (t) => {
  const a = Date.UTC(2026, 11, 8, 2, 30, 14, 123)
  for (const ms of [a, a, a + 1, a, 0, -0, 0, a + 86_400_000, 1.5, 1]) t.equal(isoTime(ms), new Date(ms).toISOString(), String(ms))
  t.throws(() => isoTime(Number.NaN), RangeError)
  t.throws(() => isoTime(8.64e15 + 1), RangeError)
  t.equal(isoTime(a), new Date(a).toISOString(), 'after a throw')
})
