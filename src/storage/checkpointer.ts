// WAL checkpoints off the main thread.
// better-sqlite3 is synchronous, so the checkpoint SQLite runs inside a committing transaction
// (wal_autocheckpoint) stalls the event loop that also does crypto and TLS: measured here with
// 137 KB rows, synchronous=FULL, 1.22 ms/row with autocheckpoint vs 0.83 ms/row without. The main
// connection therefore sets wal_autocheckpoint=0 and this worker, with a connection of its own to
// the same file, copies the WAL back into the database (https://sqlite.org/wal.html#ckpt).
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/** SQLite's default: checkpoint when a commit leaves the WAL above 1000 pages. */
export const AUTOCHECKPOINT_PAGES = 1000

export interface CheckpointerOptions {
  readonly file: string
  readonly synchronous: 'FULL' | 'NORMAL'
  /** Pause between PASSIVE checkpoints (default 250 ms). */
  readonly intervalMs?: number
  /** Above this much WAL, the worker catches up and asks for a rewind (onRewind) (default 64 MiB,
   *  the journal_size_limit of db.ts). */
  readonly restartBytes?: number
  /** Every checkpoint that moved frames, and every error (the worker keeps going after one). */
  readonly onEvent?: (event: CheckpointEvent) => void
  /** The worker ended without being asked to; the caller must checkpoint some other way. */
  readonly onDeath: (err: Error) => void
  /** The WAL is large and nearly all copied: run `wal_checkpoint(PASSIVE)` on the writing
   *  connection, outside a transaction, so its next transaction rewinds the WAL (see below). */
  readonly onRewind: () => void
  /** Where better-sqlite3 is; only tests change it. */
  readonly modulePath?: string
}

export type CheckpointEvent =
  | {
      readonly kind: 'checkpoint'
      readonly mode: 'PASSIVE' | 'RESTART'
      /** 'main': the small PASSIVE the writing connection runs so the WAL can rewind. */
      readonly by: 'worker' | 'main'
      /** SQLITE_BUSY: a reader or writer kept the checkpoint from finishing (it is retried). */
      readonly busy: boolean
      /** Frames in the WAL, and how many of them are now in the database file. */
      readonly walFrames: number
      readonly checkpointedFrames: number
      readonly ms: number
    }
  | { readonly kind: 'error'; readonly error: Error }
  /** The worker is gone; the main connection went back to SQLite's autocheckpoint. */
  | { readonly kind: 'fallback'; readonly error: Error }

/** A WAL of more than this many bytes appended since the last pass brings the next pass forward. */
const EAGER_BYTES = 4 * 1024 * 1024
const EAGER_MS = 50
/** Ask for the rewind once a PASSIVE pass finds at most this much committed during the pass
 *  before it: about SQLite's own autocheckpoint (1000 pages), so the main thread's share costs what
 *  one autocheckpoint did, but once per restartBytes written instead of once per 4 MiB. */
const CATCH_UP_BYTES = 4 * 1024 * 1024
/** Past this WAL size, or after MAX_CATCH_UP passes, RESTART from the worker: the disk cannot
 *  keep up and the writer must slow down rather than the WAL grow without bound. */
const HARD_BYTES = 256 * 1024 * 1024
const MAX_CATCH_UP = 16
/** busy_timeout of the worker's connection: only RESTART waits (for the main connection's
 *  transaction to end, and for readers), holding the writer lock meanwhile. */
const RESTART_WAIT_MS = 200
/** Consecutive failed passes after which the worker gives up (and the main thread falls back). */
const MAX_FAILURES = 5

