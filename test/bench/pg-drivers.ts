// npm run bench -- --case pg-drivers: issue 19's driver choice, pg (node-postgres) against postgres (postgres.js),
// measured on the node's hot path in one run against a private PostgreSQL (test/helpers/postgres.ts: unix
// socket, cluster defaults, fsync on). Three cases per driver run:
//   store a letter — one transaction per letter as the API path writes it: INSERT letters (≈2.5 KB Thai JSON),
//     INSERT outbox_messages, INSERT outbox_envelopes (≈110 KB random bytea), UPDATE log_heads … RETURNING size,
//     INSERT log_entries, COMMIT; `concurrency` transactions in flight. The heads row serializes transactions
//     of one agency from its UPDATE to COMMIT, as the real log does (--agencies spreads the letters over more).
//   claim due — the outbox claim with leases (UPDATE … WHERE message_id IN (SELECT … FOR UPDATE SKIP LOCKED)
//     RETURNING) by `concurrency` workers until the queue is empty; fails loudly unless every row was claimed
//     exactly once.
//   read by key — one row by primary key, sequential, --reads times.
//   read an envelope — the ≈110 KB bytea by key, as the delivery worker reads it, sequential, --reads / 10 times.
// The drivers alternate (pg, postgres.js, postgres.js, pg, … : --rounds pairs) after a warm-up of each that is
// not counted, with fresh tables (TRUNCATE, CHECKPOINT) before every run; only ratios within one run mean anything.
//   npm run bench -- --case pg-drivers [--letters 2000] [--concurrency 16] [--rounds 2] [--agencies 1] [--reads 5000] [--envelope-kb 110]
//     [--drivers pg,postgres.js[,pg-named]]   (pg-named: pg with a name on every query, i.e. prepared once per connection)
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import postgres from 'postgres'
import { postgresMissing, startCluster, type TestCluster } from '../helpers/postgres.js'

export interface PgDriversOptions {
  readonly letters: number
  readonly concurrency: number
  /** Pairs of runs: each driver runs this many times, in the order A B B A A B … */
  readonly rounds: number
  readonly agencies: number
  readonly reads: number
  /** Envelope size; 110 as the node's letters, smaller to see what the bytea parameter costs each driver. */
  readonly envelopeKb: number
  /** In the order of the first round (then reversed, and so on): pg, postgres.js, and optionally pg-named. */
  readonly drivers: readonly string[]
}

/** pg-named: pg with a name on every query, so that the server prepares each statement once per connection as postgres.js does. */
type DriverName = 'pg' | 'pg-named' | 'postgres.js'
const DRIVER_NAMES: readonly DriverName[] = ['pg', 'postgres.js', 'pg-named']

interface Letter {
  readonly id: string
  readonly messageId: string
  readonly agency: string
  readonly recipient: string
  readonly json: string
  readonly envelope: Buffer
  readonly entry: Buffer
  readonly leafHash: Buffer
  readonly root: Buffer
}

/** What each case needs of a driver, written in that driver's natural style. */
interface Driver {
  storeLetter(l: Letter, now: number): Promise<void>
  /** The claimed message ids. */
  claim(now: number): Promise<string[]>
  /** The sender agency of the letter, to check the row came back. */
  readByKey(id: string): Promise<string | undefined>
  /** The envelope's bytes, as the delivery worker reads them before sending. */
  readEnvelope(messageId: string): Promise<Buffer | undefined>
  /** Opens `n` connections, so that no case pays for connecting. */
  warm(n: number): Promise<void>
  end(): Promise<void>
}

const SCHEMA = `
CREATE TABLE letters (id text PRIMARY KEY, sender_agency text NOT NULL, letter_json text NOT NULL, created_at bigint NOT NULL);
CREATE TABLE outbox_messages (
  message_id text PRIMARY KEY, letter_id text NOT NULL, recipient_agency text NOT NULL, status text NOT NULL,
  next_attempt_at bigint NOT NULL, attempts integer NOT NULL DEFAULT 0, lease_until bigint, last_error text, created_at bigint NOT NULL);
CREATE INDEX outbox_due ON outbox_messages (next_attempt_at) WHERE status = 'queued';
CREATE TABLE outbox_envelopes (message_id text PRIMARY KEY, bytes bytea NOT NULL);
CREATE TABLE log_entries (agency text NOT NULL, idx bigint NOT NULL, entry bytea NOT NULL, leaf_hash bytea NOT NULL, PRIMARY KEY (agency, idx));
CREATE TABLE log_heads (agency text PRIMARY KEY, size bigint NOT NULL, root bytea NOT NULL);
`

