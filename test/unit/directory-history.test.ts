// What this node trusted when (migration 003, PROTOCOL.md §14.5): src/storage/trust-history.ts on a
// real SQLite file. The revocation work fills crl_history; evidence reads both.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/db.js'
import { TrustHistoryStore } from '../../src/storage/trust-history.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-hist-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('directories by serial, CRLs by issuer and number, as of a time', async (t) => {
  const db = Db.open(join(dir, 'h.sqlite'))
  t.teardown(() => db.close())
  const h = new TrustHistoryStore(db)
  const d = (serial: number) => ({ serial, issuedAt: new Date(serial * 1000).toISOString(), nextUpdate: new Date(serial * 1000 + 5000).toISOString() })
  await db.write(() => {
    h.recordDirectory(d(1), 'jws-1', 'a', 100)
    h.recordDirectory(d(2), 'jws-2', 'b', 200)
    h.recordDirectory(d(2), 'jws-2-again', 'b', 250) // a serial keeps its first row
    h.recordDirectory(d(5), 'jws-5', 'c', 300)
  })
  t.equal(h.directoryAt(99), undefined)
  t.equal(h.directoryAt(100), 'jws-1')
  t.equal(h.directoryAt(299), 'jws-2')
  t.equal(h.directoryAt(10_000), 'jws-5')
  t.same(h.latestDirectories(2), ['jws-5', 'jws-2'])

  const crl = (issuerFp: string, n: number, fetchedAt: number) => ({ issuerFp, crlNumber: String(n), thisUpdate: fetchedAt - 10, nextUpdate: fetchedAt + 1000, der: Buffer.from(`${issuerFp}-${n}`), fetchedAt })
  await db.write(() => {
    h.recordCrl(crl('aa', 1, 100))
    h.recordCrl(crl('aa', 2, 200))
    h.recordCrl(crl('bb', 7, 150))
    h.recordCrl({ ...crl('aa', 2, 999), der: Buffer.from('other') }) // same number: first row kept
    h.recordCrl({ issuerFp: 'cc', crlNumber: '1461501637330902918203684832716283019655932542975', thisUpdate: 1, der: Buffer.from('big'), fetchedAt: 120 })
  })
  const at = (ms: number) => h.crlsAt(ms).map((b) => b.toString())
  t.same(at(99), [])
  t.same(at(100), ['aa-1'])
  t.same(at(160), ['aa-1', 'bb-7', 'big'], 'one per issuer: the newest held then; a 20-octet CRL number fits')
  t.same(at(200), ['aa-2', 'bb-7', 'big'])
})
