// Issue 19 item 2 (migration 045): several processes of one node share the queue of the recipients'
// inclusion proofs to fetch (PROTOCOL.md §20.7). Two stores and two fetchers on one SQLite file: a
// fetch is claimed before the peer is asked, so two processes do not ask for the same proof, and a
// failure is recorded only under the claim it ran under.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { ReceivedProofStore } from '../../src/storage/received-proofs.js'
import { ReceivedProofFetcher } from '../../src/services/evidence/received-proofs.js'
import { SarabanError } from '../../src/errors.js'
import { createLogger } from '../../src/log.js'
import { systemClock } from '../../src/clock.js'
import type { PeerLog } from '../../src/services/log/audit.js'

const key = (mid: string, index: number) => ({ messageId: mid, agency: 'mof', index, size: index + 1, entry: Buffer.from(`{"mid":"${mid}"}`), checkpoint: `cp.${index}.sig` })

function twoProcesses(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-proof-claims-'))
  const a = Db.open(join(dir, 'saraban.sqlite'))
  const b = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => { await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true }) })
  return { a, b }
}

t.test('two fetchers on one file: each proof is asked of the peer once', async (t) => {
  const { a, b } = twoProcesses(t)
  const storeA = new ReceivedProofStore(a, 'host:1')
  const storeB = new ReceivedProofStore(b, 'host:2')
  await a.write(() => { for (let i = 0; i < 3; i++) storeA.enqueue(key(`m${i}`, i), 0) })
  // The recipient's node answers once both processes have looked at the queue, and cannot give the proofs.
  let open!: () => void
  const gate = new Promise<void>((r) => { open = r })
  const asked: string[] = []
  const peer: Pick<PeerLog, 'inclusion' | 'inclusions'> = {
    inclusion: async (_agency, index) => { asked.push(`one ${index}`); await gate; throw new SarabanError('ERR_PEER_UNREACHABLE', 'down') },
    inclusions: async (_agency, pairs) => { asked.push(...pairs.map((p) => `batch ${p.index}`)); await gate; throw new SarabanError('ERR_PEER_UNREACHABLE', 'down') },
  }
  const fetcher = (db: Db, store: ReceivedProofStore) => new ReceivedProofFetcher({ db, store, peer, clock: systemClock, logger: createLogger('silent') })
  const fa = fetcher(a, storeA)
  const fb = fetcher(b, storeB)
  t.teardown(() => { fa.close(); fb.close() })
  const runA = fa.kick()
  const runB = fb.kick()
  open()
  await Promise.all([runA, runB])
  t.same(asked.sort(), ['batch 0', 'batch 1', 'batch 2'], 'one request for the three proofs, by one process')
  const rows = [0, 1, 2].map((i) => storeB.get(`m${i}`)!)
  t.same(rows.map((r) => r.attempts), [1, 1, 1], 'one attempt each')
  t.ok(rows.every((r) => r.lastError !== null), 'its failure recorded')
})

t.test('a failure recorded after its claim ran out moves nothing another process holds', async (t) => {
  const { a, b } = twoProcesses(t)
  const storeA = new ReceivedProofStore(a, 'host:1')
  const storeB = new ReceivedProofStore(b, 'host:2')
  await a.write(() => storeA.enqueue(key('m9', 9), 0))
  const [byA] = storeA.claimDue(1_000, 10, 2_000)
  t.ok(byA, 'a claims it')
  t.same(storeB.claimDue(1_999, 10, 5_000), [], 'b finds nothing due while a holds it')
  t.equal(storeB.claimDue(2_000, 10, 5_000).length, 1, 'a\'s claim ran out: b claims it')
  t.notOk(await a.write(() => storeA.retry(byA!, 2_500, 'late')), 'a\'s late failure is refused')
  t.same(storeA.claimDue(2_500, 10, 9_000), [], 'the row is still b\'s')
  t.equal(storeA.get('m9')!.lastError, null, 'and a\'s error is not recorded')
})

t.test('a process restarted under its name takes back at once what it left claimed', async (t) => {
  const { a, b } = twoProcesses(t)
  const before = new ReceivedProofStore(a, 'host:1')
  await a.write(() => before.enqueue(key('m7', 7), 0))
  t.equal(before.claimDue(1_000, 10, 100_000).length, 1, 'claimed, then the process dies')
  const other = new ReceivedProofStore(b, 'host:2')
  t.equal(await b.write(() => other.releaseClaims(2_000)), 0, 'another process releases nothing of it')
  const after = new ReceivedProofStore(a, 'host:1')
  t.equal(await a.write(() => after.releaseClaims(2_000)), 1, 'the same name releases it')
  t.equal(after.claimDue(2_000, 10, 100_000).length, 1, 'due at once')
})