const CLAIM_LIMIT = 16
const LEASE_MS = 30_000

function pgDriver(url: string, max: number, named: boolean): Driver {
  const pool = new pg.Pool({ connectionString: url, max })
  // pg's own way to a prepared statement: a query config with a name (parsed once per connection).
  const q = (name: string, text: string, values: unknown[]) => (named ? { name, text, values } : { text, values })
  return {
    async storeLetter(l, now) {
      const c = await pool.connect()
      try {
        await c.query('BEGIN')
        await c.query(q('letter', 'INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES ($1, $2, $3, $4)', [l.id, l.agency, l.json, now]))
        await c.query(q('outbox',
          `INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, status, next_attempt_at, created_at) VALUES ($1, $2, $3, 'queued', $4, $4)`,
          [l.messageId, l.id, l.recipient, now],
        ))
        await c.query(q('envelope', 'INSERT INTO outbox_envelopes (message_id, bytes) VALUES ($1, $2)', [l.messageId, l.envelope]))
        const head = await c.query<{ size: string }>(q('head', 'UPDATE log_heads SET size = size + 1, root = $2 WHERE agency = $1 RETURNING size', [l.agency, l.root]))
        await c.query(q('entry', 'INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES ($1, $2, $3, $4)', [l.agency, Number(head.rows[0]!.size) - 1, l.entry, l.leafHash]))
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      } finally {
        c.release()
      }
    },
    async claim(now) {
      const r = await pool.query<{ message_id: string }>(q('claim',
        `UPDATE outbox_messages SET status = 'sending', lease_until = $1::bigint + ${LEASE_MS} WHERE message_id IN (
           SELECT message_id FROM outbox_messages WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT ${CLAIM_LIMIT} FOR UPDATE SKIP LOCKED)
         RETURNING message_id`,
        [now],
      ))
      return r.rows.map((x) => x.message_id)
    },
    async readByKey(id) {
      const r = await pool.query<{ sender_agency: string; letter_json: string }>(q('read', 'SELECT sender_agency, letter_json FROM letters WHERE id = $1', [id]))
      return r.rows[0]?.sender_agency
    },
    async readEnvelope(messageId) {
      const r = await pool.query<{ bytes: Buffer }>(q('read-envelope', 'SELECT bytes FROM outbox_envelopes WHERE message_id = $1', [messageId]))
      return r.rows[0]?.bytes
    },
    async warm(n) {
      const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()))
      await Promise.all(clients.map((c) => c.query('SELECT 1')))
      for (const c of clients) c.release()
    },
    end: () => pool.end(),
  }
}

function postgresJsDriver(url: string, max: number): Driver {
  const sql = postgres(url, { max, onnotice: () => undefined })
  return {
    async storeLetter(l, now) {
      await sql.begin(async (tx) => {
        // Pipelined: none of these four depends on another's result; the log entry needs the head's new size.
        const [, , , head] = await Promise.all([
          tx`INSERT INTO letters (id, sender_agency, letter_json, created_at) VALUES (${l.id}, ${l.agency}, ${l.json}, ${now})`,
          tx`INSERT INTO outbox_messages (message_id, letter_id, recipient_agency, status, next_attempt_at, created_at)
             VALUES (${l.messageId}, ${l.id}, ${l.recipient}, 'queued', ${now}, ${now})`,
          tx`INSERT INTO outbox_envelopes (message_id, bytes) VALUES (${l.messageId}, ${l.envelope})`,
          tx<Array<{ size: string }>>`UPDATE log_heads SET size = size + 1, root = ${l.root} WHERE agency = ${l.agency} RETURNING size`,
        ])
        await tx`INSERT INTO log_entries (agency, idx, entry, leaf_hash) VALUES (${l.agency}, ${Number(head[0]!.size) - 1}, ${l.entry}, ${l.leafHash})`
      })
    },
    async claim(now) {
      const rows = await sql<Array<{ message_id: string }>>`
        UPDATE outbox_messages SET status = 'sending', lease_until = ${now}::bigint + ${LEASE_MS} WHERE message_id IN (
          SELECT message_id FROM outbox_messages WHERE status = 'queued' AND next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT ${CLAIM_LIMIT} FOR UPDATE SKIP LOCKED)
        RETURNING message_id`
      return rows.map((x) => x.message_id)
    },
    async readByKey(id) {
      const rows = await sql<Array<{ sender_agency: string; letter_json: string }>>`SELECT sender_agency, letter_json FROM letters WHERE id = ${id}`
      return rows[0]?.sender_agency
    },
    async readEnvelope(messageId) {
      const rows = await sql<Array<{ bytes: Buffer }>>`SELECT bytes FROM outbox_envelopes WHERE message_id = ${messageId}`
      return rows[0]?.bytes
    },
    async warm(n) {
      // postgres.js connects lazily and opens another connection only while all are busy.
      await Promise.all(Array.from({ length: n }, () => sql`SELECT pg_sleep(0.05)`))
    },
    end: () => sql.end({ timeout: 5 }),
  }
}

