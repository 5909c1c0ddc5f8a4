// npm run bench -- --case async-sqlite: issue 19 item 1's open question, measured before the stores are
// converted: what does SQLite pay when a store's statements are awaited one by one (the shape one
// interface over SQLite and PostgreSQL needs) instead of run synchronously inside the group commit?
// The transaction is pg-drivers.ts's "store a letter" (letters row, outbox row, a ≈110 KB envelope, the
// log head's UPDATE … RETURNING and a log entry), grouped as storage/db.ts groups writes: up to --batch
// letters per BEGIN IMMEDIATE … COMMIT, one SAVEPOINT per letter, WAL, synchronous FULL (an fsync per
// commit, on the event loop as today). Two ways, alternating (sync, async, async, sync, …) with fresh files:
//   sync  — each letter's function runs its statements synchronously (today's storage)
//   async — each letter's function is async and awaits every statement through a small Tx object; the
//           batch awaits the functions one after another inside its transaction (the SQLite adapter of an
//           async interface that keeps group commit)
// It prints letters/s and the process's CPU per letter; only the ratio within one run means anything.
//   npm run bench -- --case async-sqlite [--letters 4000] [--concurrency 64] [--rounds 2] [--batch 64]
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'

export interface AsyncSqliteOptions {
  readonly letters: number
  readonly concurrency: number
  readonly rounds: number
  readonly batch: number
}

const SCHEMA = `
CREATE TABLE letters (id TEXT PRIMARY KEY, sender_agency TEXT NOT NULL, letter_json TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE outbox_messages (
  message_id TEXT PRIMARY KEY, letter_id TEXT NOT NULL, recipient_agency TEXT NOT NULL, status TEXT NOT NULL,
  next_attempt_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, lease_until INTEGER, last_error TEXT, created_at INTEGER NOT NULL);
CREATE INDEX outbox_due ON outbox_messages (next_attempt_at) WHERE status = 'queued';
CREATE TABLE outbox_envelopes (message_id TEXT PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE log_entries (agency TEXT NOT NULL, idx INTEGER NOT NULL, entry BLOB NOT NULL, leaf_hash BLOB NOT NULL, PRIMARY KEY (agency, idx));
CREATE TABLE log_heads (agency TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL);
INSERT INTO log_heads VALUES ('moi', 0, x'00');
`
const SQL = {
  letter: 'INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES (?, ?, ?, ?)',
  outbox: `INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'queued', ?, ?)`,
  envelope: 'INSERT INTO outbox_envelopes (message_id, bytes) VALUES (?, ?)',
  head: 'UPDATE log_heads SET size = size + 1, root = ? WHERE agency = ? RETURNING size',
  entry: 'INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES (?, ?, ?, ?)',
} as const

interface Letter { id: string; messageId: string; json: string; envelope: Buffer; entry: Buffer; leafHash: Buffer; root: Buffer }

/** The Tx of an async storage interface, over one SQLite connection: each call runs at once and resolves. */
class SqliteTx {
  readonly #cache = new Map<string, Database.Statement>()
  constructor(private readonly db: Database.Database) {}
  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql)
    if (s === undefined) this.#cache.set(sql, (s = this.db.prepare(sql)))
    return s
  }
  async run(sql: string, params: unknown[]): Promise<number> {
    return this.#stmt(sql).run(...params).changes
  }
  async get<T>(sql: string, params: unknown[]): Promise<T | undefined> {
    return this.#stmt(sql).get(...params) as T | undefined
  }
}

type Mode = 'sync' | 'async'
interface Pending { letter: Letter; resolve: () => void; reject: (e: unknown) => void }

