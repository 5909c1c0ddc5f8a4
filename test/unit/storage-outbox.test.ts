// OutboxStore on a real SQLite file: atomic letter + messages, delivery transitions, claims.
import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, OutboxStore, type NewLetter, type NewOutboxMessage, type OutboxLetter } from '../../src/storage/index.js'

const STORAGE = new URL('../../src/storage/index.ts', import.meta.url).href
const REPO = new URL('../..', import.meta.url)
const clock = { now: () => 5_000 }

function open(t: { teardown(fn: () => void): void }): { db: Db; outbox: OutboxStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-outbox-'))
  const file = join(dir, 'saraban.sqlite')
  const db = Db.open(file)
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, outbox: new OutboxStore(db, clock), file }
}

function letter(over: Partial<NewLetter> = {}): NewLetter {
  return { id: randomUUID(), senderAgency: 'moi', letterJson: '{"subject":"ทดสอบ"}', createdAt: 1_000, ...over }
}

function message(letterId: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  const envelope = Buffer.from(randomUUID())
  return {
    messageId: randomUUID(), letterId, recipientAgency: 'mof', profile: 'jose-v1', envelope, envelopeSha256: 'ab'.repeat(32),
    contentKey: randomBytes(32), priority: 1, nextAttemptAt: 1_000, ...over,
  }
}

/** A stored letter with `n` messages (or the given ones). */
async function stored(db: Db, outbox: OutboxStore, n = 1, over: Partial<NewOutboxMessage> = {}, l = letter()) {
  const msgs = Array.from({ length: n }, () => message(l.id, over))
  await db.write(() => outbox.insertLetter(l, msgs))
  return { letter: l, messages: msgs }
}

