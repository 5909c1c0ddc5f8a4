// Issue 19 §6 on PostgreSQL: each node is three processes sharing one PostgreSQL database (its own, in
// one private cluster on this machine), behind a TCP balancer, as test/integration/crash-kill-processes
// runs them on SQLite; processes are killed with SIGKILL and restarted while letters go moi → mof, and
// the PostgreSQL server itself is stopped mid-run, kept down 2 s and started again (the processes
// reconnect; requests meanwhile fail and their clients retry). The checks are the
// crash test's: every accepted letter stored once and delivered once, receipts byte-identical on both
// sides, amcheck of every index, each log verifies against its rows, register numbers 1..n on both.
import t from 'tap'
import { crashRun, crashViolations } from '../helpers/crash-run.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const LETTERS = 48
const KILLS = 4
const SEED = 1903
const CLIENTS = 4
const missing = postgresMissing()

t.test(`PostgreSQL: three processes per node, ${KILLS} SIGKILLs and a database restart during ${LETTERS} letters (seed ${SEED}): nothing lost, nothing twice`, missing !== undefined ? { skip: missing } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const postgresql = { sender: cluster.createDatabase('moi'), receiver: cluster.createDatabase('mof'), restart: () => cluster.restartAsync(2000), restartAfter: LETTERS / 2 }
  const rep = await crashRun({ letters: LETTERS, kills: KILLS, seed: SEED, concurrency: CLIENTS, processes: 3, paceMs: 2000, settleMs: 120_000, postgresql })
  t.comment(`kills: ${rep.kills.map((k) => `${k.victim}#${k.process}@${k.accepted}`).join(' ')}; database restarted at ${rep.databaseRestart?.accepted} letters; ${rep.retries} retried POSTs; ${rep.registered} registered; ${rep.reclaimed} takeovers of expired claims; ${rep.reconnected} reconnections`)
  t.equal(rep.kills.length, KILLS, 'every planned kill happened')
  t.ok(rep.databaseRestart !== undefined, 'the database was restarted mid-run')
  t.ok(rep.reconnected >= 1, `the node processes reconnected (${rep.reconnected} times)`)
  t.ok(rep.kills.some((k) => k.victim === 'sender') && rep.kills.some((k) => k.victim === 'receiver'), 'a process of each node was killed')
  t.equal(rep.accepted, LETTERS, 'every letter got a 2xx (after retries)')
  t.equal(rep.senderLetters, LETTERS, 'no retry made a second letter, whichever process it reached')
  t.equal(rep.inboxMessages, LETTERS, 'one inbox row per letter at the receiving node')
  t.same(rep.receiptMismatches, [], 'each receipt is byte-identical on both sides')
  t.same(rep.integrity, { sender: 'ok', receiver: 'ok' }, 'amcheck of every index of both databases')
  t.same([rep.logs.sender.ok, rep.logs.receiver.ok], [true, true], 'each log verifies against its rows (PROTOCOL.md §20.3)')
  t.same(rep.registers.send, Array.from({ length: LETTERS }, (_, i) => i + 1), 'send register 1..n, numbered by three processes')
  t.same(rep.registers.receive, Array.from({ length: LETTERS }, (_, i) => i + 1), 'receive register 1..n')
  t.same(crashViolations(rep, LETTERS), [], 'no violation of any check')
})
