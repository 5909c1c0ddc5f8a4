// Crash safety as a run (issue 13 §3): letters go through the REST API of a sender node while the
// sender and the receiver processes are killed with SIGKILL at seeded random moments and restarted.
// The client behaves as a saraban system must: one Idempotency-Key per letter, and on a connection
// error, a timeout or a 5xx the same key with the same bytes again, until a 2xx. A second client
// registers what arrives (receive register, and the signed acceptance back to the sender, §18).
// After the last kill both nodes run until everything is delivered, stop with SIGTERM, and the
// databases are read directly (test/integration/crash-kill.test.ts and `npm run bench -- --case crash`).
// With `processes` > 1 each node is that many processes on one data directory (issue 19 item 2:
// several processes, one node): the peer reaches them through a TCP balancer on the node's directory
// port (real mTLS passes through it), the clients call a live one's API at random, and each kill
// takes one process of one node, restarted under the same ports (so under the same owner name).
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { verifyLog } from '../../src/services/log/verify.js'
import { Db } from '../../src/storage/db.js'
import { writeNetFiles, freePort, thaiLetter } from './nodes.js'
import { Balancer } from './balancer.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { mulberry32 } from './prng.js'
import type { Test } from 'tap'

export interface CrashRunOptions {
  readonly letters: number
  readonly kills: number
  readonly seed: number
  /** each client waits this long between two letters (spreads the letters over the kills; default 0) */
  readonly paceMs?: number
  /** parallel API clients sending letters */
  readonly concurrency?: number
  /** run dist/src/main.js instead of src/main.ts through tsx */
  readonly dist?: boolean
  /** give up waiting for delivery after this long (then the checks report what is missing) */
  readonly settleMs?: number
  readonly progress?: (line: string) => void
  /** processes per node, sharing its data directory (default 1: the node itself, no balancer) */
  readonly processes?: number
  /** Issue 19 §6: the nodes keep their records in these PostgreSQL databases (storage.engine
   *  postgresql), and `restart` (the server's) is called once, when `restartAfter` letters were accepted. */
  readonly postgresql?: { readonly sender: string; readonly receiver: string; readonly restart?: () => Promise<void>; readonly restartAfter?: number }
  /** Issue 19 §6: letters go both ways. mof sends as many to moi as moi sends to mof (markers BACK-…),
   *  its own clients beside moi's, and each node's registrar registers what arrives. */
  readonly both?: boolean
}

/** What one direction of a run left in the two databases (the letters of one sending node to the other). */
export interface DirectionReport {
  /** letters whose POST got a 2xx (every letter, since the client retries until it does) */
  readonly accepted: number
  /** letters stored by the sending node (must equal accepted: a retry never makes a second letter) */
  readonly senderLetters: number
  readonly senderLettersPerMarker: Map<string, number>
  /** inbox rows per marker at the receiving node (must be 1 for each accepted letter) */
  readonly inboxPerMarker: Map<string, number>
  readonly inboxMessages: number
  readonly undelivered: string[]
  /** message ids whose stored receipt differs between the two nodes (or is missing on one) */
  readonly receiptMismatches: string[]
  /** register books: the sending node's send book and the receiving node's receive book, numbers taken in order */
  readonly registers: { send: number[]; receive: number[] }
  /** send-register entries per letter id (must be exactly 1) and receive entries per message */
  readonly sendEntriesPerLetter: Map<string, number>
  readonly receiveEntriesPerMessage: Map<string, number>
}

/** A run's outcome: its direction moi → mof at the top level, and mof → moi under `back` when letters went both ways. */
export interface CrashReport extends DirectionReport {
  readonly seed: number
  /** `process`: which of the node's processes (0 when one per node) */
  readonly kills: Array<{ victim: 'sender' | 'receiver'; process: number; afterMs: number; accepted: number }>
  /** POST attempts that failed (connection error, timeout, 5xx) and were retried */
  readonly retries: number
  /** answers that were neither 2xx nor retryable: must be empty */
  readonly refusals: string[]
  /** the letters mof sent back to moi (options.both) */
  readonly back?: DirectionReport
  readonly integrity: { sender: string; receiver: string }
  /** when the PostgreSQL server was restarted (ms after the start, letters accepted then) */
  readonly databaseRestart?: { afterMs: number; accepted: number }
  /** `log verify` of each database (PROTOCOL.md §20.3): every accountable row has its entry, in order */
  readonly logs: { sender: { ok: boolean; entries: number; first?: string }; receiver: { ok: boolean; entries: number; first?: string } }
  /** letters registered on arrival, in both directions */
  readonly registered: number
  /** how many times a process put back messages whose claim had run out (log event delivery.reclaimed) */
  readonly reclaimed: number
  /** how many times a process's PostgreSQL connection was made again (log event storage.reconnected) */
  readonly reconnected: number
}