/** Group commit in both modes: queued writes run together in one transaction at the next turn of the loop. */
function writer(db: Database.Database, mode: Mode, maxBatch: number) {
  const tx = new SqliteTx(db)
  const s = Object.fromEntries(Object.entries(SQL).map(([k, v]) => [k, db.prepare(v)])) as Record<keyof typeof SQL, Database.Statement>
  const [begin, commit, rollback, save, release, undo] = ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK', 'SAVEPOINT w', 'RELEASE w', 'ROLLBACK TO w'].map((q) => db.prepare(q))
  const syncStore = (l: Letter, now: number) => {
    s.letter.run(l.id, 'moi', l.json, now)
    s.outbox.run(l.messageId, l.id, 'mof', now, now)
    s.envelope.run(l.messageId, l.envelope)
    const head = s.head.get(l.root, 'moi') as { size: number }
    s.entry.run('moi', head.size - 1, l.entry, l.leafHash)
  }
  const asyncStore = async (l: Letter, now: number) => {
    await tx.run(SQL.letter, [l.id, 'moi', l.json, now])
    await tx.run(SQL.outbox, [l.messageId, l.id, 'mof', now, now])
    await tx.run(SQL.envelope, [l.messageId, l.envelope])
    const head = await tx.get<{ size: number }>(SQL.head, [l.root, 'moi'])
    await tx.run(SQL.entry, ['moi', head!.size - 1, l.entry, l.leafHash])
  }
  let queue: Pending[] = []
  let running = false
  const flush = async () => {
    if (running || queue.length === 0) return
    running = true
    const batch = queue.splice(0, maxBatch)
    const ok: Pending[] = []
    begin!.run()
    try {
      for (const p of batch) {
        save!.run()
        try {
          if (mode === 'sync') syncStore(p.letter, Date.now())
          else await asyncStore(p.letter, Date.now())
          release!.run()
          ok.push(p)
        } catch (err) {
          undo!.run(); release!.run()
          p.reject(err)
        }
      }
      commit!.run()
      for (const p of ok) p.resolve()
    } catch (err) {
      if (db.inTransaction) rollback!.run()
      for (const p of ok) p.reject(err)
    } finally {
      running = false
      if (queue.length > 0) setImmediate(flush)
    }
  }
  return (letter: Letter) => new Promise<void>((resolve, reject) => {
    queue.push({ letter, resolve, reject })
    if (queue.length === 1) setImmediate(flush)
  })
}

function makeLetters(n: number, envelopes: readonly Buffer[]): Letter[] {
  const json = JSON.stringify({ subject: 'การทดสอบ'.repeat(40), body: 'ด้วยกระทรวงมหาดไทย'.repeat(60) })
  return Array.from({ length: n }, (_, i) => {
    const entry = randomBytes(600)
    return { id: randomUUID(), messageId: randomUUID(), json, envelope: envelopes[i % envelopes.length]!, entry, leafHash: createHash('sha256').update(entry).digest(), root: randomBytes(32) }
  })
}

async function runOnce(mode: Mode, opts: AsyncSqliteOptions, envelopes: readonly Buffer[]) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-async-sqlite-'))
  const db = new Database(join(dir, 'bench.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(SCHEMA)
    const store = writer(db, mode, opts.batch)
    const letters = makeLetters(opts.letters, envelopes)
    let next = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await Promise.all(Array.from({ length: opts.concurrency }, async () => {
      while (next < letters.length) await store(letters[next++]!)
    }))
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const stored = db.prepare('SELECT count(*) AS n FROM log_entries').get() as { n: number }
    if (stored.n !== opts.letters) throw new Error(`${mode}: ${stored.n} of ${opts.letters} letters stored`)
    return { perSecond: (opts.letters * 1000) / ms, cpuMsPerLetter: (cpu.user + cpu.system) / 1000 / opts.letters }
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function asyncSqliteCase(opts: AsyncSqliteOptions): Promise<number> {
  const envelopes = Array.from({ length: 8 }, () => randomBytes(110 * 1024))
  console.log(`async-sqlite: ${opts.letters} letters per run, concurrency ${opts.concurrency}, up to ${opts.batch} per commit, ${opts.rounds} round(s) of each`)
  await runOnce('sync', { ...opts, letters: Math.max(200, opts.letters / 5) }, envelopes) // warm-up, not counted
  await runOnce('async', { ...opts, letters: Math.max(200, opts.letters / 5) }, envelopes)
  const results: Record<Mode, Array<{ perSecond: number; cpuMsPerLetter: number }>> = { sync: [], async: [] }
  for (let r = 0; r < opts.rounds; r++) {
    for (const mode of (r % 2 === 0 ? ['sync', 'async'] : ['async', 'sync']) as Mode[]) {
      const x = await runOnce(mode, opts, envelopes)
      results[mode].push(x)
      console.log(`  ${mode.padEnd(5)} ${x.perSecond.toFixed(0)} letters/s, CPU ${x.cpuMsPerLetter.toFixed(3)} ms per letter`)
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const sps = mean(results.sync.map((x) => x.perSecond)), aps = mean(results.async.map((x) => x.perSecond))
  const scpu = mean(results.sync.map((x) => x.cpuMsPerLetter)), acpu = mean(results.async.map((x) => x.cpuMsPerLetter))
  console.log(`means: sync ${sps.toFixed(0)} letters/s, ${scpu.toFixed(3)} ms CPU; async ${aps.toFixed(0)} letters/s, ${acpu.toFixed(3)} ms CPU`)
  console.log(`ratio async / sync: letters/s ${((100 * aps) / sps).toFixed(0)} %, CPU per letter ${((100 * acpu) / scpu).toFixed(0)} %`)
  return 0
}
