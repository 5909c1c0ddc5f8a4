// Several processes of one node (issue 19 item 2) share the data folder (one kept copy per CRL source)
// and the database (crl_history): the anti-rollback reference of a CRL (PROTOCOL.md §15.2) is the
// highest cRLNumber any process took into use, not the kept file another process may have rewritten
// with an older CRL, nor what a source behind serves. Real CRLs, real files, one real SQLite file.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CrlSources, lastGoodCrlFile } from '../../src/services/sources/crl-source.js'
import { CrlSet } from '../../src/pki/crl-set.js'
import { federationCrls } from '../../src/pki/dev-ca.js'
import { Db } from '../../src/storage/db.js'
import { TrustHistoryStore } from '../../src/storage/trust-history.js'
import { createLogger } from '../../src/log.js'
import { systemClock } from '../../src/clock.js'
import { testTrust } from '../helpers/federation.js'
import { waitFor } from '../helpers/nodes.js'

t.test('a process starts from, and never goes below, the newest CRL the node took into use', async (t) => {
  const { fed } = await testTrust()
  const dir = mkdtempSync(join(tmpdir(), 'saraban-crl-procs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const location = join(dir, 'published', 'root.crl')
  mkdirSync(join(dir, 'published'), { recursive: true })
  const crl = async (number: number) => (await federationCrls(fed, { number })).root
  const publish = (der: Buffer) => writeFileSync(location, der)
  const dbFile = join(dataDir, 'saraban.sqlite')
  const process = async () => {
    const db = Db.open(dbFile)
    const store = new TrustHistoryStore(db)
    const sources = await CrlSources.open({
      locations: [location], dataDir, crls: new CrlSet(), issuers: () => [fed.root.cert, fed.intermediate.cert], mode: 'hard',
      settings: { refreshMs: 3600_000, graceMs: 3600_000 }, fetch: { timeoutMs: 5000, maxBytes: 1 << 20 },
      clock: systemClock, log: createLogger('silent'), history: { db, store },
    })
    t.teardown(async () => { await sources.close(); await db.close() })
    return { sources, store, serial: () => sources.status()[0]!.serial }
  }
  const five = await crl(5)
  publish(five)
  const a = await process()
  t.equal(a.serial(), '5', 'a takes number 5 into use')
  await waitFor('number 5 in the history', () => a.store.crlsAt(Date.now() + 1000).length === 1 || undefined)

  // Another process kept number 4 over it, and the source is behind: it serves 4.
  const four = await crl(4)
  writeFileSync(lastGoodCrlFile(dataDir, location), four)
  publish(four)
  const b = await process()
  t.equal(b.serial(), '5', 'b starts from number 5, not the older kept copy nor the one served')
  t.ok(readFileSync(lastGoodCrlFile(dataDir, location)).equals(five), 'and keeps number 5 again')

  // a takes 7; b, holding 5, is served 6: newer than it holds, older than the node took.
  publish(await crl(7))
  t.same((await a.sources.refresh()).map((r) => r.outcome), ['updated'])
  await waitFor('number 7 in the history', () => a.store.crlsAt(Date.now() + 1000).some((d) => d.equals(readFileSync(location))) || undefined)
  publish(await crl(6))
  t.match(await b.sources.refresh(), [{ outcome: 'refused', code: 'ERR_CRL_INVALID' }], 'number 6 is refused')
  t.equal(b.serial(), '5', 'b keeps what it held')
})
