// The outbox's lease statements read the lease index alone (migration 046, issue 19 item 2): on every
// claim round a process asks for the first lease of another process to run out and puts back the
// expired ones. EXPLAIN QUERY PLAN on a migrated file: both use the covering index outbox_leases
// (lease_until, claimed_by) in lease order, no table reads of the 'sending' rows, no sort (before 046
// SQLite took outbox_by_status and read every 'sending' row); and with two processes' leases on one
// file the answer skips this process's own earlier leases.
import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, OutboxStore } from '../../src/storage/index.js'
import { LEASE_SQL } from '../../src/storage/outbox-delivery.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-lease-plan-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, 'saraban.sqlite')

t.test('both lease statements search the covering index outbox_leases, in order, without a sort', async (t) => {
  const db = Db.open(file)
  t.teardown(() => db.close())
  for (const [name, sql] of Object.entries(LEASE_SQL)) {
    const plan = (db.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: 1, owner: 'x' }) as Array<{ detail: string }>).map((r) => r.detail)
    t.same(plan.length, 1, `${name}: one step (${plan.join('; ')})`)
    t.match(plan[0], /^SEARCH outbox_messages USING COVERING INDEX outbox_leases \(lease_until[<>]\?\)$/, `${name}: the index alone, by lease`)
  }
})

t.test('the next lease to run out is another process\'s, past this process\'s earlier ones', async (t) => {
  const clock = { at: 10_000, now() { return this.at } }
  const a = Db.open(file)
  const b = Db.open(file)
  t.teardown(async () => { await a.close(); await b.close() })
  const oa = new OutboxStore(a, clock, { owner: 'host-a:1', leaseMs: 1_000 })
  const ob = new OutboxStore(b, clock, { owner: 'host-b:1', leaseMs: 60_000 })
  const letterId = randomUUID()
  const msgs = Array.from({ length: 6 }, () => ({
    messageId: randomUUID(), letterId, recipientAgency: 'mof', profile: 'jose-v1', envelope: Buffer.from(randomUUID()),
    envelopeSha256: 'ab'.repeat(32), contentKey: randomBytes(32), priority: 1, nextAttemptAt: 1_000,
  }))
  await a.write(() => oa.insertLetter({ id: letterId, senderAgency: 'moi', letterJson: '{}', createdAt: 1_000 }, msgs))
  t.equal((await a.write(() => oa.claimDue(10_000, 5))).length, 5, 'a holds five, until 11 000')
  t.equal((await b.write(() => ob.claimDue(10_000, 5))).length, 1, 'b holds one, until 70 000')
  t.equal(oa.nextLeaseExpiry(), 70_000, 'a waits for b\'s lease, not its own earlier ones')
  t.equal(ob.nextLeaseExpiry(), 11_000, 'b waits for a\'s')
  t.equal(await b.write(() => ob.reclaimExpired(11_001)), 5, 'a\'s expired leases are put back')
  t.equal(oa.nextLeaseExpiry(), 70_000)
  t.equal(ob.nextLeaseExpiry(), undefined, 'b holds the only lease left')
})
