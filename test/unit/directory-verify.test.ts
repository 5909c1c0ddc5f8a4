// Strict verification of the signed directory (PROTOCOL.md §1.4, §14.2) and the anti-rollback rule
// (§14.3): src/pki/compact-jws.ts and src/pki/directory.ts.
import t from 'tap'
import type { Test } from 'tap'
import { sign } from 'node:crypto'
import { checkSignedDirectory, compareToHeld, signDirectory, verifyDirectory, type DirectoryDocument } from '../../src/pki/directory.js'
import { toBase64Der } from '../../src/pki/cert.js'
import { SarabanError } from '../../src/errors.js'
import { testTrust } from '../helpers/federation.js'

const now = new Date()
const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

async function refused(t: Test, p: Promise<unknown>, code: string, msg: string): Promise<void> {
  try {
    await p
    t.fail(`${msg}: expected ${code}, it was accepted`)
  } catch (e) {
    t.equal(e instanceof SarabanError ? e.code : String(e), code, msg)
  }
}

t.test('hand-made JWS variants: only the canonical, allow-listed form verifies', async (t) => {
  const { fed, anchors } = await testTrust()
  const signer = fed.directoryIssuer // EC P-256 → ES256
  const x5c = signer.chain.map(toBase64Der)
  const make = (header: Record<string, unknown>, payload: string | Buffer = JSON.stringify(fed.directory), mangle?: (parts: string[]) => string[]) => {
    const h = b64u(header)
    const p = Buffer.from(payload).toString('base64url')
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key: signer.key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
    const parts = [h, p, sig]
    return (mangle ? mangle(parts) : parts).join('.')
  }
  const good = { alg: 'ES256', typ: 'saraban-directory+jws', x5c }
  t.equal((await verifyDirectory(make(good), anchors, now)).serial, fed.directory.serial, 'the canonical form verifies')
  t.equal((await verifyDirectory(make({ ...good, kid: 'x' }), anchors, now)).serial, fed.directory.serial, 'unknown header members are ignored (PROTOCOL.md §1.4)')
  const cases: Array<[string, string]> = [
    ['crit', make({ ...good, crit: ['b64'], b64: false })],
    ['alg none', make({ ...good, alg: 'none' })],
    ['alg RS256 with an EC key', make({ ...good, alg: 'RS256' })],
    ['typ missing', make({ alg: 'ES256', x5c })],
    ['x5c empty', make({ ...good, x5c: [] })],
    ['x5c base64url instead of base64', make({ ...good, x5c: [Buffer.from(x5c[0]!, 'base64').toString('base64url'), ...x5c.slice(1)] })],
    ['padding on the signature', make(good, undefined, ([h, p, s]) => [h!, p!, s! + '='])],
    ['a line break in the payload', make(good, undefined, ([h, p, s]) => [h!, p!.slice(0, 10) + '\n' + p!.slice(10), s!])],
    ['standard base64 in the payload', make(good, undefined, ([h, p, s]) => [h!, Buffer.from(p!, 'base64url').toString('base64').replace(/=+$/, ''), s!])],
    ['four parts', make(good, undefined, (parts) => [...parts, 'x'])],
    ['payload is not JSON', make(good, 'not json')],
    ['payload is a JSON array', make(good, '[]')],
    ['payload is not UTF-8', make(good, Buffer.from([0x7b, 0xff, 0x7d]))],
  ]
  for (const [name, jws] of cases) {
    if (name === 'standard base64 in the payload' && !/[+/]/.test(jws.split('.')[1]!)) continue // nothing to mangle
    await refused(t, verifyDirectory(jws, anchors, now), 'ERR_DIRECTORY_INVALID', name)
  }
})

t.test('the payload is checked against schemas/protocol/directory.json', async (t) => {
  const { fed, anchors } = await testTrust()
  const base = fed.directory
  const bad: Array<[string, DirectoryDocument]> = [
    ['version 2', { ...base, version: 2 as 1 }],
    ['serial negative', { ...base, serial: -1 }],
    ['serial not an integer', { ...base, serial: 1.5 }],
    ['issuedAt without zone', { ...base, issuedAt: '2026-11-25T00:00:00' }],
    ['nextUpdate before issuedAt', { ...base, nextUpdate: new Date(Date.parse(base.issuedAt) - 1000).toISOString() }],
    ['http endpoint', { ...base, agencies: base.agencies.map((a, i) => (i === 0 ? { ...a, endpoints: ['http://x.example'] } : a)) }],
    ['status unknown', { ...base, agencies: base.agencies.map((a, i) => (i === 0 ? { ...a, status: 'gone' as 'active' } : a)) }],
    ['agency listed twice', { ...base, agencies: [...base.agencies, base.agencies[0]!] }],
    ['intermediate not base64', { ...base, intermediates: ['not base64!'] }],
  ]
  for (const [name, doc] of bad) await refused(t, signDirectory(doc, fed.directoryIssuer).then((j) => verifyDirectory(j, anchors, now)), 'ERR_DIRECTORY_INVALID', name)
  const open = await signDirectory({ ...base, futureMember: { x: 1 } } as DirectoryDocument, fed.directoryIssuer)
  t.equal((await verifyDirectory(open, anchors, now)).serial, base.serial, 'unknown members are ignored (PROTOCOL.md §11)')
  const serial0 = await signDirectory({ ...base, serial: 0 }, fed.directoryIssuer)
  t.equal((await verifyDirectory(serial0, anchors, now)).serial, 0, 'serial 0 is allowed (PROTOCOL.md §1.4)')
})

t.test('anti-rollback: higher serial replaces, same payload is the same, anything else is refused', async (t) => {
  const { fed, anchors } = await testTrust()
  const v = async (doc: DirectoryDocument) => checkSignedDirectory(await signDirectory(doc, fed.directoryIssuer), anchors, now)
  const s5 = await v({ ...fed.directory, serial: 5 })
  const s5again = await v({ ...fed.directory, serial: 5 })
  t.not(s5.jws, s5again.jws, 'ECDSA signatures differ')
  t.equal(compareToHeld(s5, s5again), 'same', 'the same payload signed twice')
  t.equal(compareToHeld(s5, await v({ ...fed.directory, serial: 6 })), 'newer')
  t.throws(() => compareToHeld(s5, s5 && { doc: { ...s5.doc, serial: 4 }, payloadSha256: 'x' }), { code: 'ERR_DIRECTORY_ROLLBACK' }, 'a lower serial')
  const other5 = await v({ ...fed.directory, serial: 5, agencies: fed.directory.agencies.slice(1) })
  t.throws(() => compareToHeld(s5, other5), { code: 'ERR_DIRECTORY_ROLLBACK' }, 'the same serial with other contents')
})

t.test('signer path at the directory issuedAt for evidence', async (t) => {
  const { fed, anchors } = await testTrust()
  const v = await checkSignedDirectory(fed.directoryJws, anchors, 'issuedAt')
  t.equal(v.doc.serial, fed.directory.serial)
  t.match(v.payloadSha256, /^[0-9a-f]{64}$/)
  // far in the future the signer certificate has expired: refused at that time, accepted at issuedAt
  const later = new Date(now.getTime() + 401 * 86_400_000) // a day past the test certificates' 400
  await refused(t, checkSignedDirectory(fed.directoryJws, anchors, later), 'ERR_DIRECTORY_INVALID', 'signer expired at that time')
})
