// Issue 19 item 2 ("several processes, one node"), proved on SQLite: each node is three processes on one
// data directory, the peer reaching them through a TCP balancer on the node's directory port (mTLS
// passes through) and the saraban systems calling a live process's API at random. Letters go moi → mof
// while one process of either node at a time is killed with SIGKILL and kept down past its claim lease
// (delivery.claimLeaseMs 3 s), so that the node's other processes take over what it was attempting;
// then restarted under the same ports. The checks are the crash test's: every accepted letter stored
// once and delivered once, receipts byte-identical on both sides, integrity_check ok, each log verifies
// against its rows, register numbers 1..n on both sides (test/helpers/crash-run.ts).
import t from 'tap'
import { assertShared, crashRun } from '../helpers/crash-run.js'

const LETTERS = 48
const KILLS = 4
const SEED = 1902
const CLIENTS = 4

t.test(`three processes per node, ${KILLS} SIGKILLs during ${LETTERS} letters (seed ${SEED}): nothing lost, nothing twice`, async (t) => {
  // Paced so that the letters span the kills (each kill keeps a process down about 3.5 s, and a restart takes a few more).
  const rep = await crashRun({ letters: LETTERS, kills: KILLS, seed: SEED, concurrency: CLIENTS, processes: 3, paceMs: 2000, settleMs: 120_000 })
  t.comment(`kills: ${rep.kills.map((k) => `${k.victim}#${k.process}@${k.accepted}`).join(' ')}; ${rep.retries} retried POSTs; ${rep.registered} registered; ${rep.reclaimed} takeovers of expired claims`)
  assertShared(t, rep, LETTERS, KILLS, 'PRAGMA integrity_check')
})