const makeDriver = (name: DriverName, url: string, max: number): Driver => (name === 'postgres.js' ? postgresJsDriver(url, max) : pgDriver(url, max, name === 'pg-named'))

/** The letters of one run: ids fresh, contents prepared before the clock starts (random bytes cost the client CPU). */
function makeLetters(n: number, agencies: readonly string[], envelopes: readonly Buffer[], json: string): Letter[] {
  return Array.from({ length: n }, (_, i) => {
    const entry = randomBytes(600)
    const id = randomUUID()
    return {
      id,
      messageId: randomUUID(),
      agency: agencies[i % agencies.length]!,
      recipient: 'mof',
      json: json.replace('"__ID__"', JSON.stringify(id)),
      envelope: envelopes[i % envelopes.length]!,
      entry,
      leafHash: createHash('sha256').update(entry).digest(),
      root: randomBytes(32),
    }
  })
}

interface RunResult {
  driver: DriverName
  round: number
  store: { perSecond: number; msPerTx: number; p95Ms: number; cpuMsPerLetter: number }
  claim: { statementsPerSecond: number; rowsPerSecond: number; cpuMsPerRow: number }
  read: { usPerQuery: number; cpuUsPerQuery: number }
  envelope: { usPerQuery: number; cpuUsPerQuery: number }
}

function resetTables(cluster: TestCluster, db: string, agencies: readonly string[]) {
  cluster.psql(db, 'TRUNCATE letters, outbox_messages, outbox_envelopes, log_entries')
  cluster.psql(db, `DELETE FROM log_heads; INSERT INTO log_heads (agency, size, root) VALUES ${agencies.map((a) => `('${a}', 0, '\\x00')`).join(', ')}`)
  cluster.psql(db, 'VACUUM ANALYZE')
  // A checkpoint inside one driver's run would be charged to that driver alone.
  cluster.psql(db, 'CHECKPOINT')
}

