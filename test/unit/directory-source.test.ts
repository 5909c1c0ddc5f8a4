// The refreshing directory over real files and a real SQLite file (PROTOCOL.md §14):
// src/services/sources/signed-source.ts, src/services/sources/directory-source.ts, src/storage/trust-history.ts.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signDirectory, type DirectoryDocument } from '../../src/pki/directory.js'
import { DirectorySource, lastGoodDirectoryFile } from '../../src/services/sources/directory-source.js'
import { Db } from '../../src/storage/db.js'
import { TrustHistoryStore } from '../../src/storage/trust-history.js'
import { createLogger } from '../../src/log.js'
import { testTrust } from '../helpers/federation.js'
import { waitFor } from '../helpers/nodes.js'

const HOUR = 3600_000
const t0 = Date.now()
let offset = 0
const clock = { now: () => t0 + offset }

const dir = mkdtempSync(join(tmpdir(), 'saraban-dirsrc-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const source = join(dir, 'published', 'directory.jws')
const dataDir = join(dir, 'data')

async function publish(serial: number, opts: { issuedAt?: number; validMs?: number; edit?: (d: DirectoryDocument) => DirectoryDocument } = {}): Promise<string> {
  const { fed } = await testTrust()
  const issued = opts.issuedAt ?? clock.now()
  let doc: DirectoryDocument = { ...fed.directory, serial, issuedAt: new Date(issued).toISOString(), nextUpdate: new Date(issued + (opts.validMs ?? 24 * HOUR)).toISOString() }
  if (opts.edit) doc = opts.edit(doc)
  const jws = await signDirectory(doc, fed.directoryIssuer)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'published'), { recursive: true })
  writeFileSync(source, jws)
  return jws
}

async function open(db: Db, location = source, data = dataDir) {
  const { anchors } = await testTrust()
  return DirectorySource.open({
    location, dataDir: data, anchors, clock, log: createLogger('silent'),
    settings: { refreshMs: HOUR, graceMs: 2 * HOUR },
    fetch: { timeoutMs: 5000, maxBytes: 1 << 20 },
    history: { db, store: new TrustHistoryStore(db) },
  })
}

t.test('load, refresh, refuse, keep the last good copy, go stale, resume', async (t) => {
  const db = Db.open(join(dataDir, 'saraban.sqlite'))
  t.teardown(() => db.close())
  const history = new TrustHistoryStore(db)
  const first = await publish(1)
  const ds = await open(db)
  t.teardown(() => ds.close())
  t.equal(ds.directory().document().serial, 1)
  t.equal(ds.jws(), first)
  t.equal(readFileSync(lastGoodDirectoryFile(dataDir), 'utf8'), first, 'the last good copy is on disk')
  t.equal(ds.status().state, 'fresh')
  const updates: number[] = []
  ds.onUpdate((d) => updates.push(d.document().serial))

  offset += 1000
  t.equal((await ds.refresh()).outcome, 'unchanged', 'same bytes')
  const second = await publish(2)
  t.equal((await ds.refresh()).outcome, 'updated')
  t.equal(ds.directory().document().serial, 2)
  t.same(updates, [2], 'listeners hear of the update')
  t.equal(readFileSync(lastGoodDirectoryFile(dataDir), 'utf8'), second)

  const refusals: Array<[string, string, () => Promise<unknown>]> = [
    ['ERR_DIRECTORY_ROLLBACK', 'a lower serial (rollback)', () => publish(1)],
    ['ERR_DIRECTORY_ROLLBACK', 'the same serial with other contents', () => publish(2, { edit: (d) => ({ ...d, agencies: d.agencies.slice(1) }) })],
    ['ERR_DIRECTORY_EXPIRED', 'an expired directory', () => publish(3, { issuedAt: clock.now() - 3 * HOUR, validMs: HOUR })],
    ['ERR_DIRECTORY_INVALID', 'a tampered directory', async () => {
      const jws = await publish(3)
      const [h, p, s] = jws.split('.') as [string, string, string]
      const doc = JSON.parse(Buffer.from(p, 'base64url').toString()) as DirectoryDocument
      doc.agencies[0]!.endpoints = ['https://attacker.example']
      writeFileSync(source, `${h}.${Buffer.from(JSON.stringify(doc)).toString('base64url')}.${s}`)
    }],
    ['ERR_DIRECTORY_INVALID', 'an unsigned directory (alg none)', async () => {
      const { fed } = await testTrust()
      writeFileSync(source, `${Buffer.from('{"alg":"none","typ":"saraban-directory+jws"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...fed.directory, serial: 9 })).toString('base64url')}.`)
    }],
    ['ERR_DIRECTORY_INVALID', 'plain JSON', async () => {
      const { fed } = await testTrust()
      writeFileSync(source, JSON.stringify({ ...fed.directory, serial: 9 }))
    }],
    ['ERR_TRUST_DOCUMENT_UNAVAILABLE', 'the source is gone', async () => unlinkSync(source)],
  ]
  for (const [code, what, act] of refusals) {
    await act()
    const r = await ds.refresh()
    t.equal(r.code, code, what)
    t.equal(ds.directory().document().serial, 2, `${what}: the last good directory is kept`)
    t.equal(ds.status().lastError?.code, code, `${what}: health says why`)
    t.equal(readFileSync(lastGoodDirectoryFile(dataDir), 'utf8'), second, `${what}: the kept copy is unchanged`)
  }
  t.same(updates, [2], 'no listener ran for a refused document')

  // Freshness (PROTOCOL.md §14.4): fresh → grace → stale on the clock, while the source stays unreachable.
  const next = Date.parse(ds.directory().document().nextUpdate)
  offset = next - t0 + 1000
  t.equal(ds.freshness(), 'grace')
  t.doesNotThrow(() => ds.requireUsable(), 'usable during grace')
  offset = next - t0 + 2 * HOUR + 1000
  t.equal(ds.freshness(), 'stale')
  t.notOk(ds.usable())
  t.throws(() => ds.requireUsable(), { code: 'ERR_DIRECTORY_STALE' })
  t.equal(ds.status().state, 'stale')

  await publish(4)
  t.equal((await ds.refresh()).outcome, 'updated', 'a fresh directory arrives')
  t.equal(ds.freshness(), 'fresh')
  t.ok(ds.usable())
  t.same(updates, [2, 4])
  t.equal(ds.status().lastError, undefined, 'the error clears')

  // History (PROTOCOL.md §14.5): what was in force when. Recording joins the next group commit.
  await db.write(() => undefined)
  t.same(history.latestDirectories(10).map((j) => JSON.parse(Buffer.from(j.split('.')[1]!, 'base64url').toString()).serial), [4, 2, 1])
  t.equal(history.directoryAt(t0 - 1), undefined, 'nothing before the first')
  t.equal(history.directoryAt(t0), first)
  t.equal(history.directoryAt(t0 + 1000), second)
  t.equal(history.directoryAt(clock.now()), ds.jws())
})

