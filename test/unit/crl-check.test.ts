// CRLs (src/pki/crl.ts, crl-set.ts, revocation.ts) and the revocation check in TrustAnchors#validate
// (PROTOCOL.md §15): real CRLs from the throwaway CA, checked by OpenSSL too.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TrustAnchors } from '../../src/pki/validate.js'
import { CrlSet } from '../../src/pki/crl-set.js'
import { parseCrl } from '../../src/pki/crl.js'
import { RevocationChecker, type RevocationMode, type SoftFailure } from '../../src/pki/revocation.js'
import { federationCrls, issueCertificate } from '../../src/pki/dev-ca.js'
import { issueCrl } from '../../src/pki/dev-crl.js'
import { testFederation, foreignFederation } from '../helpers/federation.js'

const DAY = 86_400_000
const subject = { commonName: 'Ministry of Interior', organization: 'กระทรวงมหาดไทย', agencyId: 'moi' }

async function trust(opts: { crls?: Buffer[]; mode?: RevocationMode; now?: () => number; graceMs?: number } = {}) {
  const fed = await testFederation()
  const crls = new CrlSet({ graceMs: opts.graceMs ?? 0 })
  const soft: SoftFailure[] = []
  const anchors = new TrustAnchors([fed.root.cert], {
    intermediates: [fed.intermediate.cert],
    revocation: new RevocationChecker({ crls, mode: opts.mode ?? 'hard', now: opts.now ?? Date.now, onSoftFailure: (f) => soft.push(f) }),
  })
  for (const der of opts.crls ?? [fed.crls.root, fed.crls.intermediate]) {
    const r = await crls.add(der, anchors.cas())
    if (!r.ok) throw new Error(r.reason)
  }
  return { fed, anchors, crls, soft }
}

t.test('the federation CRLs parse, and OpenSSL verifies them and the chains against them', async (t) => {
  const fed = await testFederation()
  const root = parseCrl(fed.crls.root)
  const mid = parseCrl(fed.crls.intermediate)
  t.equal(root.revoked.size, 0)
  t.equal(mid.number, 1n)
  t.ok(mid.nextUpdate > new Date())
  t.ok(mid.authorityKeyId, 'authorityKeyIdentifier (RFC 5280 §5.2.1)')

  const victim = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject })
  const crls = await federationCrls(fed, { revoked: [{ cert: victim.cert, reason: 'keyCompromise' }], number: 2 })
  const parsed = parseCrl(crls.intermediate)
  t.equal(parsed.revoked.size, 1)
  t.equal([...parsed.revoked.values()][0]!.reason, 'keyCompromise')
  t.equal(parseCrl(crls.root).revoked.size, 0, 'a leaf is listed by the CA that issued it only')

  if (spawnSync('openssl', ['version']).status !== 0) { t.comment('openssl not installed'); return }
  const dir = mkdtempSync(join(tmpdir(), 'saraban-crl-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pem = (der: Buffer) => `-----BEGIN X509 CRL-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END X509 CRL-----\n`
  writeFileSync(join(dir, 'root.pem'), fed.root.certPem)
  writeFileSync(join(dir, 'crls.pem'), pem(crls.root) + pem(crls.intermediate))
  writeFileSync(join(dir, 'victim.pem'), victim.chainPem)
  writeFileSync(join(dir, 'good.pem'), fed.agencies.moi!.signing.chainPem)
  writeFileSync(join(dir, 'mid.crl'), crls.intermediate)
  writeFileSync(join(dir, 'mid.pem'), fed.intermediate.certPem)
  const run = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' })
  t.equal(run(['crl', '-inform', 'DER', '-in', join(dir, 'mid.crl'), '-CAfile', join(dir, 'mid.pem'), '-noout']).status, 0, 'openssl crl verifies the signature')
  const verify = (file: string) => run(['verify', '-crl_check_all', '-CRLfile', join(dir, 'crls.pem'), '-CAfile', join(dir, 'root.pem'), '-untrusted', file, file])
  t.equal(verify(join(dir, 'good.pem')).status, 0, 'openssl: a listed-good chain passes with -crl_check_all')
  const bad = verify(join(dir, 'victim.pem'))
  t.not(bad.status, 0)
  t.match(bad.stdout + bad.stderr, /revoked/)
})

