// The expiry watch (issue 17 item 4; src/services/expiry/) on real certificates, CRLs and a real
// SQLite file: each threshold crossed raises its event once (also across a restart), a revoked
// signing certificate in use is a failing finding logged at fatal level, a trust document near its
// nextUpdate is a degraded one.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Db } from '../../src/storage/db.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { CrlSet } from '../../src/pki/crl-set.js'
import { RevocationChecker, type RevocationMode } from '../../src/pki/revocation.js'
import { federationCrls } from '../../src/pki/dev-ca.js'
import { notAfter } from '../../src/pki/cert.js'
import { createLogger } from '../../src/log.js'
import { HostedAgencies, certThumbprint } from '../../src/services/hosting/agencies.js'
import { ExpiryWatch } from '../../src/services/expiry/index.js'
import type { SourceStatus } from '../../src/services/sources/signed-source.js'
import type { Directory } from '../../src/pki/directory.js'
import type { EventInput } from '../../src/domain/events.js'
import { testFederation } from '../helpers/federation.js'

const DAY = 86_400_000
const dir = mkdtempSync(join(tmpdir(), 'saraban-expiry-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const fresh = (nextUpdate: number): SourceStatus => ({ name: 'directory', location: '/etc/saraban/directory.jws', state: 'fresh', serial: '9', nextUpdate: new Date(nextUpdate).toISOString(), staleAt: new Date(nextUpdate + DAY).toISOString() })

async function setup(name: string, opts: { mode?: RevocationMode; crls?: Buffer[] } = {}) {
  const fed = await testFederation()
  let now = Date.now()
  const clock = { now: () => now }
  const crls = new CrlSet()
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: [fed.intermediate.cert], revocation: new RevocationChecker({ crls, mode: opts.mode ?? 'hard', now: clock.now }) })
  for (const der of opts.crls ?? [fed.crls.root, fed.crls.intermediate]) t.ok((await crls.add(der, anchors.cas())).ok)
  const moi = fed.agencies.moi!
  const hosted = new HostedAgencies([{
    id: 'moi', apiKeys: [],
    signing: [{ key: moi.signing.key, chain: moi.signing.chain }],
    decryption: [{ key: moi.encryption.key, cert: moi.encryption.cert, thumbprint: certThumbprint(moi.encryption.cert) }],
  }], { now: clock.now })
  const db = Db.open(join(dir, `${name}.sqlite`))
  t.teardown(() => db.close())
  const emitted: EventInput[] = []
  const lines: Array<{ level: number; event?: string; msg: string }> = []
  let directory: SourceStatus | undefined // undefined: a week ahead of the clock
  let crlStatus: SourceStatus[] = []
  const watch = () => new ExpiryWatch({
    clock, db, anchors,
    log: createLogger('info', new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb() } })),
    events: { emit: (e) => { emitted.push(e) } },
    inventory: { tlsChain: () => moi.tls.chain, hosted, directory: () => ({ isEncryptionCertOf: () => true }) as unknown as Directory, directoryJws: () => fed.directoryJws },
    directoryStatus: () => directory ?? fresh(now + 7 * DAY), crlStatus: () => crlStatus,
    settings: { certificateDays: [30, 7], trustDocumentHours: 6, checkSeconds: 3600 },
  })
  return {
    fed, moi, watch, emitted, lines,
    at: (ms: number) => { now = ms },
    setDirectory: (s: SourceStatus) => { directory = s },
    setCrls: (s: SourceStatus[]) => { crlStatus = s },
  }
}

t.test('nothing near expiry, nothing revoked: no finding, no event', async (t) => {
  const s = await setup('quiet')
  const w = s.watch()
  await w.evaluate()
  t.same(w.findings(), [])
  t.same(s.emitted, [])
})

