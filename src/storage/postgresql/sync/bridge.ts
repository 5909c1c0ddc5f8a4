// A synchronous PostgreSQL connection (issue 19 §1). The stores were written against better-sqlite3,
// whose every statement runs synchronously inside the caller's write() fn (storage/db.ts): a
// transaction is a stretch of synchronous code, and nothing else of the process interleaves with it.
// node-postgres is asynchronous, so the connection lives in a worker thread (worker-source.ts) and
// the main thread waits for each answer with Atomics.wait: the stores, their transactions and the
// group commit run unchanged on either engine.
//
// The price: the event loop is blocked for each statement's round trip to the server (on this machine,
// over a unix socket, tens of microseconds; over a network, the network's latency), as it is blocked
// for each SQLite statement's own work. PROTOCOL.md's implementation notes (issue 19) give the figures.
import { createRequire } from 'node:module'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { WORKER_SOURCE } from './worker-source.js'

export interface Connection {
  /** For pg.Client: connectionString and, with a CA file, ssl. Must be cloneable (no functions). */
  readonly connectionString: string
  readonly ssl?: { readonly ca: Buffer; readonly rejectUnauthorized: true }
  readonly connectionTimeoutMillis?: number
}

export interface PgFailure {
  readonly message: string
  readonly code?: string
  readonly detail?: string
  readonly constraint?: string
  readonly table?: string
  readonly column?: string
}

export interface QueryResult {
  readonly rows: unknown[]
  readonly rowCount: number
  readonly fields: string[]
}

/** A statement PostgreSQL refused, or the connection lost under it (`lost`). */
export class PgQueryError extends Error {
  readonly pg: PgFailure
  readonly lost: boolean
  constructor(pg: PgFailure, lost: boolean) {
    super(pg.message)
    this.name = 'PgQueryError'
    this.pg = pg
    this.lost = lost
  }
}

export interface BridgeOptions {
  readonly connection: Connection
  /** NOTIFY channel of the node's commits (foreign commits). */
  readonly channel: string
  /** How long one statement may take before the bridge gives up on the worker (default 120 s). */
  readonly answerMs?: number
  /** How long a lost connection is tried again before a statement fails (default 10 s). */
  readonly reconnectMs?: number
  readonly application?: string
  /** How long a transaction waits for another's write lock before it fails (SQLite's busy_timeout; default 5000 ms). */
  readonly lockTimeoutMs?: number
}

/** What the connection's owner is told, each when it happens. */
export interface ConnectionListeners {
  /** The connection was made again after it was lost (not the first one). */
  readonly reconnected?: () => void
  /** An answer came for a request given up on: it is dropped (should never happen). */
  readonly stale?: () => void
  /** The server stayed out of reach for a whole reconnection window: statements then fail at once,
   *  each after one try, until a connection is made again. */
  readonly unreachable?: () => void
}

type Answer = { id: number } & (({ ok: true } & QueryResult) | { ok: false; lost: boolean; error: PgFailure })

export class SyncPg {
  readonly #worker: Worker
  readonly #port: MessagePort
  readonly #signal: Int32Array
  readonly #answerMs: number
  readonly #commitListeners = new Set<() => void>()
  #connections = 0
  /** The number of the last request (its answer carries it back). */
  #asked = 0
  /** Requests made to the connection's thread: each is a round trip the event loop waits for. */
  requests = 0
  /** What the node hears of its connection (wire/storage.ts logs each). */
  listeners: ConnectionListeners = {}
  #closed = false