t.test('a revoked leaf is refused with ERR_CERT_REVOKED whatever the caller code; others pass', async (t) => {
  const fed = await testFederation()
  const victim = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject })
  const revokedAt = new Date(Date.now() - 60_000)
  const crls = await federationCrls(fed, { revoked: [{ cert: victim.cert, revokedAt, reason: 'keyCompromise' }], number: 2 })
  const { anchors } = await trust({ crls: [crls.root, crls.intermediate] })
  const r = await anchors.validate(victim.chain, { at: new Date(), role: 'signing', code: 'ERR_RECIPIENT_CERT_INVALID' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED')
  t.match(!r.ok && r.reason, /revoked since .* \(keyCompromise\)/)
  const again = await anchors.validate(victim.chain, { at: new Date(), role: 'signing' })
  t.equal(!again.ok && again.code, 'ERR_CERT_REVOKED', 'the path cache does not hide revocation')
  const before = await anchors.validate(victim.chain, { at: new Date(revokedAt.getTime() - 1000), role: 'signing' })
  t.ok(before.ok, 'valid at a time before the revocation (evidence at a proven time, §15.3)')
  t.ok((await anchors.validate(fed.agencies.moi!.signing.chain, { at: new Date(), role: 'signing' })).ok, 'an unrevoked certificate passes')
})

t.test('a revoked issuing CA takes every certificate under it down', async (t) => {
  const fed = await testFederation()
  const crls = await federationCrls(fed, { revoked: [{ cert: fed.intermediate.cert, reason: 'cACompromise' }], number: 3 })
  const { anchors } = await trust({ crls: [crls.root, crls.intermediate] })
  const r = await anchors.validate(fed.agencies.mof!.tls.chain, { at: new Date(), role: 'tls' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED')
  t.match(!r.ok && r.reason, /Issuing CA/)
})

t.test('hard fail: no CRL, a stale CRL, or a CRL from the wrong key → ERR_REVOCATION_UNKNOWN', async (t) => {
  const fed = await testFederation()
  const chain = fed.agencies.moi!.signing.chain
  const noLeafCrl = await trust({ crls: [fed.crls.root] })
  const r = await noLeafCrl.anchors.validate(chain, { at: new Date(), role: 'signing' })
  t.equal(!r.ok && r.code, 'ERR_REVOCATION_UNKNOWN')
  t.match(!r.ok && r.reason, /no CRL/)

  const later = Date.now() + 40 * DAY // past the test CRLs' nextUpdate (validity 30 days)
  const stale = await trust({ now: () => later })
  const s = await stale.anchors.validate(chain, { at: new Date(), role: 'signing' })
  t.equal(!s.ok && s.code, 'ERR_REVOCATION_UNKNOWN')
  t.match(!s.ok && s.reason, /stale/)
  const graced = await trust({ now: () => later, graceMs: 20 * DAY })
  t.ok((await graced.anchors.validate(chain, { at: new Date(), role: 'signing' })).ok, 'within nextUpdate + grace')

  // A CRL with the issuing CA's name signed by another key: refused when added, if the CA is known.
  const foreign = await foreignFederation()
  const forged = await issueCrl({ key: foreign.intermediate.key, cert: fed.intermediate.cert }, {
    entries: [], thisUpdate: new Date(Date.now() - 1000), nextUpdate: new Date(Date.now() + DAY), number: 99,
  })
  const { crls, anchors } = await trust()
  const added = await crls.add(forged, anchors.cas())
  t.notOk(added.ok, 'a forged CRL is refused')
  t.ok((await anchors.validate(chain, { at: new Date(), role: 'signing' })).ok, 'the held CRL stays in force')
  // … and unusable if it arrives before its issuer is known.
  const blind = new CrlSet()
  t.ok((await blind.add(forged)).ok, 'accepted for later verification')
  const lazy = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert], revocation: new RevocationChecker({ crls: blind, mode: 'hard', now: Date.now }) })
  await blind.add(fed.crls.root)
  const l = await lazy.validate(chain, { at: new Date(), role: 'signing' })
  t.equal(!l.ok && l.code, 'ERR_REVOCATION_UNKNOWN')
  t.match(!l.ok && l.reason, /signature/)
})