t.test('each threshold raises its event once, for every certificate in use, across a restart', async (t) => {
  const s = await setup('expiring', { mode: 'soft' }) // the CRLs are not current a year from now
  const end = notAfter(s.moi.signing.cert).getTime()
  s.at(end - 25 * DAY)
  const w = s.watch()
  await w.evaluate()
  const expiring = w.findings().filter((f) => f.check === 'certificate-expiring')
  t.ok(expiring.some((f) => /signing certificate of moi .* in 2[45] day\(s\) \(warning at 30 days\)/.test(f.detail)), 'signing')
  t.ok(expiring.some((f) => /encryption certificate of moi/.test(f.detail)), 'encryption')
  t.ok(expiring.some((f) => /TLS certificate/.test(f.detail)), 'TLS')
  t.ok(expiring.some((f) => /directory signer certificate/.test(f.detail)), 'the directory signer')
  t.ok(expiring.every((f) => f.status === 'degraded'))
  const first = s.emitted.length
  t.ok(first >= 4, 'an event per certificate')
  t.ok(s.emitted.every((e) => e.type === 'certificate.expiring' && e.agency === 'moi' && e.data?.threshold === 30), 'every one for the 30-day threshold')
  await w.evaluate()
  t.equal(s.emitted.length, first, 'no second event for the same threshold')
  await s.watch().evaluate()
  t.equal(s.emitted.length, first, 'nor after a restart (migration 029)')

  s.at(end - 5 * DAY)
  await w.evaluate()
  const seven = s.emitted.slice(first)
  t.equal(seven.length, first, 'the 7-day threshold raises its own event per certificate')
  t.ok(seven.every((e) => e.data?.threshold === 7))
  t.ok(s.lines.some((l) => l.level === 40 && l.event === 'certificate.expiring'), 'logged as a warning')

  s.at(end + 1000)
  await w.evaluate()
  t.ok(w.findings().some((f) => f.check === 'certificate-expired' && f.status === 'failing' && /signing certificate of moi .* expired/.test(f.detail)), 'expired: failing')
})

t.test('a revoked signing certificate in use: failing, event once, logged at fatal level', async (t) => {
  const fed = await testFederation()
  const revoked = await federationCrls(fed, { revoked: [{ cert: fed.agencies.moi!.signing.cert, reason: 'keyCompromise' }], number: 7 })
  const s = await setup('revoked', { crls: [revoked.root, revoked.intermediate] })
  const w = s.watch()
  await w.evaluate()
  const f = w.findings().find((x) => x.check === 'certificate-revoked')
  t.equal(f?.status, 'failing')
  t.equal(f?.revokedSigner, 'moi')
  t.match(f?.detail, /signing certificate of moi .* is revoked .*keyCompromise/)
  t.same(s.emitted.map((e) => [e.type, e.agency, e.data?.inUse]), [['certificate.revoked', 'moi', true]])
  t.ok(s.lines.some((l) => l.level === 60 && l.event === 'certificate.revoked'), 'a fatal log line')
  await w.evaluate()
  await s.watch().evaluate()
  t.equal(s.emitted.length, 1, 'raised once, also across a restart')
})

t.test('a directory near its nextUpdate with no fresher copy: degraded, trust.expiring once per serial', async (t) => {
  const s = await setup('trust')
  const w = s.watch()
  s.setDirectory(fresh(Date.now() + 3 * 3600_000))
  await w.evaluate()
  const f = w.findings().find((x) => x.check === 'directory-next-update')
  t.equal(f?.status, 'degraded')
  t.match(f?.detail, /the directory \(serial 9\) reaches its nextUpdate .* in 3 h/)
  await w.evaluate()
  t.same(s.emitted.map((e) => [e.type, e.data?.serial]), [['trust.expiring', '9']])
  s.setDirectory({ ...fresh(Date.now() + 2 * 3600_000), state: 'grace' })
  await w.evaluate()
  t.notOk(w.findings().some((x) => x.check === 'directory-next-update'), 'past nextUpdate it is health.ts\'s grace check, not this one')

  // The same for a CRL, with the reason of its last failed refresh.
  s.setCrls([{ ...fresh(Date.now() + 3600_000), name: 'crl', location: 'https://ca.example/issuing.crl', serial: '12', lastError: { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE', reason: 'HTTP 404', at: new Date().toISOString() } }])
  await w.evaluate()
  const crl = w.findings().find((x) => x.check === 'crl-next-update')
  t.equal(crl?.status, 'degraded')
  t.match(crl?.detail, /the CRL from https:\/\/ca\.example\/issuing\.crl \(number 12\) reaches its nextUpdate .* ask its CA to publish one\. The last refresh failed \(ERR_TRUST_DOCUMENT_UNAVAILABLE\): HTTP 404/)
  t.same(s.emitted.map((e) => [e.type, e.data?.document, e.data?.serial]), [['trust.expiring', 'directory', '9'], ['trust.expiring', 'crl', '12']])
})
