// services/idempotency: RFC 8785 canonical JSON, the letter fingerprint (issue 20 §9), and the
// in-flight marks (draft-ietf-httpapi-idempotency-key-header: 409 while the first is processed).
import t from 'tap'
import { canonicalJson, letterFingerprint, bodyFingerprint, sameRequest } from '../../src/services/idempotency/fingerprint.js'
import { InFlight } from '../../src/services/idempotency/in-flight.js'

t.test('RFC 8785: sorted members by UTF-16 code units, no whitespace, ECMAScript numbers and strings', async (t) => {
  // RFC 8785 §3.2.3's sorting example, keys only.
  const sorted = canonicalJson({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' })
  // (JSON.parse would move "1" first: integer-like keys lead in JS objects, so read the text.)
  t.same([...sorted.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`)), ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'])
  // RFC 8785 §3.2.2.3 numbers.
  t.equal(canonicalJson([333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001, -0]), '[333333333.3333333,1e+30,4.5,0.002,1e-27,0]')
  t.equal(canonicalJson({ b: [1, { d: 'ไทย', c: null }], a: '\u000f"' }), '{"a":"\\u000f\\"","b":[1,{"c":null,"d":"ไทย"}]}')
  t.equal(canonicalJson({ a: undefined, b: true }), '{"b":true}', 'an absent member is absent')
  t.throws(() => canonicalJson(NaN))
})

t.test('the fingerprint of a letter ignores how it was written, not what it says', async (t) => {
  const letter = { subject: 'เชิญประชุม', recipients: [{ agency: 'mof' }], urgency: 'URGENT' }
  const pdf = { filename: 'a.pdf', mediaType: 'application/pdf', sha256: 'ab'.repeat(32) }
  const fp = letterFingerprint(letter, [pdf])
  t.match(fp, /^[0-9a-f]{64}$/)
  t.equal(letterFingerprint(JSON.parse(JSON.stringify({ urgency: 'URGENT', recipients: [{ agency: 'mof' }], subject: 'เชิญประชุม' })), [pdf]), fp)
  t.not(letterFingerprint({ ...letter, subject: 'อื่น' }, [pdf]), fp)
  t.not(letterFingerprint(letter, [{ ...pdf, sha256: 'cd'.repeat(32) }]), fp)
  t.not(letterFingerprint(letter, [pdf, pdf]), fp, 'attachment order and count matter')
  t.not(letterFingerprint(letter, []), fp)
  t.not(bodyFingerprint('register:send', {}), bodyFingerprint('register:circular', {}), 'scoped by what it acts on')
})

t.test('sameRequest: by fingerprint, or by byte digest for rows from before migration 028', async (t) => {
  t.ok(sameRequest({ requestFingerprint: 'f', requestSha256: 'x' }, 'f', 'y'))
  t.notOk(sameRequest({ requestFingerprint: 'f', requestSha256: 'x' }, 'g', 'x'))
  t.ok(sameRequest({ requestFingerprint: null, requestSha256: 'x' }, 'g', 'x'))
  t.notOk(sameRequest({ requestFingerprint: null, requestSha256: 'x' }, 'g', undefined))
  t.notOk(sameRequest({ requestFingerprint: null, requestSha256: null }, 'g', undefined))
})

t.test('InFlight: a key held is refused with ERR_IDEMPOTENCY_IN_FLIGHT until released', async (t) => {
  const f = new InFlight()
  const release = f.take('moi', 'k')
  t.throws(() => f.take('moi', 'k'), { code: 'ERR_IDEMPOTENCY_IN_FLIGHT', field: 'Idempotency-Key' })
  const other = f.take('mof', 'k') // keys are per agency
  other()
  release()
  release() // idempotent
  t.equal(f.size, 0)
  f.take('moi', 'k')()
})
