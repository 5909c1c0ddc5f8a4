// The time-stamp queue (services/timestamping.ts) on a real SQLite file and a real TSA over HTTP: a token
// that does not verify is never stored and counts as a failure; with no TSA configured nothing is queued.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/db.js'
import { TimestampStore } from '../../src/storage/timestamps.js'
import { WorkerPauseStore } from '../../src/storage/worker-pauses.js'
import { Timestamping } from '../../src/services/timestamping.js'
import { TsaClient } from '../../src/tsa/client.js'
import { buildTsaServer } from '../../src/tsa/server.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { createLogger } from '../../src/log.js'
import { systemClock } from '../../src/clock.js'
import { testTrust } from '../helpers/federation.js'
import { testTsa } from '../helpers/tsa.js'
import { freePort, waitFor } from '../helpers/nodes.js'

const settings = { timeoutMs: 1000, initialBackoffMs: 50, maxBackoffMs: 200, concurrency: 2 }

/** A worker on its own database file, or (`dir`) on the file of another: a second process of the node. */
async function queue(t: Test, url: string | undefined, opts: { dir?: string; settings?: typeof settings } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'saraban-tsq-'))
  const db = Db.open(join(dir, 'db.sqlite'))
  const { anchors } = await testTrust()
  const s = opts.settings ?? settings
  const store = new TimestampStore(db)
  const ts = new Timestamping({
    clock: systemClock, log: createLogger('silent'), db, store, pauses: new WorkerPauseStore(db), anchors, profiles: defaultProfiles(),
    client: url ? new TsaClient({ url, timeoutMs: s.timeoutMs }) : undefined, settings: s,
  })
  t.teardown(async () => { await ts.stop(); await db.close(); if (!opts.dir) rmSync(dir, { recursive: true, force: true }) })
  ts.start()
  return { db, ts, store, dir }
}

t.test('a token from a certificate that is not a TSA certificate is refused and retried, never stored', async (t) => {
  const { fed } = await testTrust()
  const signing = fed.agencies.moi!.signing // a letter-signing certificate, not a tsa one
  const port = await freePort()
  const bad = await buildTsaServer({ signer: { key: signing.key, chain: signing.chain }, clock: systemClock, log: createLogger('silent') })
  await bad.listen({ host: '127.0.0.1', port })
  t.teardown(() => bad.close())
  const { db, ts } = await queue(t, `http://127.0.0.1:${port}/`)
  await db.write(() => ts.record([{ messageId: '00000000-0000-4000-8000-000000000001', side: 'outbox', kind: 'letter', signature: Buffer.from('sig') }]))
  const s = await waitFor('a failure', () => (ts.status().state === 'retrying' ? ts.status() : undefined))
  t.equal(s.lastError?.code, 'ERR_TSA_UNTRUSTED')
  t.equal(s.pending, 1)
  t.same(ts.tokensFor('00000000-0000-4000-8000-000000000001'), [])
})

t.test('a good TSA: stamped once, idempotent per message, side and kind', async (t) => {
  const tsa = await testTsa()
  t.teardown(() => tsa.stop())
  const { db, ts } = await queue(t, tsa.url)
  const mid = '00000000-0000-4000-8000-000000000002'
  const subject = { messageId: mid, side: 'inbox' as const, kind: 'letter' as const, signature: Buffer.from('sig') }
  await db.write(() => ts.record([subject]))
  await db.write(() => ts.record([subject])) // a second record of the same stamp is ignored
  await waitFor('the stamp', () => (ts.tokensFor(mid).length === 1 ? true : undefined))
  t.match(ts.status(), { state: 'ok', pending: 0 })
  t.equal(ts.tokensFor(mid)[0]!.side, 'inbox')
  t.equal(tsa.served, 1, 'one request')
})

