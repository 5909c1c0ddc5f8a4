// PROTOCOL.md §6.3, §7.2 "Receipts that fail": a receipt's failure says what went wrong, and is
// retried only when it depends on what the sender holds (directory, CRLs, clock); the recipient
// answers every retry with the same receipt, so every other failure fails it at once.
import t from 'tap'
import { createHash } from 'node:crypto'
import { Directory } from '../../src/pki/directory.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { RevocationChecker } from '../../src/pki/revocation.js'
import { CrlSet } from '../../src/pki/crl-set.js'
import { signV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { checkReceipt } from '../../src/services/receipt-check.js'
import { testFederation } from '../helpers/federation.js'
import { craftJws, x5cOf } from '../vectors/craft.js'

const fed = await testFederation()
const directory = new Directory(fed.directory)
const anchors = new TrustAnchors([fed.root.cert], { intermediates: directory.intermediates() })
const mof = fed.agencies.mof!.signing
const signer = { agency: 'mof', key: mof.key, chain: mof.chain }
const now = Date.now()
const expected = { messageId: '5a2a0ba0-0000-4000-8000-000000000001', from: 'moi', to: 'mof', envelopeSha256: createHash('sha256').update('envelope').digest('hex') }
const claims = (over: Record<string, unknown> = {}) => ({ v: 1 as const, mid: expected.messageId, from: 'moi', to: 'mof', receivedAt: new Date(now).toISOString(), envelopeSha256: expected.envelopeSha256, profile: 'jose-v1', ...over })
const deps = { profile: joseV1, anchors, directory, notAfter: now + 300_000, notBefore: now - 60_000 - 300_000 }
const alg = mof.key.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256'

t.test('a good receipt passes', async (t) => {
  t.ok((await checkReceipt(signV1Receipt(claims(), signer), expected, deps)).ok)
})

t.test('failures in the receipt itself fail at once, with the reason', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['an extra claim', craftJws({ alg, typ: 'saraban-receipt+jws', x5c: x5cOf(mof.chain) }, JSON.stringify({ ...claims(), extra: 1 }), mof.key), /members must be exactly/],
    ['an extra header member', craftJws({ alg, typ: 'saraban-receipt+jws', x5c: x5cOf(mof.chain), kid: 'x' }, JSON.stringify(claims()), mof.key), /"kid"/],
    ['a claim twice', craftJws({ alg, typ: 'saraban-receipt+jws', x5c: x5cOf(mof.chain) }, JSON.stringify(claims()).replace('"profile"', '"mid":"x","profile"'), mof.key), /\/mid twice/],
    ['a bad signature', Buffer.concat([signV1Receipt(claims(), signer).subarray(0, -2), Buffer.from('AA')]), /bad signature/],
    ['another message', signV1Receipt(claims({ mid: '5a2a0ba0-0000-4000-8000-000000000002' }), signer), /messageId is not what was sent/],
    ['dated before the letter', signV1Receipt(claims({ receivedAt: new Date(now - 3_600_000).toISOString() }), signer), /before the letter was sent/],
  ]
  for (const [name, receipt, reason] of cases) {
    const r = await checkReceipt(receipt, expected, deps)
    t.equal(r.ok, false, name)
    if (r.ok) continue
    t.equal(r.code, 'ERR_RECEIPT_INVALID', name)
    t.equal(r.retry, false, `${name}: not retried`)
    t.match(r.reason, reason, `${name}: says why`)
    t.notMatch(r.reason, /signature does not verify/, `${name}: not the generic text`)
  }
})

t.test('failures that depend on what the sender holds are retried', async (t) => {
  const ahead = await checkReceipt(signV1Receipt(claims({ receivedAt: new Date(now + 3_600_000).toISOString() }), signer), expected, deps)
  t.match(ahead, { ok: false, retry: true }, 'a receivedAt ahead of the sender clock: the clock moves on')
  // Signed by dga's (valid) signing certificate: not mof's in the directory held; a newer one may list it.
  const dga = fed.agencies.dga!.signing
  const other = await checkReceipt(signV1Receipt({ ...claims(), to: 'dga' }, { agency: 'dga', key: dga.key, chain: dga.chain }), { ...expected, to: 'dga' }, { ...deps, directory: new Directory({ ...fed.directory, agencies: fed.directory.agencies.map((a) => (a.id === 'dga' ? { ...a, certificates: { ...a.certificates, signing: [] } } : a)) }) })
  t.match(other, { ok: false, retry: true }, 'a signer the directory held does not list')
  // No CRL held under hard fail: ERR_REVOCATION_UNKNOWN until one arrives.
  const blind = new TrustAnchors([fed.root.cert], { intermediates: directory.intermediates(), revocation: new RevocationChecker({ crls: new CrlSet(), mode: 'hard', now: Date.now }) })
  const unknown = await checkReceipt(signV1Receipt(claims(), signer), expected, { ...deps, anchors: blind })
  t.match(unknown, { ok: false, retry: true }, 'revocation status unknown')
})
