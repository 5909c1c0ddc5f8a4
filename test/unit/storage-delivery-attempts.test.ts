// Delivery attempts (issue 17 item 2, migration 034): each attempt's outcome is kept beside the
// message, in the caller's transaction, the newest ATTEMPTS_KEPT per message.
import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Db, OutboxStore, type NewOutboxMessage } from '../../src/storage/index.js'
import { ATTEMPTS_KEPT } from '../../src/storage/outbox.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'

const clock = { now: () => 5_000 }

function open(t: { teardown(fn: () => void): void }): { db: Db; outbox: OutboxStore } {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-attempts-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, outbox: new OutboxStore(db, clock) }
}

async function letterTo(db: Db, outbox: OutboxStore, recipients: string[]) {
  const id = randomUUID()
  const msgs: NewOutboxMessage[] = recipients.map((r) => ({
    messageId: randomUUID(), letterId: id, recipientAgency: r, profile: 'jose-v1', envelope: Buffer.from(randomUUID()),
    envelopeSha256: 'ab'.repeat(32), contentKey: randomBytes(32), priority: 1, nextAttemptAt: 1_000,
  }))
  await db.write(() => outbox.insertLetter({ id, senderAgency: 'moi', letterJson: '{}', createdAt: 1_000 }, msgs))
  return { id, messageIds: msgs.map((m) => m.messageId) }
}

t.test('attempts are kept per message, in order, with their outcome, code, detail and HTTP status', async (t) => {
  const { db, outbox } = open(t)
  const { id, messageIds: [mof, dga] } = await letterTo(db, outbox, ['mof', 'dga'])
  await db.write(() => {
    outbox.recordAttempt({ messageId: dga!, attempt: 1, startedAt: 10, endedAt: 11, outcome: 'delivered' })
    outbox.recordAttempt({ messageId: mof!, attempt: 1, startedAt: 20, endedAt: 25, outcome: 'circuit', errorCode: 'ERR_PEER_UNREACHABLE', detail: 'ECONNREFUSED: connect' })
    outbox.recordAttempt({ messageId: mof!, attempt: 2, startedAt: 30, endedAt: 31, outcome: 'retry', errorCode: 'ERR_PEER_REFUSED', detail: 'peer answered HTTP 500', httpStatus: 500 })
    outbox.recordAttempt({ messageId: mof!, attempt: 3, startedAt: 40, endedAt: 41, outcome: 'delivered' })
  })
  t.same(outbox.attemptsOfMessage(mof!), [
    { messageId: mof, attempt: 1, startedAt: 20, endedAt: 25, outcome: 'circuit', errorCode: 'ERR_PEER_UNREACHABLE', detail: 'ECONNREFUSED: connect', httpStatus: null },
    { messageId: mof, attempt: 2, startedAt: 30, endedAt: 31, outcome: 'retry', errorCode: 'ERR_PEER_REFUSED', detail: 'peer answered HTTP 500', httpStatus: 500 },
    { messageId: mof, attempt: 3, startedAt: 40, endedAt: 41, outcome: 'delivered', errorCode: null, detail: null, httpStatus: null },
  ])
  const all = outbox.attemptsOfLetter(id, 100)
  t.same(all.map((a) => [a.messageId, a.attempt]), [[mof, 1], [mof, 2], [mof, 3], [dga, 1]], 'recipients in stored order, oldest attempt first')
  t.equal(outbox.attemptsOfLetter(id, 2).length, 2, 'bounded by the limit')
  t.same(outbox.attemptsOfLetter(randomUUID(), 100), [], 'another letter has none')
})

t.test('an attempt is written in the caller\'s transaction: rolled back with it', async (t) => {
  const { db, outbox } = open(t)
  const { messageIds: [m] } = await letterTo(db, outbox, ['mof'])
  await t.rejects(db.write(() => {
    outbox.recordAttempt({ messageId: m!, attempt: 1, startedAt: 1, endedAt: 2, outcome: 'retry', errorCode: 'ERR_X' })
    throw new Error('the outcome could not be recorded')
  }))
  t.same(outbox.attemptsOfMessage(m!), [], 'no attempt without its outcome')
  await t.rejects(db.write(() => outbox.recordAttempt({ messageId: 'no-such-message', attempt: 1, startedAt: 1, endedAt: 2, outcome: 'retry' })), 'only of a stored message')
})

t.test(`a message keeps its newest ${ATTEMPTS_KEPT} attempts; others are untouched`, async (t) => {
  const { db, outbox } = open(t)
  const { messageIds: [busy, quiet] } = await letterTo(db, outbox, ['mof', 'dga'])
  await db.write(() => outbox.recordAttempt({ messageId: quiet!, attempt: 1, startedAt: 1, endedAt: 1, outcome: 'retry', errorCode: 'ERR_A' }))
  const n = ATTEMPTS_KEPT + 7
  await db.write(() => {
    for (let i = 1; i <= n; i++) outbox.recordAttempt({ messageId: busy!, attempt: i, startedAt: i, endedAt: i, outcome: 'retry', errorCode: 'ERR_A', detail: 'x'.repeat(5000) })
  })
  const kept = outbox.attemptsOfMessage(busy!)
  t.equal(kept.length, ATTEMPTS_KEPT)
  t.equal(kept[0]!.attempt, n - ATTEMPTS_KEPT + 1, 'the oldest were dropped')
  t.equal(kept[kept.length - 1]!.attempt, n, 'the newest is kept')
  t.ok(kept[0]!.detail!.length < 5000, 'a long detail is bounded')
  t.equal(outbox.attemptsOfMessage(quiet!).length, 1, "another message's attempts are not pruned")
})

t.test('migration 034 adds the table to a database at 032 and keeps its letters', async (t) => {
  const db = new Database(':memory:')
  db.transaction(() => { for (const m of MIGRATIONS.filter((x) => x.version <= 32)) db.exec(m.sql) })()
  db.prepare("INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES ('l1', 'moi', '{}', 1)").run()
  db.transaction(() => db.exec(MIGRATIONS.find((m) => m.version === 34)!.sql))()
  t.equal(db.prepare('SELECT count(*) FROM letters').pluck().get(), 1)
  t.equal(db.prepare('SELECT count(*) FROM delivery_attempts').pluck().get(), 0)
  t.throws(() => db.prepare("INSERT INTO delivery_attempts (message_id, attempt, started_at, ended_at, outcome) VALUES ('m', 1, 1, 1, 'lost')").run(), 'the outcome is one of four')
})
