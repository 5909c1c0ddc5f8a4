// Job leases (migration 041, issue 19 item 2): two node processes' stores on one real SQLite file (two
// connections, two owners), with times the test gives. A lease is taken when free, renewed by its
// holder, refused to another while it runs, taken over once it ran out, and given up at once by release.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { ProcessLeaseStore } from '../../src/storage/process-leases.js'
import { sqliteOnly } from '../helpers/engine.js'

const LEASE = 60_000

function twoProcesses(t: { teardown(fn: () => void | Promise<void>): void }): [ProcessLeaseStore, ProcessLeaseStore, Db] {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-process-leases-'))
  const file = join(dir, 'saraban.sqlite')
  const a = Db.open(file)
  const b = Db.open(file)
  t.teardown(async () => {
    await a.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return [new ProcessLeaseStore(a), new ProcessLeaseStore(b), a]
}

t.test('one holder at a time: taken, renewed, refused, taken over when it ran out', async (t) => {
  const [a, b] = twoProcesses(t)
  t.equal(a.holder('backup', 1_000), undefined, 'no one holds a lease never taken')
  t.match(await a.tryAcquire('backup', 'host-a:8443', 1_000, LEASE), { held: true, holder: { owner: 'host-a:8443', until: 1_000 + LEASE, acquiredAt: 1_000 } })
  t.match(await b.tryAcquire('backup', 'host-b:8443', 2_000, LEASE), { held: false, holder: { owner: 'host-a:8443', until: 1_000 + LEASE } }, 'refused while it runs; says who holds it')
  t.match(b.holder('backup', 2_000), { owner: 'host-a:8443' }, 'the other connection sees the holder')
  t.match(await b.tryAcquire('other-job', 'host-b:8443', 2_000, LEASE), { held: true }, 'another job\'s lease is its own')

  // The holder renews before the end: the lease moves on, its acquisition time stays.
  t.match(await a.tryAcquire('backup', 'host-a:8443', 40_000, LEASE), { held: true, holder: { until: 40_000 + LEASE, acquiredAt: 1_000 } })
  t.match(await b.tryAcquire('backup', 'host-b:8443', 1_000 + LEASE + 1, LEASE), { held: false }, 'the renewed lease still runs where the first would have ended')

  // The holder stops renewing: once its lease ran out (lease_until < now), the other takes it.
  t.match(await b.tryAcquire('backup', 'host-b:8443', 40_000 + LEASE, LEASE), { held: false }, 'not at the very end of the lease')
  t.equal(b.holder('backup', 40_000 + LEASE), undefined, 'though no one holds it then')
  t.match(await b.tryAcquire('backup', 'host-b:8443', 40_000 + LEASE + 1, LEASE), { held: true, holder: { owner: 'host-b:8443', acquiredAt: 40_000 + LEASE + 1 } }, 'taken over after it')
  t.match(await a.tryAcquire('backup', 'host-a:8443', 40_000 + LEASE + 2, LEASE), { held: false, holder: { owner: 'host-b:8443' } }, 'the old holder\'s late renewal is refused')
})

t.test('release gives the lease up at once, and only its holder can', async (t) => {
  const [a, b] = twoProcesses(t)
  await a.tryAcquire('peer-audit', 'host-a:8443', 1_000, LEASE)
  t.equal(await b.release('peer-audit', 'host-b:8443'), false, 'a process cannot give up another\'s lease')
  t.match(await b.tryAcquire('peer-audit', 'host-b:8443', 2_000, LEASE), { held: false })
  t.equal(await a.release('peer-audit', 'host-a:8443'), true)
  t.equal(b.holder('peer-audit', 2_001), undefined)
  t.match(await b.tryAcquire('peer-audit', 'host-b:8443', 2_001, LEASE), { held: true }, 'the other takes it long before the released lease would have ended')
})

t.test('an owner takes its own lease back (a restarted process of the same host and port)', async (t) => {
  const [a, b] = twoProcesses(t)
  await a.tryAcquire('checkpoint-signer', 'host-a:8443', 1_000, LEASE)
  t.match(await b.tryAcquire('checkpoint-signer', 'host-a:8443', 5_000, LEASE), { held: true, holder: { acquiredAt: 1_000 } }, 'held without a break')
  t.match(await b.tryAcquire('checkpoint-signer', 'host-a:8443', 5_000 + 2 * LEASE, LEASE), { held: true, holder: { acquiredAt: 5_000 + 2 * LEASE } }, 'after its own lease ran out: a new hold')
})

t.test('asked in the same turn from the two connections: exactly one holds the lease', async (t) => {
  const [a, b] = twoProcesses(t)
  for (let round = 0; round < 20; round++) {
    const name = `job-${round}`
    const [x, y] = await Promise.all([a.tryAcquire(name, 'host-a:8443', 1_000, LEASE), b.tryAcquire(name, 'host-b:8443', 1_000, LEASE)])
    t.equal([x, y].filter((r) => r.held).length, 1, `round ${round}: one holder`)
    t.equal(x.holder.owner, y.holder.owner, `round ${round}: both see the same one`)
  }
})

t.test('a lease is no record of the agency: no transparency-log trigger on its table', sqliteOnly, async (t) => {
  const [, , db] = twoProcesses(t)
  t.same(db.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'process_leases'`).all(), [])
})

t.test('a lease length must be a positive integer', async (t) => {
  const [a] = twoProcesses(t)
  await t.rejects(a.tryAcquire('backup', 'host-a:8443', 1_000, 0), RangeError)
})
