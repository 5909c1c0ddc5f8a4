// Issue 13 §3: crash safety as a test. Letters through the REST API while the sender and the
// receiver processes are killed with SIGKILL at seeded moments and restarted; a client that retries
// with its Idempotency-Key until a 2xx. Then: every accepted letter delivered exactly once, receipts
// byte-identical on both sides, integrity_check ok, each log verifies against its rows, register
// numbers 1..n on both sides.
// The longer run: npm run bench -- --case crash --letters 400 --kills 12 [--seed N]
import t from 'tap'
import { crashRun, crashViolations } from '../helpers/crash-run.js'

const LETTERS = 40
const KILLS = 3
const SEED = 1301

t.test(`SIGKILL of sender and receiver during ${LETTERS} letters (seed ${SEED}): nothing lost, nothing twice`, async (t) => {
  const rep = await crashRun({ letters: LETTERS, kills: KILLS, seed: SEED, concurrency: 4 })
  t.comment(`kills: ${rep.kills.map((k) => `${k.victim}@${k.accepted}`).join(' ')}; ${rep.retries} retried POSTs; ${rep.registered} registered`)
  t.equal(rep.kills.length, KILLS, 'every planned kill happened')
  t.ok(rep.kills.some((k) => k.victim === 'sender') && rep.kills.some((k) => k.victim === 'receiver'), 'both nodes were killed at least once')
  t.equal(rep.accepted, LETTERS, 'every letter got a 2xx (after retries)')
  t.equal(rep.senderLetters, LETTERS, 'no retry made a second letter at the sender')
  t.equal(rep.inboxMessages, LETTERS, 'one inbox row per letter at the receiver')
  t.same(rep.receiptMismatches, [], 'each receipt is byte-identical on both sides')
  t.same(rep.integrity, { sender: 'ok', receiver: 'ok' }, 'PRAGMA integrity_check on both databases')
  t.same([rep.logs.sender.ok, rep.logs.receiver.ok], [true, true], 'each log verifies against its rows after the kills (PROTOCOL.md §20.3)')
  t.ok(rep.logs.sender.entries > 0 && rep.logs.receiver.entries > 0, 'both logs have entries')
  t.same(rep.registers.send, Array.from({ length: LETTERS }, (_, i) => i + 1), 'send register 1..n')
  t.same(rep.registers.receive, Array.from({ length: LETTERS }, (_, i) => i + 1), 'receive register 1..n')
  t.same(crashViolations(rep, LETTERS), [], 'no violation of any check')
})
