// Issue 19 item 2 ("several processes, one node"), proved on SQLite: each node is three processes on one
// data directory, the peer reaching them through a TCP balancer on the node's directory port (mTLS
// passes through) and the saraban systems calling a live process's API at random. Letters go moi → mof
// while one process of either node at a time is killed with SIGKILL and kept down past its claim lease
// (delivery.claimLeaseMs 3 s), so that the node's other processes take over what it was attempting;
// then restarted under the same ports. The checks are the crash test's: every accepted letter stored
// once and delivered once, receipts byte-identical on both sides, integrity_check ok, each log verifies
// against its rows, register numbers 1..n on both sides (test/helpers/crash-run.ts).
import t from 'tap'
import { crashRun, crashViolations } from '../helpers/crash-run.js'

const LETTERS = 48
const KILLS = 4
const SEED = 1902
const CLIENTS = 4

t.test(`three processes per node, ${KILLS} SIGKILLs during ${LETTERS} letters (seed ${SEED}): nothing lost, nothing twice`, async (t) => {
  // Paced so that the letters span the kills (each kill keeps a process down about 3.5 s, and a restart takes a few more).
  const rep = await crashRun({ letters: LETTERS, kills: KILLS, seed: SEED, concurrency: CLIENTS, processes: 3, paceMs: 2000, settleMs: 120_000 })
  t.comment(`kills: ${rep.kills.map((k) => `${k.victim}#${k.process}@${k.accepted}`).join(' ')}; ${rep.retries} retried POSTs; ${rep.registered} registered; ${rep.reclaimed} takeovers of expired claims`)
  t.equal(rep.kills.length, KILLS, 'every planned kill happened')
  t.ok(rep.kills.some((k) => k.victim === 'sender') && rep.kills.some((k) => k.victim === 'receiver'), 'a process of each node was killed')
  t.equal(rep.accepted, LETTERS, 'every letter got a 2xx (after retries)')
  t.equal(rep.senderLetters, LETTERS, 'no retry made a second letter, whichever process it reached')
  t.equal(rep.inboxMessages, LETTERS, 'one inbox row per letter at the receiving node')
  t.same(rep.receiptMismatches, [], 'each receipt is byte-identical on both sides')
  t.same(rep.integrity, { sender: 'ok', receiver: 'ok' }, 'PRAGMA integrity_check on both databases')
  t.same([rep.logs.sender.ok, rep.logs.receiver.ok], [true, true], 'each log verifies against its rows (PROTOCOL.md §20.3)')
  t.same(rep.registers.send, Array.from({ length: LETTERS }, (_, i) => i + 1), 'send register 1..n, numbered by three processes')
  t.same(rep.registers.receive, Array.from({ length: LETTERS }, (_, i) => i + 1), 'receive register 1..n')
  t.same(crashViolations(rep, LETTERS), [], 'no violation of any check')
})