t.test('insertLetter stores the letter and all its messages, or nothing', async (t) => {
  const { db, outbox } = open(t)
  const { letter: l, messages } = await stored(db, outbox, 3)
  t.same(outbox.getLetter(l.id), { ...l, idempotencyKey: null, requestSha256: null, requestFingerprint: null })
  const meta = outbox.messagesForLetter(l.id)
  t.same(meta.map((m) => m.messageId), messages.map((m) => m.messageId), 'recipients in stored order')
  t.notOk('envelope' in meta[0]! || 'contentKey' in meta[0]!, 'no envelope bytes or content key unless asked')
  t.match(meta[0], { status: 'queued', attempts: 0, lastErrorCode: null, createdAt: 1_000, updatedAt: 1_000, deliveredAt: null, receipt: null })
  const full = outbox.messagesForLetter(l.id, { withEnvelope: true })
  t.ok(full.every((m, i) => m.envelope.equals(messages[i]!.envelope) && m.contentKey.equals(messages[i]!.contentKey)))
  t.same(outbox.getMessage(messages[1]!.messageId), full[1])

  // the second message repeats the first's id: the whole letter must be refused
  const bad = letter()
  const dup = message(bad.id)
  await t.rejects(db.write(() => outbox.insertLetter(bad, [dup, { ...dup }])), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
  t.equal(outbox.getLetter(bad.id), undefined, 'letter rolled back with its messages')
  t.equal(outbox.getMessage(dup.messageId), undefined)
  // also when called outside write(): insertLetter is its own transaction
  t.throws(() => outbox.insertLetter(bad, [dup, { ...dup }]))
  t.equal(outbox.getLetter(bad.id), undefined)
  t.throws(() => outbox.insertLetter(bad, [message(l.id)]), TypeError, 'a message of another letter')
  t.equal(outbox.getLetter(bad.id), undefined)
})

t.test('idempotency key lookup is per sending agency, and unique', async (t) => {
  const { db, outbox } = open(t)
  const l = letter({ idempotencyKey: 'key-1', requestSha256: 'cd'.repeat(32), requestFingerprint: 'ef'.repeat(32) })
  await stored(db, outbox, 1, {}, l)
  t.same(outbox.findByIdempotencyKey('moi', 'key-1'), l)
  t.equal(outbox.findByIdempotencyKey('mof', 'key-1'), undefined, 'another agency, another key space')
  t.equal(outbox.findByIdempotencyKey('moi', 'key-2'), undefined)
  await t.rejects(stored(db, outbox, 1, {}, letter({ idempotencyKey: 'key-1' })), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
  await stored(db, outbox, 1, {}, letter({ idempotencyKey: 'key-1', senderAgency: 'mof' }))
  await stored(db, outbox) // letters without a key never collide
  await stored(db, outbox)
  t.equal(outbox.listLetters({ agencies: ['moi'], limit: 10 }).length, 3)
})

t.test('delivery transitions: claim, retry, deliver, fail', async (t) => {
  const { db, outbox } = open(t)
  const { messages: [a, b] } = await stored(db, outbox, 2)
  t.equal(outbox.nextDueAt(), 1_000)
  t.same(outbox.claimDue(999, 10), [], 'nothing due yet')

  const first = outbox.claimDue(1_000, 10)
  t.same(first.map((m) => [m.messageId, m.status, m.attempts]), [[a!.messageId, 'sending', 1], [b!.messageId, 'sending', 1]])
  t.notOk('envelope' in first[0]!, 'claims carry no envelope bytes')
  t.ok(outbox.getEnvelope(first[0]!.messageId)!.equals(a!.envelope), 'the envelope to send is read on demand')
  t.equal(outbox.nextDueAt(), undefined, 'none queued')
  t.same(outbox.claimDue(1_000, 10), [], 'a claimed message is not claimed again')

  t.ok(await db.write(() => outbox.markRetry(a!.messageId, 61_000, 'ERR_PEER_UNREACHABLE', 'ECONNREFUSED')))
  t.match(outbox.getMessage(a!.messageId), { status: 'queued', attempts: 1, nextAttemptAt: 61_000, lastErrorCode: 'ERR_PEER_UNREACHABLE', lastErrorDetail: 'ECONNREFUSED', updatedAt: 5_000 })
  t.equal(outbox.nextDueAt(), 61_000)
  t.same(outbox.claimDue(60_999, 10), [])
  t.same(outbox.claimDue(61_000, 10).map((m) => m.attempts), [2])
  t.ok(await db.write(() => outbox.markDelivered(a!.messageId, '{"receipt":1}', 62_000)))
  t.match(outbox.getMessage(a!.messageId), { status: 'delivered', receipt: '{"receipt":1}', deliveredAt: 62_000, updatedAt: 62_000 })

  t.ok(await db.write(() => outbox.markFailed(b!.messageId, 'ERR_PEER_REFUSED', 'peer answered 403')))
  t.match(outbox.getMessage(b!.messageId), { status: 'failed', lastErrorCode: 'ERR_PEER_REFUSED' })

  // terminal states stay terminal; the calls say so instead of rewriting history
  t.notOk(outbox.markRetry(a!.messageId, 1, 'X', 'x'))
  t.notOk(outbox.markFailed(a!.messageId, 'X', 'x'))
  t.notOk(outbox.markDelivered(b!.messageId, 'r', 1))
  t.notOk(outbox.markRetry('no-such-id', 1, 'X', 'x'))
  t.same(outbox.counts(), { queued: 0, sending: 0, delivered: 1, failed: 1 })
})

t.test('claimDue: most urgent first, then earliest due, then first stored; honours limit', async (t) => {
  const { db, outbox } = open(t)
  const spec: Array<[priority: number, due: number]> = [[2, 100], [0, 300], [1, 100], [0, 200], [3, 50], [0, 200], [0, 9_999]]
  const ids: string[] = []
  for (const [priority, nextAttemptAt] of spec) ids.push((await stored(db, outbox, 1, { priority, nextAttemptAt })).messages[0]!.messageId)
  const order = outbox.claimDue(1_000, 3).concat(outbox.claimDue(1_000, 10))
  t.same(order.map((m) => ids.indexOf(m.messageId)), [3, 5, 1, 2, 0, 4], 'p0@200 (stored 3rd, then 5th), p0@300, p1, p2, p3; p0@9999 not due')
  t.same(outbox.counts(), { queued: 1, sending: 6, delivered: 0, failed: 0 })
})

t.test('requeueInFlight puts sending messages back, keeping the attempt count', async (t) => {
  const { db, outbox } = open(t)
  await stored(db, outbox, 4)
  const claimed = outbox.claimDue(1_000, 3)
  t.equal(outbox.requeueInFlight(), 3)
  t.equal(outbox.requeueInFlight(), 0)
  for (const m of claimed) t.match(outbox.getMessage(m.messageId), { status: 'queued', attempts: 1, updatedAt: 5_000 })
  const again = outbox.claimDue(1_000, 10)
  t.equal(again.length, 4)
  t.same(again.map((m) => m.attempts).sort(), [1, 2, 2, 2])
})

t.test('claimDue never hands one message to two claimers (3 processes, one file)', async (t) => {
  const { db, outbox, file } = open(t)
  const all: string[] = []
  for (let i = 0; i < 30; i++) all.push(...(await stored(db, outbox, 20, { nextAttemptAt: 0 })).messages.map((m) => m.messageId))
  const code = `
    const { Db, OutboxStore } = await import(${JSON.stringify(STORAGE)})
    const outbox = new OutboxStore(Db.open(process.env.DB_FILE))
    process.stdout.write('ready\\n')
    await new Promise((r) => process.stdin.once('data', r)) // barrier: all three start together
    const got = []
    for (let batch; (batch = outbox.claimDue(Date.now(), 3)).length > 0;) {
      got.push(...batch.map((m) => m.messageId))
      await new Promise((r) => setTimeout(r, 1)) // as a worker would: let the others in
    }
    process.stdout.write(JSON.stringify(got))
    process.stdin.destroy()
  `
  const kids = [1, 2, 3].map(() => child(code, { DB_FILE: file }))
  await Promise.all(kids.map((k) => k.ready))
  for (const k of kids) k.go()
  const runs = await Promise.all(kids.map((k) => k.done))
  const claims = runs.map((out) => JSON.parse(out) as string[])
  const flat = claims.flat()
  t.equal(flat.length, all.length, 'every claim is a distinct message')
  t.same(new Set(flat), new Set(all), 'and every message was claimed')
  t.ok(claims.filter((c) => c.length > 0).length >= 2, `claims were shared: ${claims.map((c) => c.length).join('/')}`)
  t.same(outbox.counts(), { queued: 0, sending: 600, delivered: 0, failed: 0 })
})

t.test('a circular stores its shared content once; each message keeps head and tail', async (t) => {
  const { db, outbox } = open(t)
  const l = letter()
  const shared = randomBytes(64 * 1024)
  const parts = Array.from({ length: 5 }, (_, i) => ({ head: Buffer.from(`head-${i}|`), tail: Buffer.from(`|tail-${i}`) }))
  const msgs = parts.map((p) => message(l.id, { envelope: p.head, tail: p.tail, contentRef: 'jose-v2' }))
  const plain = message(l.id, { profile: 'jose-v1' }) // a recipient sealed on its own, in the same letter
  await db.write(() => outbox.insertLetter(l, [...msgs, plain], [{ ref: 'jose-v2', profile: 'jose-v2', bytes: shared }]))
  t.equal(db.sqlite.prepare('SELECT count(*) FROM outbox_contents').pluck().get(), 1, 'one content row for five recipients')
  const stored = db.sqlite.prepare('SELECT sum(length(bytes)) FROM outbox_envelopes').pluck().get() as number
  t.ok(stored < 1000, `per-message rows hold only heads and tails (${stored} bytes)`)
  for (const [i, m] of msgs.entries()) {
    const whole = Buffer.concat([parts[i]!.head, shared, parts[i]!.tail])
    t.ok(outbox.getEnvelope(m.messageId)!.equals(whole), `message ${i}: getEnvelope puts head ‖ shared ‖ tail together`)
    t.ok(outbox.getMessage(m.messageId)!.envelope.equals(whole), `message ${i}: getMessage too`)
    const p = outbox.getEnvelopeParts(m.messageId)!
    t.ok(p.head.equals(parts[i]!.head) && p.tail.equals(parts[i]!.tail) && outbox.getContent(p.contentId!)!.equals(shared))
  }
  t.ok(outbox.getEnvelope(plain.messageId)!.equals(plain.envelope), 'a message without shared content is its envelope')
  t.same(outbox.getEnvelopeParts(plain.messageId), { head: plain.envelope, contentId: null, tail: Buffer.alloc(0) })
  const full = outbox.messagesForLetter(l.id, { withEnvelope: true })
  t.ok(full[0]!.envelope.equals(Buffer.concat([parts[0]!.head, shared, parts[0]!.tail])))
  t.throws(() => outbox.insertLetter(letter(), [message(l.id, { contentRef: 'nope' })]), TypeError)
  const bad = letter()
  t.throws(() => outbox.insertLetter(bad, [message(bad.id, { contentRef: 'nope' })]), /names content "nope"/)
  t.equal(outbox.getLetter(bad.id), undefined, 'rolled back')
})

t.test('claimDue ages waiting letters: order key = due + rank × aging step (PROTOCOL.md §7.2)', async (t) => {
  const { db, file } = open(t)
  const outbox = new OutboxStore(db, clock, { agingMs: 1_000 })
  const put = async (priority: number, nextAttemptAt: number) => (await stored(db, outbox, 1, { priority, nextAttemptAt })).messages[0]!.messageId
  // deterministic clock: every time below is given, none is read
  const normalOld = await put(3, 0) //     key 3,000
  const mostNew = await put(0, 2_500) //    key 2,500
  const veryNew = await put(1, 2_500) //    key 3,500
  const mostLater = await put(0, 3_200) //  key 3,200
  const urgent = await put(2, 1_500) //     key 3,500, stored after veryNew
  const order = outbox.claimDue(4_000, 10).map((m) => m.messageId)
  t.same(order, [mostNew, normalOld, mostLater, veryNew, urgent],
    'MOST_URGENT first, but a NORMAL letter that waited 3 steps goes before newer MOST_URGENT ones')

  // no starvation: a NORMAL letter is served once every later arrival's key is past its own
  const normal = await put(3, 10_000) // key 13,000
  let served = -1
  for (let now = 10_000, n = 0; now < 20_000 && served < 0; now += 100, n++) {
    await put(0, now) // a MOST_URGENT letter arrives every 100 ms and one message is sent per tick
    if (outbox.claimDue(now, 1)[0]!.messageId === normal) served = now
  }
  t.ok(served > 0 && served <= 13_100, `the NORMAL letter is sent by ${served} despite a steady stream of MOST_URGENT ones`)

  // a retry restarts the key from its new due time
  const r = await put(0, 20_000)
  outbox.claimDue(20_000, 100)
  t.ok(outbox.markRetry(r, 25_000, 'ERR_PEER_UNREACHABLE', 'x'))
  t.equal(db.sqlite.prepare('SELECT order_key FROM outbox_messages WHERE message_id = ?').pluck().get(r), 25_000)
})

t.test('claimDue passes over candidates its accept refuses, and they keep their place', async (t) => {
  const { db, outbox } = open(t)
  const ids: string[] = []
  for (let i = 0; i < 300; i++) ids.push((await stored(db, outbox, 1, { recipientAgency: i < 250 ? 'slow' : `fast${i}`, nextAttemptAt: i })).messages[0]!.messageId)
  let slow = 0
  const claimed = outbox.claimDue(1_000, 20, (c) => c.recipientAgency !== 'slow' || slow++ < 4)
  t.equal(claimed.length, 20)
  t.equal(claimed.filter((m) => m.recipientAgency === 'slow').length, 4, 'at most 4 for the busy peer')
  t.same(claimed.filter((m) => m.recipientAgency !== 'slow').map((m) => m.messageId), ids.slice(250, 266), 'the rest from other peers, in order')
  t.same(outbox.claimDue(1_000, 3).map((m) => m.messageId), ids.slice(4, 7), 'the passed-over ones are next in line')
})

t.test('claimDue asks accept once about an agency it refused, and still finds the rows behind its backlog (issue 16 item 1)', async (t) => {
  const { db, outbox } = open(t)
  const ids: string[] = []
  // More refused rows than one page (80 for a limit of 20), then another peer's: the refused agency's
  // rows are left out in SQL on the next pages instead of being offered one by one.
  for (let i = 0; i < 205; i++) ids.push((await stored(db, outbox, 1, { recipientAgency: i < 200 ? 'full' : `free${i}`, nextAttemptAt: i })).messages[0]!.messageId)
  const asked = new Map<string, number>()
  const claimed = outbox.claimDue(1_000, 20, (c) => {
    asked.set(c.recipientAgency, (asked.get(c.recipientAgency) ?? 0) + 1)
    return c.recipientAgency !== 'full'
  })
  t.equal(asked.get('full'), 1, 'the refused agency was offered once')
  t.same(claimed.map((m) => m.messageId), ids.slice(200), 'the other peers\' rows, in order')
  t.same(outbox.claimDue(1_000, 2).map((m) => m.messageId), ids.slice(0, 2), 'the passed-over ones kept their place')
})

t.test('claimDue: a refusal passes over the whole group of the refused agency (a peer hosting many), asked once (issue 16 item 3)', async (t) => {
  const { db, outbox } = open(t)
  const ids: string[] = []
  // A circular's rows in the order stored: 120 agencies on one hosting node, then 5 on another,
  // then 3 more of the first node's. The first node is full: its agencies are one group.
  const agencyAt = (i: number) => (i < 120 ? `busy${i}` : i < 125 ? `open${i}` : `busy${i}`)
  for (let i = 0; i < 128; i++) ids.push((await stored(db, outbox, 1, { recipientAgency: agencyAt(i), nextAttemptAt: i })).messages[0]!.messageId)
  const groupOf = (agency: string) => (agency.startsWith('busy') ? 'https://host-1.example' : 'https://host-2.example')
  const asked: string[] = []
  const claimed = outbox.claimDue(1_000, 10, (c) => {
    asked.push(c.recipientAgency)
    return groupOf(c.recipientAgency) !== 'https://host-1.example'
  }, groupOf)
  t.same(asked, ['busy0', 'open120', 'open121', 'open122', 'open123', 'open124'], 'the full node was asked about once; none of its other 122 rows was offered')
  t.same(claimed.map((m) => m.messageId), ids.slice(120, 125), 'the other node\'s rows, in order')
  // Without groupOf a refusal stays the agency's own: the next busy agency is offered again.
  const again: string[] = []
  outbox.claimDue(1_000, 1, (c) => (again.push(c.recipientAgency), again.length > 2))
  t.same(again, ['busy0', 'busy1', 'busy2'], 'refused per agency without a group')
  t.same(outbox.claimDue(1_000, 200).map((m) => m.messageId), [...ids.slice(0, 2), ...ids.slice(3, 120), ...ids.slice(125)], 'every passed-over row kept its place')
})

t.test('deliverBy deadlines: found through the index, raised once each', async (t) => {
  const { db, outbox } = open(t)
  const { messages: [a, b, c] } = await stored(db, outbox, 3, { deadlineAt: 10_000 })
  await stored(db, outbox, 1) // no deadline
  t.equal(outbox.nextDeadlineEventAt(2_000), 8_000, 'at-risk window opens at deadline − 2 s')
  t.same(outbox.deadlinesDue(7_999, 2_000), [])
  t.same(outbox.deadlinesDue(8_000, 2_000).map((d) => d.messageId), [a!.messageId, b!.messageId, c!.messageId])
  t.match(outbox.deadlinesDue(8_000, 2_000)[0], { letterId: a!.letterId, recipientAgency: 'mof', senderAgency: 'moi', deadlineAt: 10_000, deadlineState: null })
  t.ok(outbox.raiseDeadline(a!.messageId, 'at-risk'))
  t.notOk(outbox.raiseDeadline(a!.messageId, 'at-risk'), 'once')
  t.same(outbox.deadlinesDue(9_000, 2_000).map((d) => d.messageId), [b!.messageId, c!.messageId], 'a raised at-risk leaves the set until it is missed')
  t.equal(outbox.nextDeadlineEventAt(2_000), 8_000, 'b and c still wait for their at-risk event')
  outbox.raiseDeadline(b!.messageId, 'at-risk')
  outbox.claimDue(1_000, 10)
  await db.write(() => outbox.markDelivered(c!.messageId, 'r', 9_000))
  t.equal(outbox.nextDeadlineEventAt(2_000), 10_000, 'delivered ones drop out; next is the missed event')
  t.ok(outbox.raiseDeadline(a!.messageId, 'missed'))
  t.notOk(outbox.raiseDeadline(a!.messageId, 'missed'))
  t.notOk(outbox.raiseDeadline(a!.messageId, 'at-risk'), 'never back from missed')
  t.same(outbox.deadlinesDue(10_000, 2_000).map((d) => d.messageId), [b!.messageId])
  t.match(outbox.messagesForLetter(a!.letterId).map((m) => [m.deadlineAt, m.deadlineState]), [[10_000, 'missed'], [10_000, 'at-risk'], [10_000, null]])
})

t.test('listLetters: newest first, keyset cursor, several agencies', async (t) => {
  const { db, outbox } = open(t)
  // 5 letters per millisecond: a createdAt-only cursor would skip or repeat rows
  for (let i = 0; i < 25; i++) await stored(db, outbox, 0, {}, letter({ createdAt: 1_000 + Math.floor(i / 5) }))
  for (let i = 0; i < 7; i++) await stored(db, outbox, 0, {}, letter({ senderAgency: 'mof', createdAt: 1_002 }))
  const walk = (agencies: string[]) => {
    const seen: OutboxLetter[] = []
    for (let page: OutboxLetter[] = []; ; ) {
      const last = page.at(-1)
      page = outbox.listLetters({ agencies, limit: 10, ...(last ? { before: last.createdAt, beforeId: last.id } : {}) })
      if (page.length === 0) return seen
      seen.push(...page)
    }
  }
  const desc = (a: OutboxLetter, b: OutboxLetter) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)
  const moi = walk(['moi'])
  t.equal(moi.length, 25)
  t.same(moi, [...moi].sort(desc))
  t.equal(new Set(moi.map((l) => l.id)).size, 25)
  const both = walk(['moi', 'mof', 'moi'])
  t.equal(both.length, 32)
  t.same(both, [...both].sort(desc))
  t.same(outbox.listLetters({ agencies: ['moi'], limit: 100, before: 1_002 }).map((l) => l.createdAt), [1_001, 1_001, 1_001, 1_001, 1_001, 1_000, 1_000, 1_000, 1_000, 1_000], 'before alone: createdAt < before')
  t.same(outbox.listLetters({ agencies: [], limit: 10 }), [])
  t.same(outbox.listLetters({ agencies: ['dga'], limit: 10 }), [])
})

/** A node process (tsx loaded) running `code`; it prints 'ready', waits for go(), prints its result. */
function child(code: string, env: Record<string, string>) {
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  let onReady: () => void
  const ready = new Promise<void>((r) => (onReady = r))
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (out.startsWith('ready\n')) onReady()
  })
  const done = new Promise<string>((resolve, reject) => {
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`child exited ${code}`))))
  })
  return { ready, done, go: () => p.stdin.write('go\n') }
}

