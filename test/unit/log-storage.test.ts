// The transparency log's storage (migration 018, storage/log.ts) and its appender: the stored tree is
// RFC 9162's (compared with src/tlog computed from the leaves alone), the subtree cache gives the same
// proofs, and a state change whose entry cannot be built is rolled back with it.
import t from 'tap'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { Db } from '../../src/storage/index.js'
import { appendLeaf, appendLeaves, INDEX_OF_SQL, LogStore } from '../../src/storage/log.js'
import { LeafAppender } from '../../src/services/log/append.js'
import { StoredLog } from '../../src/services/log/stored-log.js'
import { storedReceiptClaims } from '../../src/services/log/receipt-claims.js'
import { verifyLog } from '../../src/services/log/verify.js'
import { consistencyProof, inclusionProof, rootHash } from '../../src/tlog/tree.js'
import { verifyConsistency, verifyInclusion } from '../../src/tlog/verify.js'
import { leafHash } from '../../src/tlog/hash.js'
import { checkpointBody, logOrigin } from '../../src/tlog/checkpoint.js'

const entry = (i: number) => Buffer.from(`{"i":${i}}`)

t.test('appendLeaf: indexes, head, subtrees and proofs agree with RFC 9162 over the leaves alone', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  const store = new LogStore(db.sqlite)
  const N = 77
  for (let i = 0; i < N; i++) {
    t.equal(db.tx(() => appendLeaf(db.sqlite, 'moi', entry(i))), i)
    const h = store.head('moi')
    t.equal(h.size, i + 1)
    t.ok(h.root.equals(rootHash(i + 1, store.leafReader('moi'))), `root at size ${i + 1}`)
  }
  t.equal(store.nodeCount('moi'), 1, 'one stored subtree of 64 leaves or more (storage/log.ts CACHED_LEVEL)')
  const leaves = store.leafReader('moi'), cache = store.subtreeCache('moi')
  const root = store.head('moi').root
  for (const [index, size] of [[0, 1], [5, 8], [13, 77], [76, 77], [31, 64], [64, 77]] as const) {
    const plain = inclusionProof(index, size, leaves)
    const cached = inclusionProof(index, size, leaves, cache)
    t.same(cached, plain, `inclusion ${index} in ${size}: the cache changes nothing`)
    t.ok(verifyInclusion(leafHash(entry(index)), index, size, cached, rootHash(size, leaves)))
  }
  for (const [from, to] of [[1, 77], [32, 77], [50, 64], [7, 77]] as const) {
    const p = consistencyProof(from, to, leaves, cache)
    t.same(p, consistencyProof(from, to, leaves), `consistency ${from} → ${to}`)
    t.ok(verifyConsistency(from, to, rootHash(from, leaves), to === N ? root : rootHash(to, leaves), p))
  }
  t.equal(store.indexOf('moi', entry(42)), 42)
  t.equal(store.indexOf('moi', entry(1000)), undefined)
  t.equal(store.head('mof').size, 0, 'another agency has its own (empty) log')
})

t.test('appendLeaves (one head read and write per drain) stores what appendLeaf one by one stores', async (t) => {
  const one = Db.open(':memory:'), many = Db.open(':memory:')
  t.teardown(() => Promise.all([one.close(), many.close()]))
  for (let i = 0; i < 45; i++) one.tx(() => appendLeaf(one.sqlite, 'moi', entry(i)))
  let next = 0
  for (const n of [1, 2, 5, 0, 8, 13, 16]) {
    t.equal(many.tx(() => appendLeaves(many.sqlite, 'moi', Array.from({ length: n }, (_, k) => entry(next + k)))), next, `batch of ${n} starts at ${next}`)
    next += n
  }
  t.equal(next, 45)
  const dump = (db: Db) => ({
    head: db.sqlite.prepare('SELECT * FROM log_heads').all(),
    entries: db.sqlite.prepare('SELECT * FROM log_entries ORDER BY agency, idx').all(),
    nodes: db.sqlite.prepare('SELECT * FROM log_nodes ORDER BY agency, level, pos').all(),
  })
  t.same(dump(many), dump(one))
})

