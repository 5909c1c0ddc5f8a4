// jose-v1 receipts (PROTOCOL.md §6): every defect is ERR_RECEIPT_INVALID for the sender to record.
import t from 'tap'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { testFederation } from '../helpers/federation.js'
import { craftJws, tamperPart, undecodableKey, x5cOf } from '../vectors/craft.js'
import { sha256Hex, signerOf } from '../vectors/fixtures.js'

const fed = await testFederation()
const claims = {
  v: 1 as const, mid: '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f', from: 'moi', to: 'mof',
  receivedAt: '2026-11-25T03:04:06.123Z', envelopeSha256: sha256Hex(Buffer.from('envelope')), profile: 'jose-v1',
}
const signer = signerOf(fed, 'mof')
const receipt = await joseV1.signReceipt(claims, signer)
const header = { alg: 'ES256', typ: 'saraban-receipt+jws', x5c: x5cOf(signer.chain) }

t.test('a good receipt verifies', async (t) => {
  t.strictSame((await joseV1.verifyReceipt(receipt)).claims, claims)
})

t.test('defects', async (t) => {
  const bad: Array<[string, Buffer]> = [
    ['signature byte', tamperPart(receipt, 2, 0)],
    ['payload byte', tamperPart(receipt, 1, 3)],
    ['alg none', craftJws({ ...header, alg: 'none' }, JSON.stringify(claims), undefined)],
    ['letter typ', craftJws({ ...header, typ: 'saraban-letter+jws' }, JSON.stringify(claims), signer.key)],
    // Issue 13 §2: a leaf key OpenSSL cannot decode threw a TypeError (ERR_INTERNAL) past this check.
    ['x5c leaf key does not decode', craftJws({ ...header, x5c: [undecodableKey(signer.chain[0]!).toString('base64'), ...x5cOf(signer.chain).slice(1)] }, JSON.stringify(claims), signer.key)],
    ['signed by another key', craftJws(header, JSON.stringify(claims), fed.agencies.dga!.signing.key)],
    ['extra claim', craftJws(header, JSON.stringify({ ...claims, extra: 1 }), signer.key)],
    ['missing claim', craftJws(header, JSON.stringify({ ...claims, profile: undefined }), signer.key)],
    ['v 2', craftJws(header, JSON.stringify({ ...claims, v: 2 }), signer.key)],
    ['uppercase digest', craftJws(header, JSON.stringify({ ...claims, envelopeSha256: claims.envelopeSha256.toUpperCase() }), signer.key)],
    ['local time', craftJws(header, JSON.stringify({ ...claims, receivedAt: '2026-11-25T10:04:06+07:00' }), signer.key)],
    ['payload not JSON', craftJws(header, 'nope', signer.key)],
    ['two parts', Buffer.from(receipt.toString('latin1').split('.').slice(0, 2).join('.'))],
    ['too large', Buffer.concat([receipt, Buffer.alloc(70_000, 0x41)])],
    ['empty', Buffer.alloc(0)],
  ]
  for (const [name, r] of bad) await t.rejects(joseV1.verifyReceipt(r), { code: 'ERR_RECEIPT_INVALID' }, name)
})