t.test('soft fail passes without CRLs and reports each pass; a listed revocation still refuses', async (t) => {
  const fed = await testFederation()
  const { anchors, soft } = await trust({ crls: [], mode: 'soft' })
  t.ok((await anchors.validate(fed.agencies.dga!.tls.chain, { at: new Date(), role: 'tls' })).ok)
  t.equal(soft.length, 2, 'leaf and issuing CA reported')
  t.match(soft[0]!.reason, /no CRL/)

  const victim = await issueCertificate(fed.intermediate, { role: 'tls', keyType: 'ec', subject })
  const crls = await federationCrls(fed, { revoked: [{ cert: victim.cert }], number: 4 })
  const s2 = await trust({ crls: [crls.intermediate], mode: 'soft' })
  const r = await s2.anchors.validate(victim.chain, { at: new Date(), role: 'tls' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED')
})

t.test('anti-rollback: an older or same-numbered CRL does not replace the one held', async (t) => {
  const fed = await testFederation()
  const victim = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'rsa', subject })
  const newer = await federationCrls(fed, { revoked: [{ cert: victim.cert }], number: 5 })
  const { crls, anchors } = await trust({ crls: [newer.root, newer.intermediate] })
  const older = await crls.add(fed.crls.intermediate, anchors.cas())
  t.notOk(older.ok)
  t.match(!older.ok && older.reason, /rollback/)
  const same = await crls.add(newer.intermediate, anchors.cas())
  t.ok(same.ok && !same.changed, 'the same bytes again are a no-op')
  const r = await anchors.validate(victim.chain, { at: new Date(), role: 'signing' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED', 'the revocation stays in force')
})

t.test('expired certificates carry ERR_CERT_EXPIRED', async (t) => {
  const fed = await testFederation()
  const { anchors } = await trust()
  const expired = await issueCertificate(fed.intermediate, {
    role: 'signing', keyType: 'ec', subject, notBefore: new Date(Date.now() - 50 * 60_000), notAfter: new Date(Date.now() - 10 * 60_000),
  })
  const r = await anchors.validate(expired.chain, { at: new Date(), role: 'signing', code: 'ERR_RECIPIENT_CERT_INVALID' })
  t.equal(!r.ok && r.code, 'ERR_CERT_EXPIRED')
})

t.test('CRLs this node does not implement are refused when added', async (t) => {
  const { crls } = await trust()
  t.notOk((await crls.add(Buffer.from('not a crl'))).ok)
  const fed = await testFederation()
  const pem = `-----BEGIN X509 CRL-----\n${fed.crls.root.toString('base64')}\n-----END X509 CRL-----\n`
  t.ok((await new CrlSet().add(Buffer.from(pem))).ok, 'PEM is accepted too')
})

t.test('soft mode is announced at start and every soft pass is logged; hard mode needs CRL sources', async (t) => {
  const { createRevocationChecker } = await import('../../src/services/sources/crl-source.js')
  const { createLogger } = await import('../../src/log.js')
  const { Writable } = await import('node:stream')
  const lines: Array<{ level: number; event?: string }> = []
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  const log = createLogger('info', sink)
  const trust = { revocation: 'soft', crls: [], graceSeconds: 0 } as never
  const checker = createRevocationChecker({ trust }, { clock: { now: Date.now }, log })
  const fed = await testFederation()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert], revocation: checker })
  t.ok((await anchors.validate(fed.agencies.moi!.tls.chain, { at: new Date(), role: 'tls' })).ok)
  await new Promise((r) => setImmediate(r))
  t.ok(lines.some((l) => l.event === 'revocation.soft-fail' && l.level === 40), 'a warning at start')
  t.equal(lines.filter((l) => l.event === 'revocation.soft-pass' && l.level === 40).length, 2, 'a warning per certificate passed unchecked')
  t.throws(() => createRevocationChecker({ trust: { revocation: 'hard', crls: [], graceSeconds: 0 } as never }, { clock: { now: Date.now }, log }), { code: 'ERR_CONFIG_INVALID' })
})