async function oneRun(name: DriverName, round: number, o: PgDriversOptions, url: string, letters: Letter[]): Promise<RunResult> {
  const driver = makeDriver(name, url, o.concurrency)
  try {
    await driver.warm(o.concurrency)

    // 1. store a letter
    const lat: number[] = []
    let next = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (next < letters.length) {
        const l = letters[next++]!
        const s = performance.now()
        await driver.storeLetter(l, Date.now())
        lat.push(performance.now() - s)
      }
    }))
    const storeS = (performance.now() - t0) / 1000
    const storeCpu = process.cpuUsage(cpu0)
    lat.sort((a, b) => a - b)
    const store = {
      perSecond: letters.length / storeS,
      msPerTx: lat.reduce((a, b) => a + b, 0) / lat.length,
      p95Ms: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.95))]!,
      cpuMsPerLetter: (storeCpu.user + storeCpu.system) / 1000 / letters.length,
    }

    // 2. claim due
    const claimed: string[] = []
    let statements = 0
    const cpu1 = process.cpuUsage()
    const t1 = performance.now()
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      for (;;) {
        const ids = await driver.claim(Date.now())
        statements++
        if (ids.length === 0) return
        claimed.push(...ids)
      }
    }))
    const claimS = (performance.now() - t1) / 1000
    const claimCpu = process.cpuUsage(cpu1)
    const distinct = new Set(claimed)
    const expected = new Set(letters.map((l) => l.messageId))
    const missing = [...expected].filter((m) => !distinct.has(m))
    if (claimed.length !== letters.length || distinct.size !== claimed.length || missing.length > 0) {
      throw new Error(`claim due (${name}, round ${round}): ${claimed.length} claims of ${letters.length} messages, ${distinct.size} distinct, ${claimed.length - distinct.size} claimed twice, ${missing.length} never claimed`)
    }
    const claim = {
      statementsPerSecond: statements / claimS,
      rowsPerSecond: claimed.length / claimS,
      cpuMsPerRow: (claimCpu.user + claimCpu.system) / 1000 / claimed.length,
    }

    // 3. read by key
    let bad = 0
    const cpu2 = process.cpuUsage()
    const t2 = performance.now()
    for (let i = 0; i < o.reads; i++) {
      const l = letters[(i * 7919) % letters.length]!
      if ((await driver.readByKey(l.id)) !== l.agency) bad++
    }
    const readUs = ((performance.now() - t2) * 1000) / o.reads
    const readCpu = process.cpuUsage(cpu2)
    if (bad > 0) throw new Error(`read by key (${name}, round ${round}): ${bad} of ${o.reads} reads did not return the stored row`)
    const read = { usPerQuery: readUs, cpuUsPerQuery: (readCpu.user + readCpu.system) / o.reads }

    // 4. read an envelope (the delivery worker's read of the ≈110 KB bytea), sequential, a tenth of --reads
    const envReads = Math.max(1, Math.ceil(o.reads / 10))
    const cpu3 = process.cpuUsage()
    const t3 = performance.now()
    for (let i = 0; i < envReads; i++) {
      const l = letters[(i * 7919) % letters.length]!
      const bytes = await driver.readEnvelope(l.messageId)
      if (bytes === undefined || !bytes.equals(l.envelope)) bad++
    }
    const envUs = ((performance.now() - t3) * 1000) / envReads
    const envCpu = process.cpuUsage(cpu3)
    if (bad > 0) throw new Error(`read envelope (${name}, round ${round}): ${bad} of ${envReads} envelopes did not come back byte for byte`)
    const envelope = { usPerQuery: envUs, cpuUsPerQuery: (envCpu.user + envCpu.system) / envReads }
    return { driver: name, round, store, claim, read, envelope }
  } finally {
    await driver.end()
  }
}

/** The packages a package pulls in (runtime + installed optional), counted from node_modules. */
function transitiveDeps(name: string, from = process.cwd(), seen = new Map<string, string>()): Map<string, string> {
  const candidates = [join(from, 'node_modules', name, 'package.json'), join(process.cwd(), 'node_modules', name, 'package.json')]
  const file = candidates.find((f) => existsSync(f))
  if (file === undefined) return seen
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
  for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) {
    if (seen.has(dep)) continue
    const depFile = [join(file, '..', 'node_modules', dep, 'package.json'), join(process.cwd(), 'node_modules', dep, 'package.json')].find((f) => existsSync(f))
    if (depFile === undefined) continue // an optional dependency not installed here
    seen.set(dep, (JSON.parse(readFileSync(depFile, 'utf8')) as { version: string }).version)
    transitiveDeps(dep, join(file, '..'), seen)
  }
  return seen
}