// Plain CommonJS run with `eval: true`: works the same under tsx (tests) and from dist/ (no .ts
// worker file to load, no loader needed in the worker). workerData carries everything it needs.
//
// PASSIVE never takes the writer lock, so the main thread's commits never wait for it. But the
// WAL only rewinds to its start when a writer begins while every frame is already copied; under
// steady writes a commit lands during nearly every pass (measured: 8 × 137 KB every 20 ms, the
// WAL never rewound), so PASSIVE alone lets the WAL grow without bound. Past restartBytes the
// worker runs PASSIVE passes back to back until one finds little committed during the previous
// one, then asks the main thread (onRewind) to run one PASSIVE itself, between two transactions:
// it copies those last few frames, and the very next BEGIN IMMEDIATE rewinds the WAL. The main
// thread pays about one autocheckpoint (measured ~10 ms) per restartBytes (64 MiB: ~480 letters
// of 137 KB) instead of one per 4 MiB. A RESTART from the worker would avoid even that, but it
// holds the writer lock while both connections' busy handlers sleep and retry: measured stalls
// of 160–420 ms on the main thread with synchronous=FULL. The worker RESTARTs only when the disk
// cannot keep up (HARD_BYTES or MAX_CATCH_UP), where slowing the writer is the backpressure
// needed; a busy one gives up after RESTART_WAIT_MS and is retried next pass. The main
// connection's journal_size_limit trims the file on its first commit after a rewind.
const WORKER_SOURCE = `
'use strict'
const { parentPort, workerData: w } = require('node:worker_threads')
const Database = require(w.modulePath)
const db = new Database(w.file, { fileMustExist: true })
db.pragma('busy_timeout = ' + w.restartWaitMs)
// A checkpoint must fsync the database before the WAL is rewound; OFF would skip that.
db.pragma('synchronous = ' + w.synchronous)
const frameBytes = db.pragma('page_size', { simple: true }) + 24
let timer
let failures = 0
let lastFrames = 0
function checkpoint(mode) {
  const t0 = performance.now()
  const r = db.pragma('wal_checkpoint(' + mode + ')')[0]
  const ev = { kind: 'checkpoint', mode, by: 'worker', busy: r.busy !== 0, walFrames: r.log, checkpointedFrames: r.checkpointed, ms: performance.now() - t0 }
  // Frames committed since the previous call; fewer frames than before means the WAL rewound.
  const fresh = r.log >= lastFrames ? r.log - lastFrames : r.log
  lastFrames = r.log
  if (fresh > 0 || mode !== 'PASSIVE') parentPort.postMessage(ev)
  return { ev, freshBytes: fresh * frameBytes, walBytes: r.log * frameBytes }
}
function pass() {
  let delay = w.intervalMs
  try {
    let p = checkpoint('PASSIVE')
    if (p.freshBytes >= w.eagerBytes) delay = w.eagerMs
    for (let i = 1; p.walBytes >= w.restartBytes; i++) {
      if (p.walBytes >= w.hardBytes || i > w.maxCatchUp) {
        checkpoint('RESTART')
        lastFrames = 0
        break
      }
      if (p.freshBytes <= w.catchUpBytes) {
        parentPort.postMessage({ kind: 'rewind' })
        break
      }
      const q = checkpoint('PASSIVE')
      if (q.walBytes < p.walBytes) break // a writer found it all copied and rewound the WAL itself
      p = q
    }
    failures = 0
  } catch (err) {
    parentPort.postMessage({ kind: 'error', name: err.name, message: err.message, code: err.code })
    if (++failures >= w.maxFailures) throw err // ends the worker: the main thread falls back
  }
  timer = setTimeout(pass, delay)
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return
  clearTimeout(timer)
  db.close()
  parentPort.close() // nothing left to keep the thread alive: it exits with code 0
})
timer = setTimeout(pass, w.intervalMs)
`

type WorkerMessage =
  | Extract<CheckpointEvent, { kind: 'checkpoint' }>
  | { kind: 'error'; name: string; message: string; code?: string }
  | { kind: 'rewind' }

export class Checkpointer {
  readonly #worker: Worker
  readonly #exited: Promise<void>
  #stopping = false

  static start(opts: CheckpointerOptions): Checkpointer {
    return new Checkpointer(opts)
  }