const FROM = 'moi'
/** delivery.claimLeaseMs of a node run as several processes (its minimum). */
const CLAIM_LEASE_MS = 3000
/** How late the receiving node's answers come back through its balancer when it runs as several processes. */
const ANSWER_LATENCY_MS = 1500
const TO = 'mof'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const marker = (i: number, prefix = 'CRASH') => `${prefix}-${String(i).padStart(6, '0')}`

/** One node process that can be killed and restarted; its API on a fixed port. */
class Restartable {
  proc: NodeProcess | undefined
  /** log lines seen with event delivery.reclaimed (issue 19 item 2) */
  reclaimed = 0
  /** log lines seen with event storage.reconnected (PostgreSQL, issue 19 §6) */
  reconnected = 0
  constructor(readonly configFile: string, readonly apiPort: number, readonly federationPort: number, readonly dist: boolean) {}
  async start() {
    this.proc = await startNodeProcess(this.configFile, { apiPort: this.apiPort, dist: this.dist, onLog: (chunk) => {
      this.reclaimed += chunk.split('"delivery.reclaimed"').length - 1
      this.reconnected += chunk.split('"storage.reconnected"').length - 1
      // CRASH_LOG_DIR: every process's log kept, to read a failed run
      if (process.env['CRASH_LOG_DIR']) appendFileSync(join(process.env['CRASH_LOG_DIR'], `${basename(dirname(this.configFile))}-${basename(this.configFile)}.log`), chunk)
    } })
  }
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const p = this.proc
    this.proc = undefined
    if (!p) return null
    p.child.kill(signal)
    return p.exited
  }
}

/** A node: one process, or several on one data directory behind a TCP balancer on the node's port. */
class Node {
  readonly members: Restartable[] = []
  #balancer: Balancer | undefined
  constructor(readonly name: 'sender' | 'receiver', readonly configFile: string, readonly federationPort: number, readonly latencyMs: number) {}

  static async make(name: 'sender' | 'receiver', configFile: string, federationPort: number, processes: number, dist: boolean, latencyMs = 0): Promise<Node> {
    const node = new Node(name, configFile, federationPort, latencyMs)
    if (processes <= 1) {
      node.members.push(new Restartable(configFile, await freePort(), federationPort, dist))
      return node
    }
    // Same configuration, its own listeners: node-<i>.json beside node.json (relative paths hold).
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { federation: Record<string, unknown> }
    for (let i = 0; i < processes; i++) {
      const port = await freePort()
      const file = configFile.replace(/node\.json$/, `node-${i}.json`)
      writeFileSync(file, JSON.stringify({ ...config, federation: { ...config.federation, port } }, null, 2))
      node.members.push(new Restartable(file, await freePort(), port, dist))
    }
    // Round robin over the processes that run. Answers come back late (latencyMs, a slow link): the
    // peer's deliveries stay in flight long enough that a kill of one of its processes finds some,
    // whose claims the other processes then take over.
    node.#balancer = await Balancer.listen(federationPort, () => node.members.filter((m) => m.proc !== undefined).map((m) => m.federationPort), latencyMs)
    return node
  }

  /** The API port of a running process, at random (a client behind a balancer). */
  apiPort(rng: { int(n: number): number }): number {
    if (this.members.length === 1) return this.members[0]!.apiPort
    const live = this.members.filter((m) => m.proc !== undefined)
    return (live.length > 0 ? live[rng.int(live.length)]! : this.members[0]!).apiPort
  }