t.test('indexOf reads one entry through the time and leaf-hash index, not the whole log (regression: a scan per receipt)', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  const plan = db.sqlite.prepare(`EXPLAIN QUERY PLAN ${INDEX_OF_SQL}`).all('moi', '', Buffer.alloc(32), Buffer.alloc(1)) as Array<{ detail: string }>
  t.match(plan.map((r) => r.detail).join('; '), /USING INDEX log_entries_time \(agency=\? AND entry_at=\? AND leaf_hash=\?\)/)
})

t.test('the appender: node-wide rows go to every hosted log; an entry that cannot be built rolls its change back', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  let hosted = ['moi', 'mof']
  const appender = new LeafAppender({ sqlite: db.sqlite, hosted: () => hosted })
  db.afterEachWrite(appender)
  const store = new LogStore(db.sqlite)
  await db.write(() => db.sqlite.prepare(`INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at)
    VALUES (1, 0, 1, '${'a'.repeat(64)}', 'x.y.z', 1000)`).run())
  t.equal(store.head('moi').size, 1)
  t.equal(store.head('mof').size, 1)
  t.match(JSON.parse(store.entries('mof', 0, 1)[0]!.entry.toString()), { v: 1, type: 'trust.directory', agency: 'mof', serial: 1, at: '1970-01-01T00:00:01.000Z' })

  await db.write(() => {
    db.sqlite.prepare(`INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES ('L1', 'moi', '{}', 2000)`).run()
    db.sqlite.prepare(`INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, profile, envelope_sha256, priority, status, next_attempt_at, created_at, updated_at)
      VALUES ('M1', 'L1', 'mof', 'jose-v1', '${'b'.repeat(64)}', 0, 'queued', 0, 2000, 2000)`).run()
  })
  t.equal(store.head('moi').size, 2, 'message.sent')
  // A receipt that does not verify: no message.delivered entry can be built, so no delivered state either.
  await t.rejects(db.write(() => db.sqlite.prepare(`UPDATE outbox_messages SET status = 'delivered', receipt = 'not.a.receipt', delivered_at = 3000 WHERE message_id = 'M1'`).run()))
  t.equal(db.sqlite.prepare(`SELECT status FROM outbox_messages WHERE message_id = 'M1'`).pluck().get(), 'queued', 'the change rolled back with its entry')
  t.equal(store.head('moi').size, 2)
  t.equal(store.pendingCount(), 0)

  const log = new StoredLog(db)
  const h = log.head('moi')
  const time = '2026-12-06T03:00:00.000Z'
  await log.saveCheckpoint('moi', h.size, `e30.${Buffer.from(checkpointBody({ origin: logOrigin('moi'), size: h.size, root: h.root, time })).toString('base64url')}.sig`)
  t.match(log.latestCheckpoint('moi'), { size: 2 })
  // mof moves to another node: later node-wide changes are not in its log, and that is no difference
  hosted = ['moi']
  await db.write(() => db.sqlite.prepare(`INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at)
    VALUES (2, 0, 1, '${'c'.repeat(64)}', 'x.y.z', 5000)`).run())
  t.equal(store.head('mof').size, 1)
  const r = verifyLog(db.sqlite)
  t.same(r.differences, [], 'verify: intact')
  t.equal(r.entriesChecked, 4)
  t.equal(createHash('sha256').update(Buffer.concat([Buffer.from([0]), store.entries('moi', 0, 1)[0]!.entry])).digest('hex'), store.entries('moi', 0, 1)[0]!.leafHash.toString('hex'), 'leaf hash = SHA-256(0x00 || entry)')
})