  private constructor(opts: CheckpointerOptions) {
    const { onEvent, onDeath, onRewind } = opts
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [], // plain JS: no tsx loader, no inspector flags
      workerData: {
        modulePath: opts.modulePath ?? createRequire(import.meta.url).resolve('better-sqlite3'),
        file: opts.file,
        synchronous: opts.synchronous,
        restartWaitMs: RESTART_WAIT_MS,
        intervalMs: opts.intervalMs ?? 250,
        restartBytes: opts.restartBytes ?? 64 * 1024 * 1024,
        eagerBytes: EAGER_BYTES,
        eagerMs: EAGER_MS,
        catchUpBytes: CATCH_UP_BYTES,
        hardBytes: HARD_BYTES,
        maxCatchUp: MAX_CATCH_UP,
        maxFailures: MAX_FAILURES,
      },
    })
    let death: Error | undefined
    this.#worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'rewind') onRewind()
      else if (m.kind === 'error') onEvent?.({ kind: 'error', error: Object.assign(new Error(m.message), { name: m.name, code: m.code }) })
      else onEvent?.(m)
    })
    this.#worker.on('error', (err) => (death = err))
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        if (!this.#stopping) onDeath(death ?? new Error(`storage: checkpoint worker exited with code ${code}`))
        resolve()
      })
    })
    // Background upkeep, like an unref'd timer: it must not keep the process alive by itself
    // (a Db never closed loses only the final checkpoint; SQLite replays the WAL on next open).
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref()
  }

  /** Asks the worker to close its connection and resolves once the thread has exited. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.#worker.ref() // an unref'd thread would not keep the process alive until it has exited
    this.#worker.postMessage('stop')
    await this.#exited
  }
}

/** storage.checkpoint 'worker' for the main connection `sqlite` of `file` (db.ts): starts the worker and
 *  turns SQLite's autocheckpoint off. If the worker cannot start or dies, SQLite's autocheckpoint takes
 *  over again (slower commits, but the WAL never grows without bound) and `host.fellBack()` is told;
 *  undefined when it could not start. Events go to opts.onCheckpoint, which may not throw into the node. */
export function startWorkerCheckpoints(
  sqlite: Database.Database, file: string,
  opts: { synchronous?: 'FULL' | 'NORMAL'; onCheckpoint?: (event: CheckpointEvent) => void },
  host: { closed: () => boolean; fellBack: () => void },
): Checkpointer | undefined {
  const report = opts.onCheckpoint ?? (() => {})
  const onEvent = (event: CheckpointEvent): void => {
    try {
      report(event)
    } catch {
      /* a reporting callback must not take the checkpointer (or the node) down */
    }
  }
  // onDeath runs between event-loop turns, so never inside a write() transaction.
  const fallback = (error: Error): void => {
    host.fellBack()
    if (host.closed()) return
    sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    onEvent({ kind: 'fallback', error })
  }
  let checkpointer: Checkpointer
  try {
    checkpointer = Checkpointer.start({
      file,
      synchronous: opts.synchronous ?? 'FULL',
      onEvent,
      onDeath: fallback,
      // A message handler: runs between event-loop turns, never inside a write() transaction.
      onRewind: () => {
        if (host.closed()) return
        try {
          const t0 = performance.now()
          const [r] = sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>
          if (r) onEvent({ kind: 'checkpoint', mode: 'PASSIVE', by: 'main', busy: r.busy !== 0, walFrames: r.log, checkpointedFrames: r.checkpointed, ms: performance.now() - t0 })
        } catch (err) {
          onEvent({ kind: 'error', error: err instanceof Error ? err : new Error(String(err)) })
        }
      },
    })
  } catch (err) {
    fallback(err instanceof Error ? err : new Error(String(err)))
    return undefined
  }
  sqlite.pragma('wal_autocheckpoint = 0')
  return checkpointer
}