function printFacts() {
  const pkg = (n: string) => JSON.parse(readFileSync(join(process.cwd(), 'node_modules', n, 'package.json'), 'utf8')) as {
    version: string; dependencies?: Record<string, string>; type?: string
  }
  console.log('\ndriver facts (from node_modules and the drivers\' own code):')
  for (const n of ['pg', 'postgres']) {
    const p = pkg(n)
    const all = transitiveDeps(n)
    console.log(`  ${n} ${p.version}: ${Object.keys(p.dependencies ?? {}).length} direct dependencies, ${all.size} installed in all${all.size ? ` (${[...all.keys()].join(', ')})` : ''}`)
  }
  const facts: Array<[string, string, string]> = [
    ['module format', 'CommonJS, with an ESM wrapper (esm/index.mjs)', 'ESM (type: module; this version ships no CJS build)'],
    ['TLS', 'yes (ssl: true | tls.connect options)', 'yes (ssl: sslmode string | tls.connect options; sslnegotiation direct)'],
    ['LISTEN/NOTIFY', 'yes, on a dedicated Client: client.on(\'notification\'); reconnect and re-LISTEN are ours to write', 'yes, sql.listen(channel, fn) on its own connection, re-LISTENs after reconnecting; sql.notify'],
    ['COPY', 'protocol hooks only; needs the pg-copy-streams package', 'built in: sql`COPY … FROM STDIN`.writable(), `COPY … TO STDOUT`.readable()'],
    ['bigint (int8)', 'returned as string; BigInt parameters sent as text; pg.types.setTypeParser(20, …) to change', 'returned as string; types: { bigint: postgres.BigInt } to get BigInt; BigInt parameters typed int8'],
    ['bytea parameters', 'Buffer sent in binary format (110 KB on the wire for a 110 KB envelope); results come back as hex text with both drivers', 'Buffer sent as hex text (types.js: \'\\\\x\' + hex): twice the bytes, hex-encoded by the client and decoded by the server'],
    ['pipelining', 'no: a client sends the next query after the previous completes', 'yes: queries on one connection are pipelined (inside sql.begin too)'],
    ['prepared statements', 'only when a query is given a name: the pg runs here send unnamed statements (parsed and planned every time), pg-named names them', 'by default (prepare: true), per connection'],
  ]
  for (const [what, a, b] of facts) console.log(`  ${what}:\n    pg:          ${a}\n    postgres.js: ${b}`)
}

