// Hosted agencies: the signing key chosen during a rollover, API keys per agency, and the folder of
// agency files rescanned without restart (src/services/hosting/, PROTOCOL.md §16.3–§16.4).
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { chooseSigningKey, HostedAgencies } from '../../src/services/hosting/agencies.js'
import { AgenciesDir } from '../../src/services/hosting/agencies-dir.js'
import { createLogger } from '../../src/log.js'
import { fingerprint } from '../../src/pki/cert.js'
import { testPki } from '../helpers/hosting.js'

const DAY = 86_400_000
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

t.test('signing key: newest valid, listed in the directory first', async (t) => {
  const pki = await testPki()
  const now = Date.now()
  const older = await pki.issue('signing', 'a', { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now + 10 * DAY) })
  const newer = await pki.issue('signing', 'a', { notBefore: new Date(now - DAY), notAfter: new Date(now + 10 * DAY) })
  const future = await pki.issue('signing', 'a', { notBefore: new Date(now + DAY), notAfter: new Date(now + 10 * DAY) })
  const expired = await pki.issue('signing', 'a', { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) })
  const keys = [older, newer, future, expired].map((i) => ({ key: i.key, chain: i.chain }))
  const at = new Date(now)
  const pick = (listed: Array<typeof older>) => fingerprint(chooseSigningKey(keys, at, (leaf) => listed.some((l) => fingerprint(l.cert) === fingerprint(leaf))).chain[0]!)
  t.equal(pick([older, newer, future]), fingerprint(newer.cert), 'newest valid and listed; a not-yet-valid one is skipped')
  t.equal(pick([older]), fingerprint(older.cert), 'a newer certificate the directory does not list yet is not used')
  t.equal(pick([]), fingerprint(newer.cert), 'nothing listed: the newest valid')
  t.equal(fingerprint(chooseSigningKey([{ key: expired.key, chain: expired.chain }], at, () => true).chain[0]!), fingerprint(expired.cert), 'none valid: still one (the peer refuses it with a code)')
})

t.test('the signer is one object per chosen key, so its encoded JWS header is made once', async (t) => {
  // crypto/jose/jws.ts caches a signer's header by the signer object; a new object at each access
  // (the getter's old behaviour) checked the key against its certificate and encoded x5c per message.
  const pki = await testPki()
  const now = Date.now()
  const older = await pki.issue('signing', 'a', { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now + 2 * DAY) })
  const newer = await pki.issue('signing', 'a', { notBefore: new Date(now + DAY), notAfter: new Date(now + 10 * DAY) })
  let at = now
  const hosted = new HostedAgencies([{ id: 'a', signing: [older, newer].map((i) => ({ key: i.key, chain: i.chain })), decryption: [], apiKeys: [] }], { now: () => at })
  const first = hosted.get('a')!.signer
  t.equal(hosted.get('a')!.signer, first, 'the same object at the next access')
  t.equal(fingerprint(first.chain[0]!), fingerprint(older.cert))
  at = now + 3 * DAY
  const rolled = hosted.get('a')!.signer
  t.equal(fingerprint(rolled.chain[0]!), fingerprint(newer.cert), 'after the rollover: the new key')
  t.equal(hosted.get('a')!.signer, rolled, 'and again one object')
  at = now
  t.equal(hosted.get('a')!.signer, first, 'back before the rollover: the first key\'s object')
})

t.test('the agencies folder: add, change, remove; a broken file changes nothing', async (t) => {
  const pki = await testPki()
  const dir = mkdtempSync(join(tmpdir(), 'saraban-agencies-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const material = async (id: string) => {
    const [s, e] = await Promise.all([pki.issue('signing', id), pki.issue('encryption', id)])
    for (const [n, i] of [['s', s], ['e', e]] as const) {
      writeFileSync(join(dir, `${id}-${n}.key`), i.keyPem)
      writeFileSync(join(dir, `${id}-${n}.pem`), i.chainPem)
    }
    return { s, e }
  }
  const file = (id: string, body: Record<string, unknown> = {}) =>
    writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id, signing: { key: `${id}-s.key`, cert: `${id}-s.pem` }, encryption: [{ key: `${id}-e.key`, cert: `${id}-e.pem` }], apiKeys: [{ name: 'app', sha256: sha(`k-${id}`) }], ...body }))
  await material('aa')
  await material('bb')
  file('aa')
  file('bb')
  const hosted = new HostedAgencies([])
  const folder = new AgenciesDir({ dir, hosted, log: createLogger('silent'), env: {}, rescanSeconds: 3600, staticIds: new Set(['static']), staticKeyHashes: new Set([sha('static-key')]) })
  t.same(folder.rescan(), { added: ['aa', 'bb'], changed: [], removed: [], failed: [] })
  t.same(hosted.apiKey(sha('k-aa'))?.agencies, ['aa'], 'an agency file key acts for that agency alone')
  t.same(folder.rescan(), { added: [], changed: [], removed: [], failed: [] }, 'nothing changed, nothing reloaded')

  // A broken change leaves the agency as it was.
  writeFileSync(join(dir, 'aa-s.key'), 'not a key')
  let r = folder.rescan()
  t.equal(r.failed.length, 1)
  t.match(r.failed[0]!.reason, /aa\.json/)
  t.ok(hosted.has('aa'), 'aa still hosted with its previous keys')
  await material('aa')
  t.same(folder.rescan().changed, ['aa'], 'repaired: reloaded')

  // Refused files: a duplicate id, an API key of another agency, the config's own agency or key, a schema error.
  writeFileSync(join(dir, 'dup.json'), JSON.stringify({ id: 'aa', signing: { key: 'aa-s.key', cert: 'aa-s.pem' }, encryption: { key: 'aa-e.key', cert: 'aa-e.pem' } }))
  await material('cc')
  file('cc', { apiKeys: [{ name: 'stolen', sha256: sha('k-bb') }] })
  await material('static')
  file('static')
  await material('dd')
  file('dd', { apiKeys: [{ name: 'x', sha256: sha('static-key') }] })
  writeFileSync(join(dir, 'ee.json'), JSON.stringify({ id: 'ee', signing: {} }))
  r = folder.rescan()
  t.same(r.added, [])
  t.same(r.failed.map((f) => f.file.split('/').pop()).sort(), ['cc.json', 'dd.json', 'dup.json', 'ee.json', 'static.json'])
  t.same(hosted.ids().sort(), ['aa', 'bb'])
  t.same(hosted.apiKey(sha('k-bb'))?.agencies, ['bb'], 'bb keeps its key')

  rmSync(join(dir, 'cc.json')) // else cc, which reuses bb's key, would be loaded once bb is gone
  rmSync(join(dir, 'bb.json'))
  r = folder.rescan()
  t.same(r.removed, ['bb'])
  t.notOk(hosted.has('bb'))
  t.equal(hosted.apiKey(sha('k-bb')), undefined, 'a removed agency\'s keys stop at once')
})
