// Outbox claims as leases (migration 040, issue 19 item 2): two node processes' stores on one real
// SQLite file (two connections, two owners), each with a clock the test moves. A claim holds a message
// until its lease runs out; the holder renews it; an expired one is put back by any process's claim;
// an outcome is recorded only under the lease it was made under, except a verified receipt.
import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, OutboxStore, type NewOutboxMessage } from '../../src/storage/index.js'

const LEASE = 60_000

interface Proc { readonly db: Db; readonly outbox: OutboxStore; readonly clock: { now: () => number; at: number } }

/** Two processes of one node: their own connection and owner, one database file. */
function twoProcesses(t: { teardown(fn: () => void | Promise<void>): void }): [Proc, Proc, string] {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-leases-'))
  const file = join(dir, 'saraban.sqlite')
  const proc = (owner: string): Proc => {
    const db = Db.open(file)
    const clock = { at: 10_000, now() { return this.at } }
    return { db, clock, outbox: new OutboxStore(db, clock, { owner, leaseMs: LEASE }) }
  }
  const a = proc('host-a:8443')
  const b = proc('host-b:8443')
  t.teardown(async () => {
    await a.db.close()
    await b.db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return [a, b, file]
}

/** Queues `n` (1 or 2) messages of one letter; their ids. */
async function queue(p: Proc, n: 1 | 2 = 1): Promise<[string, string]> {
  const letterId = randomUUID()
  const msgs: NewOutboxMessage[] = Array.from({ length: n }, () => ({
    messageId: randomUUID(), letterId, recipientAgency: 'mof', profile: 'jose-v1', envelope: Buffer.from(randomUUID()),
    envelopeSha256: 'ab'.repeat(32), contentKey: randomBytes(32), priority: 1, nextAttemptAt: 1_000,
  }))
  await p.db.write(() => p.outbox.insertLetter({ id: letterId, senderAgency: 'moi', letterJson: '{}', createdAt: 1_000 }, msgs))
  return msgs.map((m) => m.messageId) as [string, string]
}

/** One process's claim as the worker makes it: expired leases back first, then the due walk. */
function claim(p: Proc, now: number, limit = 10) {
  return p.db.write(() => {
    const reclaimed = p.outbox.reclaimExpired(now)
    return { reclaimed, claimed: p.outbox.claimDue(now, limit) }
  })
}

t.test('a claim holds the message for its lease: no other process takes it until the lease runs out', async (t) => {
  const [a, b] = twoProcesses(t)
  const [id] = await queue(a)
  const first = await claim(a, 10_000)
  t.same(first.claimed.map((m) => [m.messageId, m.attempts]), [[id, 1]])
  t.same(await claim(b, 10_000 + LEASE - 1), { reclaimed: 0, claimed: [] }, 'within the lease: nothing to reclaim, nothing due')
  t.equal(b.outbox.nextLeaseExpiry(), 10_000 + LEASE, 'b knows when a\'s lease runs out')
  t.equal(a.outbox.nextLeaseExpiry(), undefined, 'a does not wait on its own leases')
  const second = await claim(b, 10_000 + LEASE + 1)
  t.equal(second.reclaimed, 1, 'expired: back in the queue')
  t.same(second.claimed.map((m) => [m.messageId, m.attempts]), [[id, 2]], 'and claimed by b, its attempt counted')
  t.same(await claim(a, 10_000 + LEASE + 2), { reclaimed: 0, claimed: [] }, 'b holds it now')
})

t.test('the holder renews its leases while it lives; the renewal covers only its own claims', async (t) => {
  const [a, b] = twoProcesses(t)
  const [x, y] = await queue(a, 2)
  await claim(a, 10_000, 1)
  await claim(b, 10_000, 1)
  t.equal(await a.db.write(() => a.outbox.renewLeases(10_000 + LEASE - 5)), 1, 'a renews its one claim')
  const later = await claim(b, 10_000 + LEASE + 1)
  t.equal(later.reclaimed, 1, 'b\'s own unrenewed claim ran out (b holds it again by this claim)')
  t.same(later.claimed.map((m) => m.messageId), [y], 'only b\'s own message came back')
  t.equal(a.outbox.getMessage(x)!.status, 'sending', 'a\'s renewed claim stands')
  t.same(await claim(b, 10_000 + 2 * LEASE - 6), { reclaimed: 0, claimed: [] }, 'until its renewed end')
  t.equal((await claim(b, 10_000 + 2 * LEASE)).reclaimed, 1, 'and not after it')
})

t.test('an outcome is recorded only under its lease: the fencing token is owner and attempt', async (t) => {
  const [a, b] = twoProcesses(t)
  const [id] = await queue(a)
  const stale = (await claim(a, 10_000)).claimed[0]!
  const taken = (await claim(b, 10_000 + LEASE + 1)).claimed[0]!
  t.equal(taken.attempts, 2)
  t.notOk(await a.db.write(() => a.outbox.markRetry(id, 99_000, 'ERR_PEER_UNREACHABLE', 'late', stale.attempts)), 'a\'s late retry is refused')
  t.notOk(await a.db.write(() => a.outbox.markWaiting(id, 'ERR_PEER_UNREACHABLE', 'late', stale.attempts)), 'so is its wait')
  t.notOk(await a.db.write(() => a.outbox.markFailed(id, 'ERR_PEER_REFUSED', 'late', stale.attempts)), 'and its failure')
  t.notOk(await a.db.write(() => a.outbox.markRetry(id, 99_000, 'ERR_PEER_UNREACHABLE', 'late')), 'without an attempt number too: the owner is not a\'s')
  t.match(b.outbox.getMessage(id), { status: 'sending', attempts: 2, lastErrorCode: null }, 'b\'s attempt is untouched')
  t.ok(await b.db.write(() => b.outbox.markRetry(id, 99_000, 'ERR_PEER_UNREACHABLE', 'ECONNRESET', taken.attempts)), 'b records its own')
  t.match(b.outbox.getMessage(id), { status: 'queued', nextAttemptAt: 99_000, lastErrorCode: 'ERR_PEER_UNREACHABLE' })
})

t.test('a verified receipt is recorded whoever holds the lease, once', async (t) => {
  const [a, b] = twoProcesses(t)
  const [id] = await queue(a)
  await claim(a, 10_000)
  const taken = (await claim(b, 10_000 + LEASE + 1)).claimed[0]!
  t.ok(await a.db.write(() => a.outbox.markDelivered(id, 'receipt-a', 10_000 + LEASE + 5)), 'a\'s late attempt was delivered: a fact')
  t.notOk(await b.db.write(() => b.outbox.markDelivered(id, 'receipt-b', 10_000 + LEASE + 6)), 'b\'s receipt for the same bytes is not recorded again')
  t.notOk(await b.db.write(() => b.outbox.markFailed(id, 'ERR_PEER_REFUSED', 'x', taken.attempts)), 'nor can b fail a delivered message')
  t.match(a.outbox.getMessage(id), { status: 'delivered', receipt: 'receipt-a' })
  t.equal(b.outbox.nextLeaseExpiry(), undefined, 'a delivered message holds no lease')
})

t.test('the same attempt number again after an expiry (ABA) does not revive a stale outcome', async (t) => {
  const [a] = twoProcesses(t)
  const [id] = await queue(a)
  const first = (await claim(a, 10_000)).claimed[0]!
  const second = (await claim(a, 10_000 + LEASE + 1)).claimed[0]!
  t.same([first.attempts, second.attempts], [1, 2], 'a itself took it again after its own lease ran out')
  t.notOk(await a.db.write(() => a.outbox.markRetry(id, 99_000, 'ERR_PEER_UNREACHABLE', 'late', first.attempts)), 'attempt 1\'s outcome is refused')
  t.ok(await a.db.write(() => a.outbox.markRetry(id, 99_000, 'ERR_PEER_UNREACHABLE', 'now', second.attempts)), 'attempt 2\'s is kept')
})

t.test('at start a process requeues what it left in flight itself, and leaves another process\'s claims to their leases', async (t) => {
  const [a, b, file] = twoProcesses(t)
  const [x, y] = await queue(a, 2)
  await claim(a, 10_000, 1)
  await claim(b, 10_000, 1)
  // a restarts: same owner (host and port), a new connection and store.
  const db = Db.open(file)
  t.teardown(() => db.close())
  const restarted = new OutboxStore(db, a.clock, { owner: 'host-a:8443', leaseMs: LEASE })
  t.equal(restarted.requeueInFlight(), 1, 'its own claim, at once')
  t.equal(restarted.getMessage(x)!.status, 'queued')
  t.equal(restarted.getMessage(y)!.status, 'sending', 'b still holds its claim')
  t.equal(restarted.getMessage(y)!.attempts, 1)
})

t.test('messages in flight when migration 040 ran (no owner, lease 0) come back at the first claim or start', async (t) => {
  const [a, b] = twoProcesses(t)
  const [x, y] = await queue(a, 2)
  await claim(a, 10_000, 2)
  // As 040 leaves a row claimed before it: no owner, lease_until 0.
  a.db.sqlite.prepare('UPDATE outbox_messages SET claimed_by = NULL, lease_until = 0').run()
  t.equal(b.outbox.requeueInFlight(), 2, 'a start takes the unowned claims back')
  await claim(a, 10_000, 2)
  a.db.sqlite.prepare('UPDATE outbox_messages SET claimed_by = NULL, lease_until = 0').run()
  const got = await claim(b, 10_001)
  t.equal(got.reclaimed, 2, 'so does any claim')
  t.same(got.claimed.map((m) => m.messageId).sort(), [x, y].sort())
})

t.test('at start a process deletes its own abandoned sealing, not another process\'s in progress (migration 043)', async (t) => {
  const [a, b, file] = twoProcesses(t)
  const staged = () => a.db.sqlite.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox_contents WHERE sealing IS NOT NULL').get()!.n
  await a.db.write(() => { for (let i = 0; i < 3; i++) a.outbox.stageEnvelope('letter-of-a', 'jose-v1', Buffer.from(`envelope ${i}`)) })
  t.equal(b.outbox.dropAbandonedSealing(), 0, 'b starting leaves a\'s sealing in progress alone')
  t.equal(staged(), 3)
  const db = Db.open(file)
  t.teardown(() => db.close())
  const restarted = new OutboxStore(db, a.clock, { owner: 'host-a:8443', leaseMs: LEASE })
  t.equal(restarted.dropAbandonedSealing(), 3, 'a restarted deletes what it staged before it died')
  await b.db.write(() => b.outbox.stageEnvelope('letter-of-b', 'jose-v1', Buffer.from('envelope')))
  t.equal(a.outbox.dropAbandonedSealing(), 0, 'b\'s is in progress')
  b.clock.at += 86_400_001
  const later = new OutboxStore(db, b.clock, { owner: 'host-c:8443', leaseMs: LEASE })
  t.equal(later.dropAbandonedSealing(), 1, 'a day later it is abandoned whoever staged it')
  t.equal(staged(), 0)
})