export async function pgDriversCase(o: PgDriversOptions): Promise<number> {
  const why = postgresMissing()
  if (why !== undefined) {
    console.error(`pg-drivers: cannot run: ${why}`)
    return 1
  }
  const DRIVERS = o.drivers.map((d) => {
    if (!(DRIVER_NAMES as readonly string[]).includes(d)) throw new Error(`--drivers: unknown driver ${d} (known: ${DRIVER_NAMES.join(', ')})`)
    return d as DriverName
  })
  if (!DRIVERS.includes('pg') || !DRIVERS.includes('postgres.js')) throw new Error('--drivers: pg and postgres.js are both needed for the ratio')
  const agencies = Array.from({ length: o.agencies }, (_, i) => (i === 0 ? 'moi' : `agency${i}`))
  const letterObject = {
    id: '__ID__', kind: 'EXTERNAL', date: '2026-11-25', subject: 'การทดสอบประสิทธิภาพการรับส่งหนังสือราชการ',
    salutation: 'เรียน ปลัดกระทรวงการคลัง', recipients: [{ agency: 'mof' }],
    body: 'ด้วยกระทรวงมหาดไทยขอแจ้งแนวทางการปฏิบัติงานสารบรรณอิเล็กทรอนิกส์ให้ทราบและถือปฏิบัติ '.repeat(8),
    closing: 'ขอแสดงความนับถือ', signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
  }
  const json = JSON.stringify(letterObject)
  // Random envelopes (ciphertext does not compress); a set of 64 reused so that making them stays out of the timing.
  const envelopes = Array.from({ length: 64 }, () => randomBytes(o.envelopeKb * 1024))
  console.log(`saraban-node bench — PostgreSQL drivers: ${o.letters} letters per run (${Buffer.byteLength(json) + 36} B JSON, ${envelopes[0]!.length} B envelope, 600 B log entry), ` +
    `concurrency ${o.concurrency}, ${o.agencies} agenc${o.agencies === 1 ? 'y' : 'ies'} (log heads), ${o.reads} reads; each driver ${o.rounds} run${o.rounds > 1 ? 's' : ''}`)

  const cluster = startCluster()
  try {
    const url = cluster.createDatabase('bench')
    cluster.psql('bench', SCHEMA)
    const settings = cluster.psql('bench', `SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_wal_size', 'server_version')`).trim()
    console.log(`  server: ${settings}`)

    // Half a run each: the first writes also create the WAL segments that later runs recycle, which made the first
    // counted run up to twice as slow as the last with a warm-up of a tenth.
    const warmLetters = Math.max(200, Math.ceil(o.letters / 2))
    for (const d of DRIVERS) {
      resetTables(cluster, 'bench', agencies)
      await oneRun(d, 0, { ...o, reads: Math.min(o.reads, 500) }, url, makeLetters(warmLetters, agencies, envelopes, json))
      console.log(`  warm-up ${d}: ${warmLetters} letters (not counted)`)
    }

    const results: RunResult[] = []
    const order: DriverName[] = []
    for (let i = 0; i < o.rounds; i++) order.push(...(i % 2 === 0 ? DRIVERS : [...DRIVERS].reverse()))
    for (const [i, d] of order.entries()) {
      resetTables(cluster, 'bench', agencies)
      const r = await oneRun(d, i + 1, o, url, makeLetters(o.letters, agencies, envelopes, json))
      results.push(r)
      console.log(`  run ${i + 1} ${d.padEnd(11)} store ${r.store.perSecond.toFixed(0)} letters/s (${r.store.msPerTx.toFixed(2)} ms/tx, p95 ${r.store.p95Ms.toFixed(2)}, CPU ${r.store.cpuMsPerLetter.toFixed(3)} ms/letter)` +
        ` · claim ${r.claim.rowsPerSecond.toFixed(0)} rows/s (${r.claim.statementsPerSecond.toFixed(0)} claims/s) · read ${r.read.usPerQuery.toFixed(0)} µs · envelope ${r.envelope.usPerQuery.toFixed(0)} µs`)
    }

    const rows: Array<[string, (r: RunResult) => number, number, boolean]> = [
      // label, value, decimals, higher is better
      ['store letters/s', (r) => r.store.perSecond, 0, true],
      ['store ms/tx (mean)', (r) => r.store.msPerTx, 2, false],
      ['store ms/tx (p95)', (r) => r.store.p95Ms, 2, false],
      ['store client CPU ms/letter', (r) => r.store.cpuMsPerLetter, 3, false],
      ['claim rows/s', (r) => r.claim.rowsPerSecond, 0, true],
      ['claim statements/s', (r) => r.claim.statementsPerSecond, 0, true],
      ['claim client CPU ms/row', (r) => r.claim.cpuMsPerRow, 4, false],
      ['read µs/query', (r) => r.read.usPerQuery, 1, false],
      ['read client CPU µs/query', (r) => r.read.cpuUsPerQuery, 1, false],
      ['envelope read µs/query', (r) => r.envelope.usPerQuery, 0, false],
      ['envelope client CPU µs/query', (r) => r.envelope.cpuUsPerQuery, 0, false],
    ]
    const short: Record<DriverName, string> = { pg: 'pg', 'pg-named': 'pgN', 'postgres.js': 'pjs' }
    const named = DRIVERS.includes('pg-named')
    const runCols = results.map((r) => `${r.round}:${short[r.driver]}`)
    console.log(`\n${'case'.padEnd(28)} ${runCols.map((c) => c.padStart(9)).join(' ')} | ${DRIVERS.map((d) => `mean ${short[d]}`.padStart(9)).join(' ')} ${'pjs/pg'.padStart(7)}${named ? ' pjs/pgN'.padStart(8) : ''}`)
    for (const [label, f, dp] of rows) {
      const mean = (d: DriverName) => { const rs = results.filter((r) => r.driver === d); return rs.reduce((a, r) => a + f(r), 0) / rs.length }
      const mPjs = mean('postgres.js')
      console.log(`${label.padEnd(28)} ${results.map((r) => f(r).toFixed(dp).padStart(9)).join(' ')} | ${DRIVERS.map((d) => mean(d).toFixed(dp).padStart(9)).join(' ')} ${(mPjs / mean('pg')).toFixed(2).padStart(7)}${named ? (mPjs / mean('pg-named')).toFixed(2).padStart(8) : ''}`)
    }
    console.log(`(pjs = postgres.js${named ? ', pgN = pg with named (prepared) statements' : ''}; a ratio > 1 is better for postgres.js in the rates, worse in the times and CPU)`)
    console.log('claims: every message claimed exactly once in every run (checked)')
    printFacts()
    return 0
  } finally {
    cluster.stop()
  }
}
