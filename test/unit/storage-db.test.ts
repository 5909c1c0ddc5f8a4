// Db: pragmas, migrations, group commit, close and durability — on real SQLite files.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Db, SCHEMA_VERSION } from '../../src/storage/index.js'

const STORAGE = new URL('../../src/storage/index.ts', import.meta.url).href
const REPO = new URL('../..', import.meta.url)

function tmpFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-db-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'nested', 'saraban.sqlite') // open() must create the folder
}

function withKv(db: Db): void {
  db.sqlite.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)')
}

const put = (db: Db, k: string, v: string | Buffer = k) => () => {
  db.sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run(k, typeof v === 'string' ? Buffer.from(v) : v)
  return k
}
const count = (db: Db): number => db.sqlite.prepare('SELECT count(*) FROM kv').pluck().get() as number

/** Runs an ES module snippet in a fresh node process (tsx loaded); resolves with how it ended. */
function child(code: string, env: Record<string, string>): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.on('error', reject)
    p.on('close', (code, signal) => resolve({ code, signal, out }))
  })
}

t.test('open: creates the folder, WAL, pragmas, schema version', async (t) => {
  const file = tmpFile(t)
  const db = Db.open(file)
  t.ok(existsSync(file))
  t.equal(db.sqlite.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.sqlite.pragma('synchronous', { simple: true }), 2, 'FULL')
  t.equal(db.sqlite.pragma('foreign_keys', { simple: true }), 1)
  t.equal(db.sqlite.pragma('busy_timeout', { simple: true }), 5000)
  t.equal(db.sqlite.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  await db.close()
  const normal = Db.open(file, { synchronous: 'NORMAL' })
  t.equal(normal.sqlite.pragma('synchronous', { simple: true }), 1, 'NORMAL')
  await normal.close()
})

t.test('migrations are idempotent on reopen and refuse a newer schema', async (t) => {
  const file = tmpFile(t)
  const first = Db.open(file)
  const tables = () => first.sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all()
  const before = tables()
  await first.close()
  for (let i = 0; i < 3; i++) {
    const again = Db.open(file) // would throw "table letters already exists" if 001 ran twice
    t.same(again.sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all(), before)
    t.equal(again.sqlite.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    again.sqlite.pragma(`user_version = ${SCHEMA_VERSION + (i === 2 ? 1 : 0)}`)
    await again.close()
  }
  t.throws(() => Db.open(file), { code: 'ERR_INTERNAL' }, 'a schema from newer software is not touched')
})

t.test('group commit: 200 concurrent writes share a few transactions and all resolve after COMMIT', async (t) => {
  const db = Db.open(tmpFile(t))
  withKv(db)
  const writes = Array.from({ length: 200 }, (_, i) => db.write(put(db, `k${i}`)))
  t.equal(count(db), 0, 'nothing runs in the calling tick')
  const keys = await Promise.all(writes)
  t.same(keys, Array.from({ length: 200 }, (_, i) => `k${i}`), 'each caller gets its own result')
  t.equal(db.stats.commits, 4, 'one tick, cut into transactions of at most maxBatch (64)')
  t.equal(db.stats.largestBatch, 64)
  t.equal(db.stats.writes, 200)
  t.equal(count(db), 200)
  await db.close()
})

t.test('group commit: a batch resolves only after its COMMIT, and later callers form the next batch', async (t) => {
  const db = Db.open(tmpFile(t))
  withKv(db)
  let seen = -1
  const p = db.write(put(db, 'a')).then(() => {
    seen = db.stats.commits
    return db.write(put(db, 'b')) // queued from a resolution: next batch
  })
  await p
  t.equal(seen, 1, 'the promise resolved after the commit was counted')
  t.equal(db.stats.commits, 2)
  await db.close()
})

t.test('group commit: maxBatch caps a transaction; the rest follow in order', async (t) => {
  const db = Db.open(tmpFile(t), { maxBatch: 50 })
  withKv(db)
  const order: number[] = []
  await Promise.all(Array.from({ length: 200 }, (_, i) => db.write(() => order.push(i))))
  t.equal(db.stats.commits, 4)
  t.equal(db.stats.largestBatch, 50)
  t.same(order, Array.from({ length: 200 }, (_, i) => i), 'first queued, first run')
  await db.close()
})

t.test('group commit: a failing fn rolls back only itself and rejects only its own promise', async (t) => {
  const db = Db.open(tmpFile(t))
  withKv(db)
  const results = await Promise.allSettled([
    db.write(put(db, 'a')),
    db.write(() => {
      put(db, 'half')() // written, then rolled back to the savepoint
      throw new Error('boom')
    }),
    db.write(put(db, 'a')), // UNIQUE violation: an SQLite error
    db.write(() => Promise.resolve(1)), // async fns are refused
    db.write(put(db, 'b')),
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled'])
  t.match((results[1] as PromiseRejectedResult).reason, { message: 'boom' })
  t.match((results[2] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
  t.type((results[3] as PromiseRejectedResult).reason, TypeError)
  t.same(db.sqlite.prepare('SELECT k FROM kv ORDER BY k').pluck().all(), ['a', 'b'])
  t.equal(db.stats.commits, 1)
  t.equal(db.stats.failed, 3)
  await db.close()
})

t.test('group commit: a batch that cannot start or commit rejects every caller and stores nothing', async (t) => {
  const file = tmpFile(t)
  const db = Db.open(file, { busyTimeoutMs: 50 })
  withKv(db)
  // another process holds the write lock past busy_timeout: BEGIN IMMEDIATE fails
  const other = new Database(file)
  other.exec('BEGIN IMMEDIATE')
  const busy = await Promise.allSettled([db.write(put(db, 'a')), db.write(put(db, 'b'))])
  t.same(busy.map((r) => r.status), ['rejected', 'rejected'])
  t.match((busy[0] as PromiseRejectedResult).reason, { code: 'SQLITE_BUSY' })
  other.exec('ROLLBACK')
  other.close()

  // a deferred foreign key is only checked at COMMIT: the COMMIT fails, the batch is rolled back
  db.sqlite.exec('CREATE TABLE child (p TEXT REFERENCES kv (k) DEFERRABLE INITIALLY DEFERRED)')
  const atCommit = await Promise.allSettled([
    db.write(put(db, 'c')),
    db.write(() => db.sqlite.prepare("INSERT INTO child (p) VALUES ('nobody')").run()),
  ])
  t.same(atCommit.map((r) => r.status), ['rejected', 'rejected'])
  t.match((atCommit[0] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })
  t.equal(db.sqlite.inTransaction, false)
  t.equal(count(db), 0)
  t.equal(db.stats.commits, 0)
  t.equal(await db.write(put(db, 'd')), 'd', 'and the next batch works')
  await db.close()
})

t.test('group commit: when SQLite aborts the whole transaction, earlier fns reject, later ones run next turn', async (t) => {
  const db = Db.open(tmpFile(t))
  withKv(db)
  const results = await Promise.allSettled([
    db.write(put(db, 'before')),
    db.write(() => {
      db.sqlite.exec('ROLLBACK') // what SQLite may do itself on SQLITE_FULL or SQLITE_IOERR
      throw new Error('disk full')
    }),
    db.write(put(db, 'after')),
  ])
  t.same(results.map((r) => r.status), ['rejected', 'rejected', 'fulfilled'])
  t.match((results[0] as PromiseRejectedResult).reason, { code: 'ERR_INTERNAL' })
  t.match((results[1] as PromiseRejectedResult).reason, { message: 'disk full' })
  t.same(db.sqlite.prepare('SELECT k FROM kv').pluck().all(), ['after'])
  t.equal(db.stats.commits, 1)
  await db.close()
})

t.test('tx(): synchronous immediate transaction, nested as a savepoint inside write()', async (t) => {
  const db = Db.open(tmpFile(t))
  withKv(db)
  t.equal(db.tx(put(db, 'now')), 'now')
  t.equal(count(db), 1)
  t.throws(() => db.tx(() => { put(db, 'gone')(); throw new Error('no') }), { message: 'no' })
  t.equal(count(db), 1, 'rolled back')
  await db.write(() => {
    t.throws(() => db.tx(() => { put(db, 'inner')(); throw new Error('inner') }))
    put(db, 'outer')()
  })
  t.same(db.sqlite.prepare('SELECT k FROM kv ORDER BY k').pluck().all(), ['now', 'outer'])
  await db.close()
})

t.test('close() flushes queued writes; later writes reject', async (t) => {
  const file = tmpFile(t)
  const db = Db.open(file, { maxBatch: 7 })
  withKv(db)
  const pending = Array.from({ length: 20 }, (_, i) => db.write(put(db, `q${i}`)))
  await db.close() // in the same tick: nothing had been committed yet
  t.equal((await Promise.all(pending)).length, 20)
  await t.rejects(db.write(() => 1), { code: 'ERR_INTERNAL' })
  t.throws(() => db.tx(() => 1), { code: 'ERR_INTERNAL' })
  await db.close() // twice is fine
  const again = Db.open(file)
  t.equal(count(again), 20)
  await again.close()
})

t.test('data survives reopen: write, close, reopen, blobs byte-exact', async (t) => {
  const file = tmpFile(t)
  const blob = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff))
  const db = Db.open(file)
  withKv(db)
  void db.write(put(db, 'blob', blob))
  await db.close()
  const again = Db.open(file)
  const got = again.sqlite.prepare('SELECT v FROM kv WHERE k = ?').pluck().get('blob') as Buffer
  t.ok(Buffer.isBuffer(got))
  t.ok(got.equals(blob))
  await again.close()
})

/** A child process opens `file` with `opts`, resolves 50 writes of 1 000 bytes (k0…k49), prints
 *  'committed' and kills itself with SIGKILL (no close). */
function killedAfterWrites(file: string, opts: Record<string, unknown> = {}) {
  const code = `
    const { Db } = await import(${JSON.stringify(STORAGE)})
    const db = Db.open(process.env.DB_FILE, ${JSON.stringify(opts)})
    db.sqlite.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)')
    const ins = db.sqlite.prepare('INSERT INTO kv (k, v) VALUES (?, ?)')
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.write(() => ins.run('k' + i, Buffer.alloc(1000, i)))))
    process.stdout.write('committed\\n')
    process.kill(process.pid, 'SIGKILL')
  `
  return child(code, { DB_FILE: file })
}

t.test('a resolved write survives the process being killed (no close, SIGKILL)', async (t) => {
  const file = tmpFile(t)
  const r = await killedAfterWrites(file)
  t.equal(r.out, 'committed\n')
  t.equal(r.signal, 'SIGKILL')
  t.ok(existsSync(file + '-wal'), 'the WAL was left behind, not checkpointed by a clean close')
  const db = Db.open(file)
  t.equal(count(db), 50)
  t.ok((db.sqlite.prepare("SELECT v FROM kv WHERE k = 'k49'").pluck().get() as Buffer).equals(Buffer.alloc(1000, 49)))
  await db.close()
})

t.test("durableSync 'threadpool' (issue 16 item 1): a batch commits with NORMAL, its callers learn of it only after the WAL sync off the loop", async (t) => {
  const file = tmpFile(t)
  const db = Db.open(file, { durableSync: 'threadpool' })
  withKv(db)
  const sync = () => db.sqlite.pragma('synchronous', { simple: true })
  const order: string[] = []
  let inBatch: unknown
  const writes = Array.from({ length: 100 }, (_, i) => db.write(() => {
    if (i === 0) {
      inBatch = sync()
      // Runs in the next turn: before the callers, since they wait for the fdatasync in the thread pool.
      setImmediate(() => order.push('next turn'))
      db.afterCommit(() => order.push('afterCommit'))
    }
    return put(db, `k${i}`, Buffer.alloc(2000, i))()
  }).then((k) => (i === 0 ? order.push('resolved') : 0, k)))
  t.same(await Promise.all(writes), Array.from({ length: 100 }, (_, i) => `k${i}`))
  t.equal(inBatch, 1, 'NORMAL inside the batch: its COMMIT does not fsync on the loop')
  t.equal(sync(), 2, 'FULL outside a batch (tx(), single statements)')
  t.same(order, ['next turn', 'afterCommit', 'resolved'], 'callbacks and callers wait for the sync')
  // Batches that commit while a sync is in flight wait for the next one; all resolve, all stored.
  await Promise.all(Array.from({ length: 5 }, async (_, b) => {
    for (let i = 0; i < 20; i++) await db.write(put(db, `b${b}-${i}`))
  }))
  t.equal(count(db), 200)
  await db.close()
  const again = Db.open(file)
  t.equal(count(again), 200, 'everything there after close and reopen')
  await again.close()
})

t.test("durableSync 'threadpool': a resolved write survives the process being killed (no close, SIGKILL)", async (t) => {
  const file = tmpFile(t)
  const r = await killedAfterWrites(file, { durableSync: 'threadpool' })
  t.equal(r.out, 'committed\n')
  t.equal(r.signal, 'SIGKILL')
  const db = Db.open(file)
  t.equal(count(db), 50)
  await db.close()
})

// Issue 13 §1: letters in plaintext and content keys live here: folder 0700, files 0600 whatever the
// umask; a folder or database others can read is refused with the command that fixes it.
t.test('the data folder is 0700 and its files 0600, whatever the umask; an open folder is refused', { skip: process.platform === 'win32' }, async (t) => {
  const { statSync, chmodSync, writeFileSync } = await import('node:fs')
  const { writeAtomic } = await import('../../src/services/sources/kept-copy.js')
  const file = tmpFile(t)
  const old = process.umask(0o022)
  t.teardown(() => { process.umask(old) })
  const mode = (p: string) => statSync(p).mode & 0o777
  const db = Db.open(file)
  withKv(db)
  await db.write(put(db, 'a'))
  const dir = join(file, '..')
  t.equal(mode(dir), 0o700, 'the folder')
  for (const f of [file, `${file}-wal`, `${file}-shm`]) t.equal(mode(f), 0o600, f)
  writeAtomic(join(dir, 'trust', 'directory.jws'), Buffer.from('x'))
  t.equal(mode(join(dir, 'trust')), 0o700, 'the trust cache folder')
  t.equal(mode(join(dir, 'trust', 'directory.jws')), 0o600, 'a kept copy')
  await db.close()

  chmodSync(dir, 0o755)
  t.throws(() => Db.open(file), { code: 'ERR_CONFIG_INVALID', message: /chmod 700/ }, 'a folder others can read is refused')
  chmodSync(dir, 0o700)
  chmodSync(file, 0o644)
  t.throws(() => Db.open(file), { code: 'ERR_CONFIG_INVALID', message: /chmod 600/ }, 'a database others can read is refused')
  chmodSync(file, 0o600)
  writeFileSync(join(dir, 'x'), '')
  const again = Db.open(file)
  await again.close()
})

// Issue 19 item 2: several processes of one node keep the same trust documents in one folder at once
// (they start together). With one shared temporary name, one's rename took the file from under another's
// write, and that process stopped at start (seen in CI: "cannot read …crl-….crl.tmp").
t.test('kept copies written by four processes at once: every write lands, one whole copy is left, no temporary', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs')
  const dir = mkdtempSync(join(tmpdir(), 'saraban-kept-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'trust', 'crl-1.crl')
  const src = new URL('../../src/services/sources/kept-copy.ts', import.meta.url).href
  const run = (n: number) => new Promise<number | null>((resolve) => {
    const code = `import { writeAtomic } from '${src}'
      for (let i = 0; i < 300; i++) writeAtomic(${JSON.stringify(file)}, Buffer.alloc(4096, ${n}))`
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: new URL('../..', import.meta.url), stdio: 'inherit' })
    p.on('exit', resolve)
  })
  t.same(await Promise.all([1, 2, 3, 4].map(run)), [0, 0, 0, 0], 'no process failed a write')
  const left = readFileSync(file)
  t.ok(left.length === 4096 && [1, 2, 3, 4].includes(left[0]!) && left.every((b) => b === left[0]), 'one whole copy of one writer')
  t.same(readdirSync(join(dir, 'trust')), ['crl-1.crl'], 'no temporary file left')
})
