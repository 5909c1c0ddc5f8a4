// Crash safety as a run (issue 13 §3): letters go through the REST API of a sender node while the
// sender and the receiver processes are killed with SIGKILL at seeded random moments and restarted.
// The client behaves as a saraban system must: one Idempotency-Key per letter, and on a connection
// error, a timeout or a 5xx the same key with the same bytes again, until a 2xx. A second client
// registers what arrives (receive register, and the signed acceptance back to the sender, §18).
// After the last kill both nodes run until everything is delivered, stop with SIGTERM, and the
// databases are read directly (test/integration/crash-kill.test.ts and `npm run bench -- --case crash`).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { verifyLog } from '../../src/services/log/verify.js'
import { writeNetFiles, freePort, thaiLetter } from './nodes.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { mulberry32 } from './prng.js'

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
}

export interface CrashReport {
  readonly seed: number
  readonly kills: Array<{ victim: 'sender' | 'receiver'; afterMs: number; accepted: number }>
  /** letters whose POST got a 2xx (every letter, since the client retries until it does) */
  readonly accepted: number
  /** POST attempts that failed (connection error, timeout, 5xx) and were retried */
  readonly retries: number
  /** answers that were neither 2xx nor retryable: must be empty */
  readonly refusals: string[]
  /** letters stored by the sender (must equal accepted: a retry never makes a second letter) */
  readonly senderLetters: number
  readonly senderLettersPerMarker: Map<string, number>
  /** inbox rows per marker at the receiver (must be 1 for each accepted letter) */
  readonly inboxPerMarker: Map<string, number>
  readonly undelivered: string[]
  /** message ids whose stored receipt differs between the two nodes (or is missing on one) */
  readonly receiptMismatches: string[]
  readonly integrity: { sender: string; receiver: string }
  /** `log verify` of each database (PROTOCOL.md §20.3): every accountable row has its entry, in order */
  readonly logs: { sender: { ok: boolean; entries: number; first?: string }; receiver: { ok: boolean; entries: number; first?: string } }
  /** register books: numbers taken, and whether they run 1..n without a gap */
  readonly registers: { send: number[]; receive: number[] }
  /** send-register entries per letter id (must be exactly 1) and receive entries per message */
  readonly sendEntriesPerLetter: Map<string, number>
  readonly receiveEntriesPerMessage: Map<string, number>
  readonly inboxMessages: number
  readonly registered: number
}

const FROM = 'moi'
const TO = 'mof'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const marker = (i: number) => `CRASH-${String(i).padStart(6, '0')}`

