// Issue 19 §6 on PostgreSQL: each node is three processes sharing one PostgreSQL database (its own, in
// one private cluster on this machine), behind a TCP balancer, as test/integration/crash-kill-processes
// runs them on SQLite; processes are killed with SIGKILL and restarted while letters go moi → mof and as
// many mof → moi (each node sends to its peer and receives from it, each registers what arrives), and
// the PostgreSQL server itself is stopped mid-run, kept down 2 s and started again (the processes
// reconnect; requests meanwhile fail and their clients retry). The checks are the
// crash test's: every accepted letter stored once and delivered once, receipts byte-identical on both
// sides, amcheck of every index, each log verifies against its rows, register numbers 1..n on both, in
// both directions. `npm run bench -- --case crash --engine postgresql --processes 3 --both --letters 1000` is the long form.
import t from 'tap'
import { assertShared, crashRun } from '../helpers/crash-run.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const LETTERS = 32 // each way
const KILLS = 4
const SEED = 1903
const CLIENTS = 4
const missing = postgresMissing()

t.test(`PostgreSQL: three processes per node, ${KILLS} SIGKILLs and a database restart during ${LETTERS} letters each way (seed ${SEED}): nothing lost, nothing twice`, missing !== undefined ? { skip: missing } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const postgresql = { sender: cluster.createDatabase('moi'), receiver: cluster.createDatabase('mof'), restart: () => cluster.restartAsync(2000), restartAfter: LETTERS / 2 }
  const rep = await crashRun({ letters: LETTERS, kills: KILLS, seed: SEED, concurrency: CLIENTS, processes: 3, paceMs: 2000, settleMs: 120_000, postgresql, both: true })
  t.comment(`kills: ${rep.kills.map((k) => `${k.victim}#${k.process}@${k.accepted}`).join(' ')}; database restarted at ${rep.databaseRestart?.accepted} letters; ${rep.retries} retried POSTs; ${rep.registered} registered; ${rep.reclaimed} takeovers of expired claims; ${rep.reconnected} reconnections`)
  t.ok(rep.databaseRestart !== undefined, 'the database was restarted mid-run')
  t.ok(rep.reconnected >= 1, `the node processes reconnected (${rep.reconnected} times)`)
  t.ok(rep.back !== undefined, 'letters went both ways')
  assertShared(t, rep, LETTERS, KILLS, 'amcheck of every index')
})