t.test('entries are appended once per transaction, in the order of their changes; a fn rolled back leaves none', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  db.afterEachWrite(new LeafAppender({ sqlite: db.sqlite, hosted: () => ['moi'] }))
  const store = new LogStore(db.sqlite)
  const directory = (serial: number) => db.sqlite.prepare(`INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at)
    VALUES (?, 0, 1, '${'a'.repeat(64)}', 'x.y.z', ?)`).run(serial, serial * 1000)
  const serials = () => store.entries('moi', 0, 99).map((e) => JSON.parse(e.entry.toString()).serial as number)
  const commits = db.stats.commits
  let seenByHook: number | undefined
  // Queued in one tick: one batch, one transaction (storage/db.ts group commit).
  const results = await Promise.allSettled([
    db.write(() => directory(1)),
    // its nested tx() built serial 2's entry; the fn then fails, so the entry must go with the row
    db.write(() => { db.tx(() => directory(2)); throw new Error('after a nested tx') }),
    db.write(() => { directory(3); db.beforeCommit(() => { seenByHook = store.head('moi').size }) }),
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.equal(db.stats.commits - commits, 1, 'one transaction')
  t.same(serials(), [1, 3], 'no entry for the change rolled back')
  t.equal(seenByHook, 2, 'a beforeCommit hook sees the entries of the batch\'s fns')
  // Hooks' changes get their entries after the hooks ran; a hook that fails keeps none.
  await Promise.all([
    db.write(() => db.beforeCommit(() => { db.tx(() => directory(7)); throw new Error('the hook failed') })),
    db.write(() => db.beforeCommit(() => directory(8))),
  ])
  t.same(serials(), [1, 3, 8], 'the kept hook\'s entry, not the failed one\'s')
  // A tx() no transaction holds appends at its end; one nested in it that fails keeps nothing.
  db.tx(() => directory(4))
  t.same(serials(), [1, 3, 8, 4])
  t.throws(() => db.tx(() => { db.tx(() => directory(5)); throw new Error('after a nested tx') }), /after a nested tx/)
  db.tx(() => directory(6))
  t.same(serials(), [1, 3, 8, 4, 6])
  t.equal(store.pendingCount(), 0)
  t.same(verifyLog(db.sqlite).differences, [], 'every entry matches its row')
})

t.test('a node upgraded to migration 018: its existing rows get their entries at the first start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-log-upgrade-'))
  chmodSync(dir, 0o700)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'saraban.sqlite')
  const old = new Database(file)
  for (const m of MIGRATIONS.slice(0, 17)) old.exec(m.sql)
  old.pragma('user_version = 17')
  old.prepare(`INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at) VALUES (7, 0, 1, '${'a'.repeat(64)}', 'x.y.z', 500)`).run()
  old.prepare(`INSERT INTO register_entries (agency, book, year, number, recorded_at, subject) VALUES ('moi', 'receive', 2026, 1, 600, 'ก่อนอัปเกรด')`).run()
  old.close()
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600)
  const db = Db.open(file)
  t.teardown(() => db.close())
  const appender = new LeafAppender({ sqlite: db.sqlite, hosted: () => ['moi'] })
  db.afterEachWrite(appender)
  db.tx(() => undefined) // what wire/log.ts does at start
  const store = new LogStore(db.sqlite)
  t.same(store.entries('moi', 0, 9).map((e) => JSON.parse(e.entry.toString()).type), ['trust.directory', 'register.taken'])
  t.same(verifyLog(db.sqlite).differences, [], 'the upgraded database verifies')
})

t.test('a stored receipt\'s claims are read without verifying again, both families (vectors)', async (t) => {
  for (const [dir, file] of [['cms-v1', '01-valid-rsa-pkcs1.json'], ['cms-v1', '02-valid-ecdsa.json'], ['jose-v1', readdirSync(new URL('../vectors/jose-v1/receipts/', import.meta.url))[0]!]] as const) {
    const v = JSON.parse(readFileSync(new URL(`../vectors/${dir}/receipts/${file}`, import.meta.url), 'utf8'))
    if (!v.expect?.claims) continue
    t.same(storedReceiptClaims(v.receipt), v.expect.claims, `${dir} ${file}`)
  }
  t.throws(() => storedReceiptClaims('bm90IGEgcmVjZWlwdA=='), /not|SignedData/, 'not a receipt: an error, so the write that stores it rolls back')
})