/** One node that can be killed and restarted; API calls go to its fixed port. */
class Restartable {
  proc: NodeProcess | undefined
  constructor(readonly name: string, readonly configFile: string, readonly apiPort: number, readonly dist: boolean) {}
  async start() {
    this.proc = await startNodeProcess(this.configFile, { apiPort: this.apiPort, dist: this.dist })
  }
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const p = this.proc
    this.proc = undefined
    if (!p) return null
    p.child.kill(signal)
    return p.exited
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
  const log = opts.progress ?? (() => {})
  const apiPorts = { [FROM]: await freePort(), [TO]: await freePort() }
  // Short backoff so that deliveries resume soon after a restart; attempts high enough never to give up here.
  // BENCH_CONFIG (as in test/bench/run.ts) merges into both nodes' node.json, e.g. storage.durableSync.
  const extra = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) as Record<string, unknown> : undefined
  const files = await writeNetFiles([FROM, TO], { apiPorts, delivery: { initialBackoffMs: 100, maxBackoffMs: 1000, maxAttempts: 1000 }, logLevel: 'warn', ...(extra ? { extra } : {}) })
  const sender = new Restartable('sender', files.agencies[FROM]!.configFile, apiPorts[FROM]!, opts.dist ?? false)
  const receiver = new Restartable('receiver', files.agencies[TO]!.configFile, apiPorts[TO]!, opts.dist ?? false)
  const sKey = files.agencies[FROM]!.apiKey
  const rKey = files.agencies[TO]!.apiKey
  const letterIds = new Map<string, string>() // marker → letter id from the 2xx answer
  const refusals: string[] = []
  let retries = 0
  let registered = 0
  const kills: CrashReport['kills'] = []

  try {
    await Promise.all([sender.start(), receiver.start()])
    const t0 = Date.now()

    // The saraban system: each letter with its own key, retried with the same key and bytes until a 2xx.
    let next = 0
    const sendOne = async (i: number) => {
      const body = JSON.stringify({ letter: thaiLetter([TO], { subject: `ทดสอบการล่ม ${marker(i)}` }) })
      const key = `crash-${opts.seed}-${i}`
      for (let attempt = 0; ; attempt++) {
        const r = await call(sender.apiPort, sKey, 'POST', '/api/v1/letters', body, { 'idempotency-key': key })
        if (r.status === 200 || r.status === 202) {
          letterIds.set(marker(i), r.body.id)
          return
        }
        if (!retryable(r.status, r.body?.code)) {
          refusals.push(`${marker(i)}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
          return
        }
        retries++
        await sleep(Math.min(1000, 50 * 2 ** attempt) + rng.int(100)) // capped exponential backoff, as a client should
      }
    }
    const senders = Promise.all(Array.from({ length: opts.concurrency ?? 4 }, async () => {
      while (next < opts.letters) {
        await sendOne(next++)
        if (opts.paceMs) await sleep(opts.paceMs)
      }
    }))

    // The receiving saraban system: registers each letter that arrives (receive register, §18 acceptance).
    let sendingDone = false
    let settleBy = Number.POSITIVE_INFINITY
    const done = new Set<string>()
    const registrar = (async () => {
      for (;;) {
        const list = await call(receiver.apiPort, rKey, 'GET', '/api/v1/inbox?limit=500')
        const items: Array<{ id: string }> = list.status === 200 ? list.body.items : []
        for (const m of items) {
          if (done.has(m.id)) continue
          const r = await call(receiver.apiPort, rKey, 'POST', `/api/v1/inbox/${m.id}/register`, '{}')
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
    })()

    // The killer: each kill waits until a seeded number of letters has been accepted (so that kills
    // fall while letters are being sent, delivered and registered), then a seeded pause of up to
    // 300 ms; the victims alternate from a seeded first one, and each comes back after another short seeded pause.
    const firstVictim = rng.int(2)
    const thresholds = Array.from({ length: opts.kills }, () => rng.between(1, Math.max(1, opts.letters - 1))).sort((a, b) => a - b)
    for (let k = 0; k < opts.kills; k++) {
      while (letterIds.size < thresholds[k]! && next < opts.letters) await sleep(20)
      await sleep(rng.between(0, 300))
      const victim = (k + firstVictim) % 2 === 0 ? sender : receiver // alternating, so that both die when kills ≥ 2
      kills.push({ victim: victim.name as 'sender' | 'receiver', afterMs: Date.now() - t0, accepted: letterIds.size })
      log(`kill ${k + 1}/${opts.kills}: ${victim.name} at ${Date.now() - t0} ms, ${letterIds.size} letters accepted`)
      await victim.kill('SIGKILL')
      await sleep(rng.between(0, 400))
      await victim.start()
    }
    await senders
    log(`all ${letterIds.size} letters accepted (${retries} retries); waiting for delivery`)

    // Settle: every letter delivered (sender's view), everything registered.
    const settleMs = opts.settleMs ?? 60_000
    const end = Date.now() + settleMs
    const pending = new Set(letterIds.values())
    while (pending.size > 0 && Date.now() < end) {
      for (const id of [...pending]) {
        const r = await call(sender.apiPort, sKey, 'GET', `/api/v1/letters/${id}`)
        if (r.status === 200 && r.body.recipients.every((x: { status: string }) => x.status === 'delivered')) pending.delete(id)
      }
      if (pending.size > 0) await sleep(200)
    }
    sendingDone = true
    settleBy = Date.now() + 5_000
    let timer: NodeJS.Timeout | undefined
    await Promise.race([registrar, new Promise((r) => (timer = setTimeout(r, Math.max(10_000, end - Date.now()))))])
    clearTimeout(timer)
    // Let the acceptance notices reach the sender before stopping (not checked: only the letters are).
    await sleep(500)
    const exits = [await sender.kill('SIGTERM'), await receiver.kill('SIGTERM')]
    if (exits.some((c) => c !== 0)) refusals.push(`SIGTERM exit codes ${exits.join(', ')}`)

    return { ...inspect(files.dir), seed: opts.seed, kills, accepted: letterIds.size, retries, refusals, undelivered: [...pending], registered }
  } finally {
    await sender.kill('SIGKILL')
    await receiver.kill('SIGKILL')
    rmSync(files.dir, { recursive: true, force: true })
  }
}

/** Reads both stopped nodes' databases: rows, receipts, registers, integrity. */
function inspect(dir: string) {
  const open = (id: string) => new Database(join(dir, id, 'data', 'saraban.sqlite'), { readonly: true })
  const s = open(FROM)
  const r = open(TO)
  try {
    const count = (rows: Array<{ k: string }>) => {
      const m = new Map<string, number>()
      for (const { k } of rows) m.set(k, (m.get(k) ?? 0) + 1)
      return m
    }
    const markerOf = (json: string) => /CRASH-\d+/.exec(JSON.parse(json).subject)?.[0] ?? '?'
    const senderRows = s.prepare('SELECT letter_json FROM letters').all() as Array<{ letter_json: string }>
    const inboxRows = r.prepare('SELECT message_id, letter_json, receipt FROM inbox_messages').all() as Array<{ message_id: string; letter_json: string; receipt: string }>
    const sent = new Map((s.prepare(`SELECT message_id, receipt FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE m.recipient_agency = ?`).all(TO) as Array<{ message_id: string; receipt: string | null }>).map((x) => [x.message_id, x.receipt]))
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
      integrity: {
        sender: String(s.pragma('integrity_check', { simple: true })),
        receiver: String(r.pragma('integrity_check', { simple: true })),
      },
      registers: { send: numbers(s, FROM, 'send'), receive: numbers(r, TO, 'receive') },
      logs: { sender: logOf(s), receiver: logOf(r) },
      sendEntriesPerLetter: count((s.prepare('SELECT letter_id AS k FROM register_entries WHERE agency = ? AND book = ?').all(FROM, 'send') as Array<{ k: string }>)),
      receiveEntriesPerMessage: count(r.prepare('SELECT message_id AS k FROM register_entries WHERE agency = ? AND book = ?').all(TO, 'receive') as Array<{ k: string }>),
    }
  } finally {
    s.close()
    r.close()
  }
}

/** A node's log after the run, checked against its rows as `saraban-node log verify` does. */
function logOf(db: Database.Database): { ok: boolean; entries: number; first?: string } {
  const v = verifyLog(db)
  const d = v.differences[0]
  return { ok: v.ok, entries: v.entriesChecked, ...(d === undefined ? {} : { first: JSON.stringify(d).slice(0, 300) }) }
}

/** Every way a report can fail the issue 13 §3 checks, as sentences; empty when it holds. */
export function crashViolations(rep: CrashReport, letters: number): string[] {
  const out: string[] = [...rep.refusals]
  const gapless = (ns: number[]) => ns.every((n, i) => n === i + 1)
  if (rep.accepted !== letters) out.push(`${rep.accepted} of ${letters} letters got a 2xx`)
  if (rep.senderLetters !== rep.accepted) out.push(`sender stored ${rep.senderLetters} letters for ${rep.accepted} accepted`)
  for (let i = 0; i < letters; i++) {
    const m = marker(i)
    if ((rep.senderLettersPerMarker.get(m) ?? 0) !== 1) out.push(`${m}: ${rep.senderLettersPerMarker.get(m) ?? 0} letters at the sender`)
    if ((rep.inboxPerMarker.get(m) ?? 0) !== 1) out.push(`${m}: ${rep.inboxPerMarker.get(m) ?? 0} inbox rows at the receiver`)
  }
  if (rep.undelivered.length) out.push(`undelivered: ${rep.undelivered.join(', ')}`)
  if (rep.receiptMismatches.length) out.push(`receipts differ: ${rep.receiptMismatches.join(', ')}`)
  if (rep.integrity.sender !== 'ok') out.push(`sender integrity_check: ${rep.integrity.sender}`)
  if (rep.integrity.receiver !== 'ok') out.push(`receiver integrity_check: ${rep.integrity.receiver}`)
  for (const who of ['sender', 'receiver'] as const) {
    const l = rep.logs[who]
    if (!l.ok) out.push(`${who}'s log does not verify against its rows: ${l.first ?? 'no difference listed'}`)
  }
  if (rep.registers.send.length !== rep.senderLetters || !gapless(rep.registers.send)) out.push(`send register not 1..${rep.senderLetters}: ${rep.registers.send.join(',')}`)
  for (const [id, n] of rep.sendEntriesPerLetter) if (n !== 1) out.push(`letter ${id}: ${n} send-register entries`)
  if (!gapless(rep.registers.receive)) out.push(`receive register has a gap: ${rep.registers.receive.join(',')}`)
  if (rep.registers.receive.length !== rep.inboxMessages) out.push(`receive register has ${rep.registers.receive.length} entries for ${rep.inboxMessages} received letters`)
  for (const [id, n] of rep.receiveEntriesPerMessage) if (n !== 1) out.push(`message ${id}: ${n} receive-register entries`)
  return out
}