t.test('one signature shared by many messages (a letter signed once, PROTOCOL.md §17) is stamped once', async (t) => {
  const tsa = await testTsa()
  t.teardown(() => tsa.stop())
  const { db, ts } = await queue(t, tsa.url)
  const mids = ['00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000013']
  const signature = Buffer.from('one signature for three recipients')
  await db.write(() => ts.record([{ messageId: mids[0]!, side: 'outbox', kind: 'letter', signature }]))
  await waitFor('the first stamp', () => (ts.tokensFor(mids[0]!).length === 1 ? true : undefined))
  await db.write(() => ts.record(mids.slice(1).map((messageId) => ({ messageId, side: 'outbox' as const, kind: 'letter' as const, signature }))))
  await waitFor('the other stamps', () => (mids.every((m) => ts.tokensFor(m).length === 1) ? true : undefined))
  t.equal(tsa.served, 1, 'the TSA was asked once')
  const tokens = mids.map((m) => ts.tokensFor(m)[0]!)
  t.ok(tokens.every((x) => x.token.equals(tokens[0]!.token) && x.imprint.equals(tokens[0]!.imprint)), 'every message holds the same token')
  await db.write(() => ts.record([{ messageId: '00000000-0000-4000-8000-000000000014', side: 'outbox', kind: 'letter', signature: Buffer.from('another signature') }]))
  await waitFor('the other letter', () => (ts.tokensFor('00000000-0000-4000-8000-000000000014').length === 1 ? true : undefined))
  t.equal(tsa.served, 2, 'another signature is stamped on its own')
})

t.test('no TSA configured: nothing is queued and health says off', async (t) => {
  const { db, ts } = await queue(t, undefined)
  await db.write(() => ts.record([{ messageId: '00000000-0000-4000-8000-000000000003', side: 'outbox', kind: 'receipt' }]))
  t.same(ts.status(), { state: 'off', pending: 0, oldestPendingSeconds: 0 })
})

t.test('two processes on one database (issue 19 item 2): a claim hides the row until its lease ends; the first token stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-tsq2-'))
  const da = Db.open(join(dir, 'db.sqlite'))
  const db2 = Db.open(join(dir, 'db.sqlite'))
  t.teardown(async () => { await da.close(); await db2.close(); rmSync(dir, { recursive: true, force: true }) })
  const a = new TimestampStore(da)
  const b = new TimestampStore(db2)
  const key = { messageId: '00000000-0000-4000-8000-000000000009', side: 'outbox' as const, kind: 'letter' as const }
  await da.write(() => a.enqueue([{ ...key, imprint: Buffer.alloc(32, 1) }], 1_000))
  t.equal(a.claimDue(1_000, 5, 30_000).length, 1, 'a claims it')
  t.same(b.claimDue(29_999, 5, 60_000), [], 'b finds nothing due while a holds it')
  t.equal(b.claimDue(30_000, 5, 60_000).length, 1, 'a died: b claims it when the lease ends')
  t.ok(await db2.write(() => b.saveToken(key, Buffer.alloc(32, 1), Buffer.from('token-b'), 30_500, 30_500)), 'b stores its token')
  t.notOk(await da.write(() => a.saveToken(key, Buffer.alloc(32, 1), Buffer.from('token-a'), 31_000, 31_000)), 'a late token does not replace it')
  t.same(a.tokensFor(key.messageId).map((x) => x.token.toString()), ['token-b'])
})

t.test('two processes: a stale failure does not move a row another process holds (issue 19 item 2, migration 045)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-tsq3-'))
  const da = Db.open(join(dir, 'db.sqlite'))
  const db2 = Db.open(join(dir, 'db.sqlite'))
  t.teardown(async () => { await da.close(); await db2.close(); rmSync(dir, { recursive: true, force: true }) })
  const a = new TimestampStore(da, 'host:1')
  const b = new TimestampStore(db2, 'host:2')
  const key = { messageId: '00000000-0000-4000-8000-000000000021', side: 'outbox' as const, kind: 'letter' as const }
  await da.write(() => a.enqueue([{ ...key, imprint: Buffer.alloc(32, 2) }], 1_000))
  const [byA] = a.claimDue(1_000, 5, 30_000)
  t.ok(byA, 'a claims it')
  t.equal(b.claimDue(30_000, 5, 60_000).length, 1, 'a is slow: its claim ran out and b claims it')
  // a's attempt fails late and would make the row due at 31 000, while b's attempt runs until 60 000.
  await da.write(() => { a.markRetry(byA!, 31_000, 'ERR_TSA_UNREACHABLE: late') })
  t.same(a.claimDue(31_000, 5, 90_000), [], 'the row is still b\'s: a stale failure moved nothing')
  t.same(new TimestampStore(db2, 'host:3').claimDue(59_999, 5, 90_000), [], 'nor for a third process')
})