t.test('patience (migration 016, PROTOCOL.md §7.2): waiting keeps the place, horizons expire, requeue starts afresh', async (t) => {
  const { db, outbox } = open(t)
  const { messages: [a, b, c] } = await stored(db, outbox, 3)
  t.equal(outbox.nextHorizonFrom(), 1_000, 'the horizon starts when the letter was stored')
  const [claimed] = await db.write(() => outbox.claimDue(5_000, 1))
  const before = outbox.getMessage(claimed!.messageId)!
  t.ok(await db.write(() => outbox.markWaiting(claimed!.messageId, 'ERR_PEER_UNREACHABLE', 'ECONNREFUSED')))
  t.match(outbox.getMessage(claimed!.messageId), { status: 'queued', attempts: 1, nextAttemptAt: before.nextAttemptAt, lastErrorCode: 'ERR_PEER_UNREACHABLE' }, 'still due, in its place, its attempt counted')
  t.same(outbox.expiring(999).length, 0, 'nothing started before the cutoff')
  t.same(outbox.expiring(1_000).map((m) => m.messageId).sort(), [a!, b!, c!].map((m) => m.messageId).sort())
  t.ok(await db.write(() => outbox.markExpired(a!.messageId, 'ERR_PEER_UNREACHABLE', 'gave up')))
  t.ok(await db.write(() => outbox.cancelQueued(b!.messageId, 'withdrawn')))
  t.notOk(await db.write(() => outbox.requeueFailed(b!.messageId)), 'a cancelled recipient is never requeued')
  t.notOk(await db.write(() => outbox.requeueFailed(c!.messageId)), 'nor a queued one')
  t.ok(await db.write(() => outbox.requeueFailed(a!.messageId)))
  t.match(outbox.getMessage(a!.messageId), { status: 'queued', attempts: 0, nextAttemptAt: 5_000, horizonFrom: 5_000 }, 'due now, horizon and attempts afresh')
  t.same(outbox.pendingByRecipient(['moi']), new Map([['mof', 2]]), 'pending per recipient for the sending agency')
  t.same(outbox.pendingByRecipient(['dga']), new Map())
})