t.test('restart: the last good copy is used when the source is unreachable or older', async (t) => {
  const db = Db.open(join(dataDir, 'saraban.sqlite'))
  t.teardown(() => db.close())
  const held = readFileSync(lastGoodDirectoryFile(dataDir), 'utf8')
  const heldSerial = JSON.parse(Buffer.from(held.split('.')[1]!, 'base64url').toString()).serial as number

  unlinkSync(source)
  const a = await open(db)
  t.equal(a.directory().document().serial, heldSerial, 'unreachable source: the kept copy')
  t.equal(a.status().lastError?.code, 'ERR_TRUST_DOCUMENT_UNAVAILABLE')
  await a.close()

  await publish(1)
  const b = await open(db)
  t.equal(b.directory().document().serial, heldSerial, 'an older source is refused at start')
  t.equal(b.status().lastError?.code, 'ERR_DIRECTORY_ROLLBACK')
  await b.close()

  unlinkSync(lastGoodDirectoryFile(dataDir))
  const c = await open(db)
  t.equal(c.directory().document().serial, heldSerial, 'without the kept file, history still knows the newest')
  t.equal(c.status().lastError?.code, 'ERR_DIRECTORY_ROLLBACK')
  await c.close()
})

t.test('first start: no kept copy and a bad source is an error', async (t) => {
  const { anchors } = await testTrust()
  const fresh = join(dir, 'other-data')
  const base = { dataDir: fresh, anchors, clock, log: createLogger('silent'), settings: { refreshMs: HOUR, graceMs: HOUR }, fetch: { timeoutMs: 5000, maxBytes: 1 << 20 } }
  await t.rejects(DirectorySource.open({ ...base, location: join(dir, 'nope.jws') }), { code: 'ERR_TRUST_DOCUMENT_UNAVAILABLE' })
  await publish(7, { issuedAt: clock.now() - 3 * HOUR, validMs: HOUR })
  await t.rejects(DirectorySource.open({ ...base, location: source }), { code: 'ERR_DIRECTORY_EXPIRED' }, 'an expired directory is not accepted anew')
  t.notOk(existsSync(lastGoodDirectoryFile(fresh)), 'nothing kept')
  await t.rejects(DirectorySource.open({ ...base, location: 'http://example.invalid/directory.jws' }), { code: 'ERR_CONFIG_INVALID' }, 'plain http is refused')
})

t.test('several processes of one node (issue 19 item 2): the reference is the newest directory any of them took into use', async (t) => {
  // Processes share the data folder (one kept file) and the database (directory_history), each with its own connection.
  const shared = join(dir, 'shared')
  const dbFile = join(shared, 'saraban.sqlite')
  const dbA = Db.open(dbFile)
  const dbB = Db.open(dbFile)
  const dbC = Db.open(dbFile)
  t.teardown(async () => { await dbA.close(); await dbB.close(); await dbC.close() })
  const five = await publish(5)
  const a = await open(dbA, source, shared)
  t.teardown(() => a.close())
  t.equal(a.directory().document().serial, 5, 'a takes serial 5 into use')
  const newest = () => new TrustHistoryStore(dbA).latestDirectories(1)[0]
  await waitFor('a\'s history row', () => newest() === five || undefined) // written after open, as before

  // Another process kept serial 4 over it (it held 4 when it last wrote the file), and the source serves 4.
  const four = await publish(4)
  writeFileSync(lastGoodDirectoryFile(shared), four)
  const b = await open(dbB, source, shared)
  t.teardown(() => b.close())
  t.equal(b.directory().document().serial, 5, 'b starts from serial 5, not the older kept copy nor the older one served')
  t.equal(readFileSync(lastGoodDirectoryFile(shared), 'utf8'), five, 'and keeps serial 5 again')

  // a takes serial 7; c held serial 5 and is served serial 6 (a mirror behind): older than 7, refused.
  const c = await open(dbC, source, shared)
  t.teardown(() => c.close())
  const seven = await publish(7)
  t.equal((await a.refresh()).outcome, 'updated')
  await waitFor('serial 7 in the history', () => newest() === seven || undefined)
  await publish(6)
  const r = await c.refresh()
  t.match(r, { outcome: 'refused', code: 'ERR_DIRECTORY_ROLLBACK' }, 'serial 6 is newer than c holds, older than the node took')
  t.equal(c.directory().document().serial, 5, 'c keeps what it held')
  await publish(8)
  t.equal((await c.refresh()).outcome, 'updated', 'a newer one is taken')
  t.equal(c.directory().document().serial, 8)
})