t.test('one process: a failure of an earlier claim of the same row is not this claim\'s (the attempt count fences it)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-tsq4-'))
  const db = Db.open(join(dir, 'db.sqlite'))
  t.teardown(async () => { await db.close(); rmSync(dir, { recursive: true, force: true }) })
  const a = new TimestampStore(db, 'host:1')
  const key = { messageId: '00000000-0000-4000-8000-000000000022', side: 'inbox' as const, kind: 'letter' as const }
  await db.write(() => a.enqueue([{ ...key, imprint: Buffer.alloc(32, 3) }], 1_000))
  const [first] = a.claimDue(1_000, 5, 30_000)
  const [second] = a.claimDue(30_000, 5, 60_000)
  t.equal(second!.attempts, first!.attempts + 1, 'each claim counts an attempt')
  t.notOk(await db.write(() => a.markRetry(first!, 31_000, 'ERR_TSA_UNREACHABLE: late')), 'the first attempt\'s failure is refused')
  t.same(a.claimDue(31_000, 5, 90_000), [], 'the row stays claimed')
  t.ok(await db.write(() => a.markRetry(second!, 40_000, 'ERR_TSA_UNREACHABLE: now')), 'the current attempt\'s failure is recorded')
  t.equal(a.claimDue(40_000, 5, 90_000).length, 1, 'and the row is due when it says')
})

t.test('two processes: a TSA failure seen by one pauses the other (the backoff is in the database)', async (t) => {
  const { fed } = await testTrust()
  const signing = fed.agencies.moi!.signing // not a TSA certificate: every token is refused
  const port = await freePort()
  const bad = await buildTsaServer({ signer: { key: signing.key, chain: signing.chain }, clock: systemClock, log: createLogger('silent') })
  let asked = 0
  bad.addHook('onResponse', async () => { asked++ })
  await bad.listen({ host: '127.0.0.1', port })
  t.teardown(() => bad.close())
  const url = `http://127.0.0.1:${port}/`
  const slow = { timeoutMs: 1000, initialBackoffMs: 60_000, maxBackoffMs: 120_000, concurrency: 2 }
  const a = await queue(t, url, { settings: slow })
  await a.db.write(() => a.ts.record([{ messageId: '00000000-0000-4000-8000-000000000031', side: 'outbox', kind: 'letter', signature: Buffer.from('sig a') }]))
  await waitFor('a\'s failure', () => (a.ts.status().state === 'retrying' ? true : undefined))
  t.equal(asked, 1)
  // A second process of the node, with a stamp of its own due now.
  const b = await queue(t, url, { dir: a.dir, settings: slow })
  t.equal(b.ts.status().state, 'retrying', 'b reports the node\'s TSA failure')
  t.equal(b.ts.status().lastError?.code, 'ERR_TSA_UNTRUSTED')
  const mid = '00000000-0000-4000-8000-000000000032'
  await b.db.write(() => b.ts.record([{ messageId: mid, side: 'outbox', kind: 'letter', signature: Buffer.from('sig b') }]))
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)) // b's worker has looked at its queue
  t.equal(asked, 1, 'b did not ask the TSA during the node\'s pause')
  const claimable = new TimestampStore(b.db).claimDue(Date.now(), 5, Date.now() + 1000).map((r) => r.messageId)
  t.same(claimable, [mid], 'b\'s stamp is still due, unclaimed')
})