  constructor(opts: BridgeOptions) {
    const shared = new SharedArrayBuffer(4)
    this.#signal = new Int32Array(shared)
    const { port1, port2 } = new MessageChannel()
    this.#port = port1
    port1.unref() // read only with receiveMessageOnPort: it must not keep the process alive
    this.#answerMs = opts.answerMs ?? 120_000
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [], // plain JS: no tsx loader, no inspector flags
      workerData: {
        pgPath: createRequire(import.meta.url).resolve('pg'),
        signal: shared,
        port: port2,
        connection: opts.connection,
        channel: opts.channel,
        reconnectMs: opts.reconnectMs ?? 10_000,
        lockTimeoutMs: opts.lockTimeoutMs ?? 5000,
        application: opts.application ?? 'saraban-node',
      },
      transferList: [port2],
    })
    this.#worker.on('message', (m: { kind: string }) => {
      if (m.kind === 'commit') for (const l of [...this.#commitListeners]) l()
      else if (m.kind === 'connected' && ++this.#connections > 1) this.listeners.reconnected?.()
      else if (m.kind === 'unreachable') this.listeners.unreachable?.()
    })
    this.#worker.on('error', () => {}) // surfaces as the next statement's failure (no answer)
    // The thread alone does not keep the process alive (a foreign-commit listener does: below).
    this.#worker.unref()
  }

  /** One statement; values are bound as $1, $2… `array`: rows as arrays (raw()). `pre`: statements
   *  without parameters or rows (savepoints put off by database.ts) that run first, in the same request. */
  query(text: string, values: readonly unknown[] = [], rowMode?: 'array', pre?: string): QueryResult {
    return this.#ask({ op: 'query', text, values: forThread(values), rowMode, pre })
  }

  /** Statements separated by semicolons, no parameters (simple protocol); `pre` as for query(). */
  exec(text: string, pre?: string): void {
    this.#ask({ op: 'exec', text, pre })
  }

  /** Calls `listener` after another session committed and notified the node's channel. */
  onForeignCommit(listener: () => void): () => void {
    this.#commitListeners.add(listener)
    if (this.#commitListeners.size === 1) this.#worker.ref()
    return () => {
      this.#commitListeners.delete(listener)
      if (this.#commitListeners.size === 0) this.#worker.unref()
    }
  }

  close(): Promise<number> {
    if (this.#closed) return Promise.resolve(0)
    try {
      this.#ask({ op: 'close' })
    } catch {
      /* closing anyway */
    }
    this.#closed = true
    this.#commitListeners.clear()
    this.#port.close()
    return this.#worker.terminate()
  }

  #ask(req: { op: string; text?: string; values?: readonly unknown[]; rowMode?: 'array' | undefined; pre?: string | undefined }): QueryResult {
    if (this.#closed) throw new PgQueryError({ message: 'the PostgreSQL connection is closed' }, true)
    this.requests++
    const id = (this.#asked = (this.#asked % 0x7fffffff) + 1)
    this.#port.postMessage({ ...req, id })
    const deadline = performance.now() + this.#answerMs
    for (;;) {
      // Answers in order: an earlier one (a request given up on) is dropped, ours ends the wait.
      for (let got = receiveMessageOnPort(this.#port); got !== undefined; got = receiveMessageOnPort(this.#port)) {
        const a = got.message as Answer
        if (a.id !== id) {
          this.listeners.stale?.()
          continue
        }
        if (!a.ok) throw new PgQueryError(a.error, a.lost)
        return { rows: a.rows.map(buffers), rowCount: a.rowCount, fields: a.fields }
      }
      const seen = Atomics.load(this.#signal, 0)
      const left = deadline - performance.now()
      if (left <= 0) throw new PgQueryError({ message: `PostgreSQL did not answer within ${this.#answerMs / 1000} s (or the connection's thread died): is the server up and not locked?` }, true)
      // Woken when the worker signals any answer; the signal may already be ours (then no wait).
      Atomics.wait(this.#signal, 0, seen, seen === id ? 1 : left)
    }
  }
}

/** The values as they should cross to the connection's thread. A typed array crosses (structured clone)
 *  with the whole ArrayBuffer it views: a 1 MiB chunk that is a view of a 100 MB envelope
 *  (BlobChunks.store) sent 100 MB, once per chunk (issue 19 item 3: storing a 100 MB envelope that way
 *  took 33 s); such a view is copied alone first. */
export function forThread(values: readonly unknown[]): readonly unknown[] {
  if (!values.some(isPartialView)) return values
  return values.map((v) => (isPartialView(v) ? new Uint8Array(v) : v))
}

function isPartialView(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.byteLength < v.buffer.byteLength
}

/** bytea values arrive as Uint8Array (structured clone); the stores expect Buffers, as better-sqlite3 gives. */
function buffers(row: unknown): unknown {
  if (Array.isArray(row)) {
    for (let i = 0; i < row.length; i++) if (row[i] instanceof Uint8Array) row[i] = asBuffer(row[i] as Uint8Array)
    return row
  }
  const r = row as Record<string, unknown>
  for (const k in r) if (r[k] instanceof Uint8Array) r[k] = asBuffer(r[k] as Uint8Array)
  return r
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}
