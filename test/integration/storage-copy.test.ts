// `saraban-node storage copy` (issue 19 §4) and `migrate` on PostgreSQL (§1), against a real private
// PostgreSQL cluster: two nodes exchange letters over real mTLS (delivered, registered with an
// acceptance notice back, rejected; register numbers taken and one cancelled), stop, and the CLI copies
// each node's SQLite file into an empty database. Then: every table holds the same rows; the copy
// appended nothing to the log (its triggers were off) and the triggers work again afterwards; identity
// ids go on after SQLite's last; and each refusal (a target not empty, a log entry changed in the
// source, a source at an older migration, an unreachable server) commits nothing and says what to do.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet } from '../helpers/nodes.js'
import { postgresMissing, startCluster, type TestCluster } from '../helpers/postgres.js'
import { connectClient, type PgClient } from '../../src/storage/postgresql/connect.js'
import { MIGRATIONS, POSTGRESQL_BASELINE, SCHEMA_VERSION } from '../../src/storage/migrations/index.js'

const MAIN = join(import.meta.dirname, '../../src/main.ts')
const missing = postgresMissing()

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 170_000, env: { ...process.env, LOG_LEVEL: 'silent', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 99, stdout, stderr }))
  })
}

t.test('storage copy and migrate on PostgreSQL', missing !== undefined ? { skip: missing } : {}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'saraban-storage-copy-'))
  let net: TestNet | undefined
  let cluster: TestCluster | undefined
  const clients: PgClient[] = []
  t.teardown(async () => {
    for (const c of clients) await c.end().catch(() => {})
    await net?.stop()
    cluster?.stop()
    rmSync(work, { recursive: true, force: true })
  })
  cluster = startCluster()
  /** The first row of a query on a database of the cluster (one connection per database, kept). */
  const open = new Map<string, PgClient>()
  const one = async (url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown> | undefined> => {
    let c = open.get(url)
    if (c === undefined) {
      c = await connectClient({ url })
      clients.push(c)
      open.set(url, c)
    }
    return (await c.query(text, values)).rows[0]
  }

  net = await testNet(['moi', 'mof'])
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const cfg = JSON.parse(readFileSync(moi.configFile, 'utf8'))
  cfg.agencies[0].ownerCode = 'มท 0201.2' // the send book numbers letters
  writeFileSync(moi.configFile, JSON.stringify(cfg))
  await moi.start()
  await mof.start()
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `เรื่องที่ ${i}` }) })
    t.equal(sent.status, 202, 'letter accepted')
    ids.push(sent.body.id)
  }
  const mids: string[] = []
  for (const id of ids) mids.push((await waitForRecipient(moi, id, 'delivered')).recipients[0].messageId)
  t.equal((await call(mof, 'POST', `/api/v1/inbox/${mids[0]}/register`, { action: 'เสนอปลัด' })).status, 200, 'registered')
  t.equal((await call(mof, 'POST', `/api/v1/inbox/${mids[1]}/reject`, { reasonCode: 'other', reason: 'ส่งผิดหน่วยงาน' })).status, 200, 'rejected')
  await waitFor('the notices delivered', async () => {
    const states = await Promise.all(ids.slice(0, 2).map(async (id) => (await call(moi, 'GET', `/api/v1/letters/${id}`)).body.recipients[0].state))
    return states.join() === 'accepted,rejected' ? true : undefined
  })
  const taken = await call(moi, 'POST', '/api/v1/registers/send/numbers', { subject: 'ยกเลิก' })
  t.equal((await call(moi, 'POST', `/api/v1/registers/send/entries/${taken.body.year}/${taken.body.number}/cancel`, { reason: 'ออกเลขซ้ำ' })).status, 200, 'number cancelled')
  const dirs = { moi: moi.ctx!.config.dataDir, mof: mof.ctx!.config.dataDir }
  const copies = new Map<string, string>()
  await moi.stop()
  await mof.stop()

  for (const [id, dir] of Object.entries(dirs)) {
    const url = cluster.createDatabase(`copy_${id}`)
    copies.set(id, url)
    const r = await cli(['storage', 'copy', '--from', dir, '--to', url])
    t.equal(r.code, 0, `${id}: copied (${r.stderr.trim()})`)
    t.match(r.stdout, /compared row for row; 1 transparency log\(s\) rebuilt and matching their heads and checkpoints/, `${id}: says what it verified`)

    // every table's rows, counted on both sides, and the log head byte for byte
    const src = new Database(join(dir, 'saraban.sqlite'), { readonly: true })
    src.defaultSafeIntegers(true)
    const tables = src.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'`).pluck().all() as string[]
    const differ: string[] = []
    let rows = 0n
    for (const table of tables) {
      const mine = src.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as bigint
      const theirs = await one(url, `SELECT count(*)::bigint AS n FROM "${table}"`)
      if (theirs?.['n'] !== mine) differ.push(`${table}: ${mine} vs ${String(theirs?.['n'])}`)
      rows += mine
    }
    t.same(differ, [], `${id}: every table has as many rows in PostgreSQL (${rows} rows in ${tables.length} tables)`)
    t.ok(rows > 30n, `${id}: the node had a history to copy`)
    const head = src.prepare('SELECT size, root FROM log_heads').get() as { size: bigint; root: Buffer }
    const pgHead = await one(url, 'SELECT size, root FROM log_heads')
    t.equal(pgHead?.['size'], head.size, `${id}: log size ${head.size}`)
    t.ok((pgHead?.['root'] as Buffer).equals(head.root), `${id}: log root equal`)
    const pending = await one(url, 'SELECT count(*)::bigint AS n FROM log_pending')
    t.equal(pending?.['n'], 0n, `${id}: the copy appended nothing to the log (its triggers were off)`)
    const version = await one(url, 'SELECT max(version) AS v FROM saraban_schema')
    t.equal(version?.['v'], BigInt(SCHEMA_VERSION), `${id}: at migration ${SCHEMA_VERSION}`)
    if (id === 'moi') {
      // identity ids go on after the last one SQLite handed out, and the log's triggers are back on
      const last = src.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck().get() as bigint
      const ev = await one(url, `INSERT INTO events (agency, type, at) VALUES ('moi', 'test.event', 1) RETURNING id`)
      t.ok((ev?.['id'] as bigint) > last, `a new event id (${String(ev?.['id'])}) follows SQLite's last (${last})`)
      const added = await one(url, `INSERT INTO register_entries (agency, book, year, number, recorded_at, subject) SELECT agency, book, year, number + 1000, recorded_at, 'after the copy' FROM register_entries ORDER BY year DESC, number DESC LIMIT 1 RETURNING number`)
      t.ok(added !== undefined, 'a register entry is written after the copy')
      const after = await one(url, 'SELECT count(*)::bigint AS n FROM log_pending')
      t.ok((after?.['n'] as bigint) > 0n, 'a register entry written after the copy leaves its pending log row (triggers re-enabled)')
    }
    src.close()
  }

  // refused: a target that already holds records; nothing in it changes
  const again = await cli(['storage', 'copy', '--from', dirs.mof, '--to', cluster.url('copy_mof')])
  t.equal(again.code, 1, 'a second copy into the same database is refused')
  t.match(again.stderr, /already holds records \(table [a-z_]+\): copy into an empty database/, 'and says what to do')

  // a changed log entry in the source: found by the rebuilt tree, nothing committed
  const forged = join(work, 'forged')
  mkdirSync(forged, { mode: 0o700 })
  copyFileSync(join(dirs.mof, 'saraban.sqlite'), join(forged, 'saraban.sqlite'))
  const f = new Database(join(forged, 'saraban.sqlite'))
  f.prepare(`UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'mof', 'moF') AS BLOB) WHERE idx = 1`).run()
  f.close()
  const forgedUrl = cluster.createDatabase('copy_forged')
  const bad = await cli(['storage', 'copy', '--from', forged, '--to', forgedUrl])
  t.equal(bad.code, 1, 'a source whose log entry was changed is refused')
  t.match(bad.stderr, /entry 1's leaf hash does not match its bytes; no record was committed/, 'naming the entry')
  const none = await one(forgedUrl, 'SELECT count(*)::bigint AS n FROM log_entries')
  t.equal(none?.['n'], 0n, 'and the target holds none of it (one transaction)')

  // a target that does not give back what it was given (a column of another type, as a hand-made
  // schema or a lossy driver would have): the comparison finds it, nothing committed
  const lossyUrl = cluster.createDatabase('copy_lossy')
  const lossyCfg = join(dirname(mof.configFile), 'node-lossy.json')
  writeFileSync(lossyCfg, JSON.stringify({ ...JSON.parse(readFileSync(mof.configFile, 'utf8')), storage: { engine: 'postgresql' } }))
  t.equal((await cli(['migrate', '--config', lossyCfg], { SARABAN_POSTGRESQL_URL: lossyUrl })).code, 0, 'target migrated first')
  cluster.psql('copy_lossy', 'ALTER TABLE letters ALTER COLUMN created_at TYPE double precision') // takes every value, gives back another type
  const lossy = await cli(['storage', 'copy', '--from', dirs.moi, '--to', lossyUrl])
  t.equal(lossy.code, 1, 'a copy that does not read back equal is refused')
  t.match(lossy.stderr, /table letters differs after the copy at row 1 \(key id=[^)]+\): column created_at; no record was committed/, 'naming the table, row and column')
  const kept = await one(lossyUrl, 'SELECT count(*)::bigint AS n FROM letters')
  t.equal(kept?.['n'], 0n, 'and nothing of it stays')

  // a source at an older migration
  const old = join(work, 'old')
  mkdirSync(old, { mode: 0o700 })
  copyFileSync(join(dirs.mof, 'saraban.sqlite'), join(old, 'saraban.sqlite'))
  const o = new Database(join(old, 'saraban.sqlite'))
  o.pragma(`user_version = ${SCHEMA_VERSION - 1}`)
  o.close()
  const older = await cli(['storage', 'copy', '--from', old, '--to', cluster.createDatabase('copy_old')])
  t.equal(older.code, 1, 'a source at an older migration is refused')
  t.match(older.stderr, /run saraban-node migrate on that node \(storage\.engine sqlite\) first/, 'saying what to run')

  const tables = (() => {
    const d = new Database(join(dirs.moi, 'saraban.sqlite'), { readonly: true })
    try {
      return d.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'`).pluck().all() as string[]
    } finally {
      d.close()
    }
  })()
  // killed in the middle (SIGKILL once it reported its first table, so its transaction holds rows): the
  // target keeps nothing, and a second run copies everything
  const killedUrl = cluster.createDatabase('copy_killed')
  const killed = await new Promise<{ signal: NodeJS.Signals | null; said: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'storage', 'copy', '--from', dirs.moi, '--to', killedUrl], { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'ignore'] })
    let said = ''
    child.stdout.on('data', (d: Buffer) => {
      said += d.toString()
      if (/^copied [a-z_]+: \d+ rows$/m.test(said)) child.kill('SIGKILL')
    })
    child.on('exit', (_code, signal) => resolve({ signal, said }))
  })
  t.equal(killed.signal, 'SIGKILL', `killed after "${killed.said.trim().split('\n')[0]}"`)
  await waitFor('the killed session to end', async () => (await one(cluster.url('postgres'), `SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE datname = 'copy_killed'`))?.['n'] === 0n ? true : undefined)
  const reported = /^copied ([a-z_]+): (\d+) rows$/m.exec(killed.said)!
  t.ok(Number(reported[2]) > 0, `it had inserted ${reported[2]} rows into ${reported[1]} when killed`)
  const leftRows = await one(killedUrl, `SELECT count(*)::bigint AS n FROM "${reported[1]}"`)
  t.equal(leftRows?.['n'], 0n, `the killed copy left none of them in ${reported[1]}`)
  const holding: string[] = []
  for (const table of tables) if ((await one(killedUrl, `SELECT EXISTS (SELECT 1 FROM "${table}") AS e`))?.['e'] === true) holding.push(table)
  t.same(holding, [], 'nor in any other table (only the migration, committed before the copy began, is there)')
  const rerun = await cli(['storage', 'copy', '--from', dirs.moi, '--to', killedUrl])
  t.equal(rerun.code, 0, `and a second run copies it all (${rerun.stderr.trim()})`)

  // PostgreSQL restarted in the middle: the copy stops with a sentence, nothing stays, a rerun copies
  const restartedUrl = cluster.createDatabase('copy_restarted')
  const restarted = await new Promise<{ code: number | null; said: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'storage', 'copy', '--from', dirs.moi, '--to', restartedUrl], { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let said = '', err = '', done = false
    child.stdout.on('data', (d: Buffer) => {
      said += d.toString()
      if (!done && /^copied [a-z_]+: \d+ rows$/m.test(said)) {
        done = true
        // frozen while the server restarts, so that it cannot finish first whatever the machine's load
        child.kill('SIGSTOP')
        cluster!.restart()
        child.kill('SIGCONT')
      }
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('exit', (code) => resolve({ code, said, err }))
  })
  t.equal(restarted.code, 3, 'a copy whose server restarts under it exits 3')
  t.match(restarted.err, /the connection to PostgreSQL at .* was lost .*run the command again once it is up; no record was committed/, 'saying what to do')
  const holdingAfter: string[] = []
  for (const table of tables) if ((await one(restartedUrl, `SELECT EXISTS (SELECT 1 FROM "${table}") AS e`))?.['e'] === true) holdingAfter.push(table)
  t.same(holdingAfter, [], 'the target holds nothing of it')
  t.equal((await cli(['storage', 'copy', '--from', dirs.moi, '--to', restartedUrl])).code, 0, 'and the rerun copies it all')

  // an unreachable server: exit 3, one sentence, no password shown
  const gone = await cli(['storage', 'copy', '--from', dirs.mof, '--to', 'postgres://saraban:s3cret@localhost/x?host=/nonexistent-saraban-socket'])
  t.equal(gone.code, 3, 'an unreachable database exits 3')
  t.match(gone.stderr, /cannot reach PostgreSQL at .*is the server running/, 'saying what to check')
  t.notMatch(gone.stderr, /s3cret/, 'without the password')

  // migrate with storage.engine postgresql: creates the schema once, then nothing to do; start refuses
  const mcfg = JSON.parse(readFileSync(mof.configFile, 'utf8'))
  mcfg.storage = { engine: 'postgresql' }
  const pgConfig = join(dirname(mof.configFile), 'node-pg.json') // its relative paths are the node's
  writeFileSync(pgConfig, JSON.stringify(mcfg))
  const mUrl = cluster.createDatabase('migrated')
  const m1 = await cli(['migrate', '--config', pgConfig], { SARABAN_POSTGRESQL_URL: mUrl })
  t.equal(m1.code, 0, `migrate on PostgreSQL (${m1.stderr.trim()})`)
  t.match(m1.stdout, new RegExp(`migrated from 0 to ${SCHEMA_VERSION}`), 'from nothing to the latest migration')
  const m2 = await cli(['migrate', '--config', pgConfig], { SARABAN_POSTGRESQL_URL: mUrl })
  t.match(m2.stdout, /is at the latest migration/, 'a second run finds nothing to do')
  // several processes of one node starting together: one migrates, the others find nothing to do
  const together = cluster.createDatabase('together')
  const runs = await Promise.all([1, 2, 3].map(() => cli(['migrate', '--config', pgConfig], { SARABAN_POSTGRESQL_URL: together })))
  t.same(runs.map((r) => r.code), [0, 0, 0], 'three migrate runs at once all succeed')
  t.equal(runs.filter((r) => /migrated from 0/.test(r.stdout)).length, 1, 'exactly one of them applied the migrations')
  const applied = await one(together, 'SELECT count(*)::bigint AS n FROM saraban_schema')
  t.equal(applied?.['n'], BigInt(MIGRATIONS.filter((m) => m.version >= POSTGRESQL_BASELINE).length), 'and the baseline and each later migration are recorded once')
  // doctor with engine postgresql: the database answers at the latest migration
  const doc = await cli(['doctor', '--config', pgConfig, '--only', 'database', '--json'], { SARABAN_POSTGRESQL_URL: mUrl })
  t.equal(doc.code, 0, `doctor passes a database the node can start on (${doc.stdout.slice(0, 300)})`)
  const found = JSON.parse(doc.stdout) as { checks: { name: string; findings: { level: string; message: string }[] }[] }
  const dbFindings = found.checks.find((c) => c.name === 'database')!.findings
  t.match(dbFindings, [{ level: 'ok', message: new RegExp(`answers and is at the latest migration \\(${SCHEMA_VERSION}\\)`) }], 'saying that the database is ready')
  const docEmpty = await cli(['doctor', '--config', pgConfig, '--only', 'database', '--json'], { SARABAN_POSTGRESQL_URL: cluster.createDatabase('doctor_empty') })
  t.match(JSON.parse(docEmpty.stdout).checks[0].findings[0], { level: 'warn', message: /holds no saraban-node tables yet/, fix: /storage copy. before the first start/ }, 'an empty database: start creates the schema; copy first to move a node')
  const noUrl = await cli(['migrate', '--config', pgConfig])
  t.equal(noUrl.code, 4, 'engine postgresql without a URL is a configuration error')
  t.match(noUrl.stderr, /storage\/postgresql\/url.*SARABAN_POSTGRESQL_URL/, 'naming the key and the variable')
  // Issue 19 §4: the moved node starts on its copy, and answers with the history it had on SQLite.
  const moved = JSON.parse(readFileSync(mof.configFile, 'utf8'))
  moved.storage = { engine: 'postgresql', postgresql: { url: copies.get('mof') } }
  writeFileSync(mof.configFile, JSON.stringify(moved))
  await mof.start()
  const inbox = await call(mof, 'GET', '/api/v1/inbox?limit=10')
  t.same(new Set(inbox.body.items.map((m: { id: string }) => m.id)), new Set(mids), 'started on PostgreSQL, the node lists the letters it received on SQLite')
  const entry = await call(mof, 'POST', `/api/v1/inbox/${mids[2]}/register`, { action: 'ทราบ' })
  t.equal(entry.status, 200, `and registers one more after the copy (${JSON.stringify(entry.body).slice(0, 200)})`)
  t.equal(entry.body.registration?.number, 2, 'numbered after the one registered on SQLite')
  await mof.stop()
})