  start(): Promise<void[]> {
    return Promise.all(this.members.map((m) => m.start()))
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<Array<number | null>> {
    const codes = await Promise.all(this.members.map((m) => m.kill(signal)))
    if (signal === 'SIGKILL' || this.#balancer) {
      await this.#balancer?.close()
      this.#balancer = undefined
    }
    return codes
  }
}

interface Answer { status: number; body: any }

/** One HTTP call; a connection error or timeout is status 0 (the caller retries). */
async function call(port: number, key: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(20_000),
    })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch { /* not JSON */ }
    return { status: res.status, body: parsed }
  } catch {
    return { status: 0, body: undefined }
  }
}

// README "Idempotency-Key": 409 ERR_IDEMPOTENCY_IN_FLIGHT means the first request is still running.
const retryable = (s: number, code?: string) => s === 0 || s >= 500 || (s === 409 && code === 'ERR_IDEMPOTENCY_IN_FLIGHT')

export async function crashRun(opts: CrashRunOptions): Promise<CrashReport> {
  const rng = mulberry32(opts.seed)
  // Which process a client calls: its own sequence, so that the kill schedule of a seed stays the same.
  const pick = mulberry32(opts.seed + 1)
  const log = opts.progress ?? (() => {})
  // Short backoff so that deliveries resume soon after a restart; attempts high enough never to give up here.
  // BENCH_CONFIG (as in test/bench/run.ts) merges into both nodes' node.json, e.g. storage.durableSync.
  const extra = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) as Record<string, unknown> : undefined
  const processes = opts.processes ?? 1
  // Several processes: a short claim lease, and a killed process stays down past it (below), so that
  // the others take over the messages it was attempting rather than its own restart.
  const lease: Record<string, number> = processes > 1 ? { claimLeaseMs: CLAIM_LEASE_MS } : {}
  const files = await writeNetFiles([FROM, TO], { delivery: { initialBackoffMs: 100, maxBackoffMs: 1000, maxAttempts: 1000, ...lease }, logLevel: 'warn', ...(extra ? { extra } : {}) })
  const pg = opts.postgresql
  if (pg !== undefined) {
    for (const [id, url] of [[FROM, pg.sender], [TO, pg.receiver]] as const) {
      const file = files.agencies[id]!.configFile
      const config = JSON.parse(readFileSync(file, 'utf8')) as { storage?: Record<string, unknown> }
      writeFileSync(file, JSON.stringify({ ...config, storage: { ...config.storage, engine: 'postgresql', postgresql: { url } } }, null, 2))
    }
  }
  const sender = await Node.make('sender', files.agencies[FROM]!.configFile, files.agencies[FROM]!.federationPort, processes, opts.dist ?? false)
  const receiver = await Node.make('receiver', files.agencies[TO]!.configFile, files.agencies[TO]!.federationPort, processes, opts.dist ?? false, processes > 1 ? ANSWER_LATENCY_MS : 0)
  const refusals: string[] = []
  let retries = 0
  let registered = 0
  const kills: CrashReport['kills'] = []
  // One way per direction: moi → mof always, mof → moi as well with `both`.
  const way = (from: Node, to: Node, fromId: string, toId: string, prefix: string) => ({
    from, to, fromId, toId, prefix, fromKey: files.agencies[fromId]!.apiKey, toKey: files.agencies[toId]!.apiKey,
    /** marker → letter id from the 2xx answer */
    ids: new Map<string, string>(),
    next: 0,
    pending: new Set<string>(),
  })
  type Way = ReturnType<typeof way>
  const ways: Way[] = [way(sender, receiver, FROM, TO, 'CRASH')]
  if (opts.both) ways.push(way(receiver, sender, TO, FROM, 'BACK'))
  /** letters accepted so far, per direction (the slower one): what the kills and the restart wait for */
  const accepted = () => Math.min(...ways.map((w) => w.ids.size))
  const sending = () => ways.some((w) => w.next < opts.letters)

  try {
    await Promise.all([sender.start(), receiver.start()])
    const t0 = Date.now()

    // The saraban system: each letter with its own key, retried with the same key and bytes until a 2xx.
    const sendOne = async (w: Way, i: number) => {
      const body = JSON.stringify({ letter: thaiLetter([w.toId], { subject: `ทดสอบการล่ม ${marker(i, w.prefix)}` }) })
      const key = w.prefix === 'CRASH' ? `crash-${opts.seed}-${i}` : `back-${opts.seed}-${i}`
      for (let attempt = 0; ; attempt++) {
        const r = await call(w.from.apiPort(pick), w.fromKey, 'POST', '/api/v1/letters', body, { 'idempotency-key': key })
        if (r.status === 200 || r.status === 202) {
          w.ids.set(marker(i, w.prefix), r.body.id)
          return
        }
        if (!retryable(r.status, r.body?.code)) {
          refusals.push(`${marker(i, w.prefix)}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
          return
        }
        retries++
        await sleep(Math.min(1000, 50 * 2 ** attempt) + rng.int(100)) // capped exponential backoff, as a client should
      }
    }
    const senders = Promise.all(ways.flatMap((w) => Array.from({ length: opts.concurrency ?? 4 }, async () => {
      while (w.next < opts.letters) {
        await sendOne(w, w.next++)
        if (opts.paceMs) await sleep(opts.paceMs)
      }
    })))

    // The receiving saraban systems: each registers the letters that arrive at its node (receive register, §18 acceptance).
    let sendingDone = false
    let settleBy = Number.POSITIVE_INFINITY
    const registrar = async (w: Way) => {
      const done = new Set<string>()
      for (;;) {
        const list = await call(w.to.apiPort(pick), w.toKey, 'GET', '/api/v1/inbox?limit=500')
        const items: Array<{ id: string }> = list.status === 200 ? list.body.items : []
        for (const m of items) {
          if (done.has(m.id)) continue
          const r = await call(w.to.apiPort(pick), w.toKey, 'POST', `/api/v1/inbox/${m.id}/register`, '{}')
          // 409 ERR_ALREADY_REGISTERED: an earlier try was committed before its answer was lost.
          if (r.status === 200 || (r.status === 409 && r.body?.code === 'ERR_ALREADY_REGISTERED')) {
            done.add(m.id)
            registered++
          } else if (!retryable(r.status)) refusals.push(`register ${m.id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
        }
        if (sendingDone && done.size >= opts.letters) return
        if (sendingDone && list.status === 200 && items.length === done.size && Date.now() > settleBy) return
        await sleep(100)
      }
    }
    const registrars = Promise.all(ways.map(registrar))

    // Issue 19 §6: the database server restarted under the running processes, once.
    let databaseRestart: CrashReport['databaseRestart']
    const restarter = (async () => {
      if (pg?.restart === undefined) return
      while (accepted() < (pg.restartAfter ?? Math.floor(opts.letters / 2)) && sending()) await sleep(20)
      databaseRestart = { afterMs: Date.now() - t0, accepted: accepted() }
      log(`restarting PostgreSQL at ${databaseRestart.afterMs} ms, ${accepted()} letters accepted${ways.length > 1 ? ' each way' : ''}`)
      await pg.restart()
      log(`PostgreSQL is up again at ${Date.now() - t0} ms`)
    })()

    // The killer: each kill waits until a seeded number of letters has been accepted (so that kills
    // fall while letters are being sent, delivered and registered), then a seeded pause of up to
    // 300 ms; the victims alternate from a seeded first one, and each comes back after another short seeded pause.
    const firstVictim = rng.int(2)
    const thresholds = Array.from({ length: opts.kills }, () => rng.between(1, Math.max(1, opts.letters - 1))).sort((a, b) => a - b)
    for (let k = 0; k < opts.kills; k++) {
      while (accepted() < thresholds[k]! && sending()) await sleep(20)
      await sleep(rng.between(0, 300))
      const node = (k + firstVictim) % 2 === 0 ? sender : receiver // alternating, so that both die when kills ≥ 2
      const which = rng.int(node.members.length)
      const victim = node.members[which]!
      kills.push({ victim: node.name, process: which, afterMs: Date.now() - t0, accepted: accepted() })
      log(`kill ${k + 1}/${opts.kills}: ${node.name}${processes > 1 ? ` process ${which}` : ''} at ${Date.now() - t0} ms, ${accepted()} letters accepted${ways.length > 1 ? ' each way' : ''}`)
      await victim.kill('SIGKILL')
      await sleep((processes > 1 ? CLAIM_LEASE_MS : 0) + rng.between(0, 400))
      await victim.start()
    }
    await senders
    await restarter
    log(`all ${ways.map((w) => w.ids.size).join(' + ')} letters accepted (${retries} retries); waiting for delivery`)

    // Settle: every letter delivered (its sending node's view), everything registered.
    const settleMs = opts.settleMs ?? 60_000
    const end = Date.now() + settleMs
    for (const w of ways) for (const id of w.ids.values()) w.pending.add(id)
    while (ways.some((w) => w.pending.size > 0) && Date.now() < end) {
      for (const w of ways) {
        for (const id of [...w.pending]) {
          const r = await call(w.from.apiPort(pick), w.fromKey, 'GET', `/api/v1/letters/${id}`)
          if (r.status === 200 && r.body.recipients.every((x: { status: string }) => x.status === 'delivered')) w.pending.delete(id)
        }
      }
      if (ways.some((w) => w.pending.size > 0)) await sleep(200)
    }
    sendingDone = true
    settleBy = Date.now() + 5_000
    let timer: NodeJS.Timeout | undefined
    await Promise.race([registrars, new Promise((r) => (timer = setTimeout(r, Math.max(10_000, end - Date.now()))))])
    clearTimeout(timer)
    // Let the acceptance notices reach the sender before stopping (not checked: only the letters are).
    await sleep(500)
    const exits = [...await sender.kill('SIGTERM'), ...await receiver.kill('SIGTERM')]
    if (exits.some((c) => c !== 0)) refusals.push(`SIGTERM exit codes ${exits.join(', ')}`)

    const reclaimed = [...sender.members, ...receiver.members].reduce((n, m) => n + m.reclaimed, 0)
    const reconnected = [...sender.members, ...receiver.members].reduce((n, m) => n + m.reconnected, 0)
    const read = pg === undefined ? inspect(files.dir, ways.length > 1) : inspectPostgres(pg.sender, pg.receiver, ways.length > 1)
    const outcome = (w: Way) => ({ accepted: w.ids.size, undelivered: [...w.pending] })
    return {
      ...read.forward, ...outcome(ways[0]!),
      ...(read.back !== undefined ? { back: { ...read.back, ...outcome(ways[1]!) } } : {}),
      integrity: read.integrity, logs: read.logs, reconnected,
      ...(databaseRestart ? { databaseRestart } : {}), seed: opts.seed, kills, retries, refusals, registered, reclaimed,
    }
  } finally {
    await sender.kill('SIGKILL')
    await receiver.kill('SIGKILL')
    rmSync(files.dir, { recursive: true, force: true })
  }
}

/** What the stopped nodes' databases hold: each direction's letters, integrity, each log. */
interface Read {
  readonly forward: Omit<DirectionReport, 'accepted' | 'undelivered'>
  readonly back?: Omit<DirectionReport, 'accepted' | 'undelivered'>
  readonly integrity: CrashReport['integrity']
  readonly logs: CrashReport['logs']
}

/** Reads both stopped nodes' databases: rows, receipts, registers, integrity. */
function inspect(dir: string, both: boolean): Read {
  const open = (id: string) => new Database(join(dir, id, 'data', 'saraban.sqlite'), { readonly: true })
  const s = open(FROM)
  const r = open(TO)
  try {
    return inspectBoth(s, r, both, (db) => String(db.pragma('integrity_check', { simple: true })))
  } finally {
    s.close()
    r.close()
  }
}

/** The same of two PostgreSQL databases, through the node's own connection; the integrity check is
 *  amcheck's of every B-tree index (bt_index_check: its structure and order), 'ok' when none fails. */
function inspectPostgres(senderUrl: string, receiverUrl: string, both: boolean): Read {
  const s = Db.openPostgres({ url: senderUrl })
  const r = Db.openPostgres({ url: receiverUrl })
  const amcheck = (db: Database.Database): string => {
    try {
      db.exec('CREATE EXTENSION IF NOT EXISTS amcheck')
      db.prepare(`SELECT count(bt_index_check(c.oid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND c.relnamespace = 'public'::regnamespace`).get()
      return 'ok'
    } catch (err) {
      return (err as Error).message
    }
  }
  try {
    return inspectBoth(s.sqlite, r.sqlite, both, amcheck)
  } finally {
    void s.close()
    void r.close()
  }
}

function inspectBoth(s: Database.Database, r: Database.Database, both: boolean, integrity: (db: Database.Database) => string): Read {
  return {
    forward: inspectDirection(s, r, FROM, TO, 'CRASH'),
    ...(both ? { back: inspectDirection(r, s, TO, FROM, 'BACK') } : {}),
    integrity: { sender: integrity(s), receiver: integrity(r) },
    logs: { sender: logOf(s), receiver: logOf(r) },
  }
}

/** One direction: the letters `from` stored and sent, the messages `to` received from it, their receipts on
 *  both sides, `from`'s send book and `to`'s receive book. */
function inspectDirection(s: Database.Database, r: Database.Database, from: string, to: string, prefix: string): Read['forward'] {
  const count = (rows: Array<{ k: string }>) => {
    const m = new Map<string, number>()
    for (const { k } of rows) m.set(k, (m.get(k) ?? 0) + 1)
    return m
  }
  const markerOf = (json: string) => new RegExp(`${prefix}-\\d+`).exec(JSON.parse(json).subject)?.[0] ?? '?'
  // A notice's message (the §18 acceptance a registrar's register sends back) has a letters row of kind 'notice'.
  const senderRows = s.prepare(`SELECT letter_json FROM letters WHERE sender_agency = ? AND kind = 'letter'`).all(from) as Array<{ letter_json: string }>
  const inboxRows = r.prepare('SELECT message_id, letter_json, receipt FROM inbox_messages WHERE recipient_agency = ? AND sender_agency = ?').all(to, from) as Array<{ message_id: string; letter_json: string; receipt: string }>
  const sent = new Map((s.prepare(`SELECT message_id, receipt FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE m.recipient_agency = ? AND l.kind = 'letter'`).all(to) as Array<{ message_id: string; receipt: string | null }>).map((x) => [x.message_id, x.receipt]))
  const receiptMismatches: string[] = []
  for (const m of inboxRows) if (sent.get(m.message_id) !== m.receipt) receiptMismatches.push(m.message_id)
  for (const [id, receipt] of sent) if (receipt !== null && !inboxRows.some((m) => m.message_id === id)) receiptMismatches.push(id)
  const numbers = (db: Database.Database, agency: string, book: string) =>
    (db.prepare('SELECT number FROM register_entries WHERE agency = ? AND book = ? ORDER BY year, number').all(agency, book) as Array<{ number: number }>).map((x) => x.number)
  return {
    senderLetters: senderRows.length,
    senderLettersPerMarker: count(senderRows.map((x) => ({ k: markerOf(x.letter_json) }))),
    inboxPerMarker: count(inboxRows.map((x) => ({ k: markerOf(x.letter_json) }))),
    inboxMessages: inboxRows.length,
    receiptMismatches,
    registers: { send: numbers(s, from, 'send'), receive: numbers(r, to, 'receive') },
    sendEntriesPerLetter: count((s.prepare('SELECT letter_id AS k FROM register_entries WHERE agency = ? AND book = ?').all(from, 'send') as Array<{ k: string }>)),
    receiveEntriesPerMessage: count(r.prepare('SELECT message_id AS k FROM register_entries WHERE agency = ? AND book = ?').all(to, 'receive') as Array<{ k: string }>),
  }
}

/** A node's log after the run, checked against its rows as `saraban-node log verify` does. */
function logOf(db: Database.Database): { ok: boolean; entries: number; first?: string } {
  const v = verifyLog(db)
  const d = v.differences[0]
  return { ok: v.ok, entries: v.entriesChecked, ...(d === undefined ? {} : { first: JSON.stringify(d).slice(0, 300) }) }
}

/** The checks of a run with several processes per node (issue 19 §2, §6), as tap assertions; `integrity`
 *  names the engine's check (PRAGMA integrity_check, or amcheck). */
export function assertShared(t: Test, rep: CrashReport, letters: number, kills: number, integrity: string): void {
  const upTo = Array.from({ length: letters }, (_, i) => i + 1)
  t.equal(rep.kills.length, kills, 'every planned kill happened')
  t.ok(rep.kills.some((k) => k.victim === 'sender') && rep.kills.some((k) => k.victim === 'receiver'), 'a process of each node was killed')
  for (const [d, way] of directions(rep)) {
    t.equal(d.accepted, letters, `${way}: every letter got a 2xx (after retries)`)
    t.equal(d.senderLetters, letters, `${way}: no retry made a second letter, whichever process it reached`)
    t.equal(d.inboxMessages, letters, `${way}: one inbox row per letter at the receiving node`)
    t.same(d.receiptMismatches, [], `${way}: each receipt is byte-identical on both sides`)
    t.same(d.registers.send, upTo, `${way}: send register 1..n, numbered by three processes`)
    t.same(d.registers.receive, upTo, `${way}: receive register 1..n`)
  }
  t.same(rep.integrity, { sender: 'ok', receiver: 'ok' }, `${integrity} on both databases`)
  t.same([rep.logs.sender.ok, rep.logs.receiver.ok], [true, true], 'each log verifies against its rows (PROTOCOL.md §20.3)')
  t.same(crashViolations(rep, letters), [], 'no violation of any check')
}

/** The run's directions with their names and markers: moi → mof, and mof → moi when letters went both ways. */
function directions(rep: CrashReport): Array<[DirectionReport, string, string]> {
  return [[rep, `${FROM} → ${TO}`, 'CRASH'], ...(rep.back !== undefined ? [[rep.back, `${TO} → ${FROM}`, 'BACK'] as [DirectionReport, string, string]] : [])]
}

/** Every way a report can fail the issue 13 §3 checks, as sentences; empty when it holds. */
export function crashViolations(rep: CrashReport, letters: number): string[] {
  const out: string[] = [...rep.refusals]
  const gapless = (ns: number[]) => ns.every((n, i) => n === i + 1)
  for (const [d, way, prefix] of directions(rep)) {
    if (d.accepted !== letters) out.push(`${way}: ${d.accepted} of ${letters} letters got a 2xx`)
    if (d.senderLetters !== d.accepted) out.push(`${way}: sender stored ${d.senderLetters} letters for ${d.accepted} accepted`)
    for (let i = 0; i < letters; i++) {
      const m = marker(i, prefix)
      if ((d.senderLettersPerMarker.get(m) ?? 0) !== 1) out.push(`${m}: ${d.senderLettersPerMarker.get(m) ?? 0} letters at the sender`)
      if ((d.inboxPerMarker.get(m) ?? 0) !== 1) out.push(`${m}: ${d.inboxPerMarker.get(m) ?? 0} inbox rows at the receiver`)
    }
    if (d.undelivered.length) out.push(`${way}: undelivered: ${d.undelivered.join(', ')}`)
    if (d.receiptMismatches.length) out.push(`${way}: receipts differ: ${d.receiptMismatches.join(', ')}`)
    if (d.registers.send.length !== d.senderLetters || !gapless(d.registers.send)) out.push(`${way}: send register not 1..${d.senderLetters}: ${d.registers.send.join(',')}`)
    for (const [id, n] of d.sendEntriesPerLetter) if (n !== 1) out.push(`${way}: letter ${id}: ${n} send-register entries`)
    if (!gapless(d.registers.receive)) out.push(`${way}: receive register has a gap: ${d.registers.receive.join(',')}`)
    if (d.registers.receive.length !== d.inboxMessages) out.push(`${way}: receive register has ${d.registers.receive.length} entries for ${d.inboxMessages} received letters`)
    for (const [id, n] of d.receiveEntriesPerMessage) if (n !== 1) out.push(`${way}: message ${id}: ${n} receive-register entries`)
  }
  if (rep.integrity.sender !== 'ok') out.push(`sender integrity_check: ${rep.integrity.sender}`)
  if (rep.integrity.receiver !== 'ok') out.push(`receiver integrity_check: ${rep.integrity.receiver}`)
  for (const who of ['sender', 'receiver'] as const) {
    const l = rep.logs[who]
    if (!l.ok) out.push(`${who}'s log does not verify against its rows: ${l.first ?? 'no difference listed'}`)
  }
  return out
}
