// The one SQLite connection of a node, with group commit.
// Every commit pays for an fsync whatever it carries, so write() gathers the fns queued in one
// event-loop turn into a single transaction: throughput grows with concurrency (measured ~1.7x with
// 100 KB rows) while each caller still learns its own outcome, and only once the batch is durable.
// WAL checkpoints are SQLite's own by default; checkpoint: 'worker' moves them to a worker thread
// (checkpointer.ts), which helps with synchronous=NORMAL (config.json storage.checkpoint says what was measured).
import { openConnection } from './connection.js'
import type { WriteLog } from './write-log.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SarabanError } from '../errors.js'
import { AUTOCHECKPOINT_PAGES, startWorkerCheckpoints, type Checkpointer, type CheckpointEvent } from './checkpointer.js'
import { WalSync } from './wal-sync.js'
import { ForeignCommits } from './foreign-commits.js'
import { PgDatabase, COMMIT_CHANNEL } from './postgresql/sync/database.js'
import type { ConnectionListeners } from './postgresql/sync/bridge.js'
import { pgConnection, type PgTarget } from './postgresql/connect.js'
import { migratePostgresSync } from './postgresql/migrate.js'
import { DatabaseOpenError } from './postgresql/open-error.js'
import { redactDatabaseUrl } from '../config/redact.js'

/** How often another process's commits are looked for while someone listens (onForeignCommit). */
const FOREIGN_POLL_MS = 200

export interface OpenOptions {
  /** FULL (default): a resolved write() survives power loss. NORMAL: survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL'
  /** Most write() fns one transaction carries; the rest wait for the next turn (default 64).
   *  A batch blocks the event loop until its fsync returns: with 100 KB rows, 64 per commit already
   *  gives the full throughput (~1.4k rows/s here) while the longest stall stays near 60 ms; 256
   *  per commit gains nothing and stalls ~210 ms (measured on the dev VM with synchronous=FULL). */
  maxBatch?: number
  /** How long to wait for a lock held by another connection (default 5000 ms). */
  busyTimeoutMs?: number
  /** 'worker': WAL checkpoints run in a worker thread with its own connection, so no
   *  commit on the main thread pays for one (see checkpointer.ts). 'auto': SQLite's own
   *  wal_autocheckpoint inside the committing transaction (the default). */
  checkpoint?: 'worker' | 'auto'
  /** Checkpoints done by the worker, its errors, and a fallback to 'auto' if it dies. Never throws
   *  into the node: without it, they go unreported. */
  onCheckpoint?: (event: CheckpointEvent) => void
  /** Issue 16 item 1. 'inline' (default): a write() batch's COMMIT fsyncs the WAL on the event loop,
   *  as SQLite's synchronous=FULL does. 'threadpool' (with synchronous FULL only): the batch commits
   *  with synchronous=NORMAL and the WAL is fdatasync'd in libuv's thread pool; the batch's promises,
   *  beforeCommit `committed` and afterCommit callbacks wait for that sync, so what a caller is told is
   *  stored is on disk as with 'inline', and a sync in flight covers every batch committed before it
   *  began (group commit across turns). Other readers of the connection may see a batch for one sync
   *  before it is durable. tx() and statements outside a batch keep synchronous FULL. */
  durableSync?: 'inline' | 'threadpool'
}

export type { CheckpointEvent } from './checkpointer.js'


export interface WriteStats {
  /** Group-commit transactions committed. */
  readonly commits: number
  /** write() fns that were committed. */
  readonly writes: number
  /** write() fns that threw and were rolled back. */
  readonly failed: number
  readonly largestBatch: number
}

interface Pending {
  readonly fn: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (err: unknown) => void
}

/** Work a write() fn leaves for the end of its batch (beforeCommit). */
interface CommitHook {
  readonly run: () => void
  readonly committed: (() => void) | undefined
}

type Stmt = Database.Statement<[]>

export class Db {
  /** The connection every store prepares its statements on: better-sqlite3's, or on PostgreSQL the
   *  same shape over one connection (postgresql/sync/database.ts). */
  readonly sqlite: Database.Database
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly file: string
  /** Which engine runs (issue 19 §1); a store whose statement must differ asks. */
  readonly engine: 'sqlite' | 'postgresql'
  readonly #pg: PgDatabase | undefined
  readonly #maxBatch: number
  readonly #stmt: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Stmt>
  readonly #tx: Database.Transaction<(fn: () => unknown) => unknown>
  #queue: Pending[] = []
  #scheduled: NodeJS.Immediate | undefined
  #closed = false
  #closing: Promise<void> | undefined
  #checkpointer: Checkpointer | undefined
  #stats = { commits: 0, writes: 0, failed: 0, largestBatch: 0 }
  #log: WriteLog | undefined
  /** Set while a batch runs its fns: the hooks they leave for the end of the batch (beforeCommit). */
  #hooks: CommitHook[] | undefined
  /** Set while a batch runs its fns: what they asked to run once the batch committed (afterCommit). */
  #after: Array<() => void> | undefined
  #batches = 0
  /** Set while a batch runs its fns: one of them stored an envelope's bytes (checkpointLater). */
  #late = false
  /** durableSync 'threadpool' (wal-sync.ts); undefined: 'inline'. */
  readonly #walSync: WalSync | undefined
  /** Other processes' commits (foreign-commits.ts), watched while someone listens. */
  readonly #foreign: ForeignCommits | undefined

  /** Opens (creating the parent folder), sets pragmas and runs pending migrations. */
  static open(file: string, opts: OpenOptions = {}): Db {
    const maxBatch = opts.maxBatch ?? 64
    const busyTimeoutMs = opts.busyTimeoutMs ?? 5000
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('storage: maxBatch must be a positive integer')
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError('storage: busyTimeoutMs must be a whole number ≥ 0')
    const sqlite = openConnection(file, { synchronous: opts.synchronous ?? 'FULL', busyTimeoutMs })
    const threadpool = opts.durableSync === 'threadpool' && (opts.synchronous ?? 'FULL') === 'FULL' && file !== ':memory:'
    const db = new Db(sqlite, file, maxBatch, threadpool)
    // ':memory:' has no WAL to checkpoint (and no file another connection could open).
    if (opts.checkpoint === 'worker' && file !== ':memory:') {
      db.#checkpointer = startWorkerCheckpoints(sqlite, file, opts, { closed: () => db.#closed, fellBack: () => (db.#checkpointer = undefined) })
    }
    return db
  }

  /** Issue 19 §1: the node's PostgreSQL database, migrated as it opens (postgresql/migrate.ts). One
   *  connection, held by a thread of its own (postgresql/sync/bridge.ts); the group commit and every
   *  store work as on SQLite. */
  static openPostgres(target: PgTarget, opts: Pick<OpenOptions, 'maxBatch' | 'busyTimeoutMs'> & { application?: string } = {}): Db {
    const maxBatch = opts.maxBatch ?? 64
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('storage: maxBatch must be a positive integer')
    const pg = new PgDatabase({ connection: pgConnection(target), channel: COMMIT_CHANNEL, name: redactDatabaseUrl(target.url), lockTimeoutMs: opts.busyTimeoutMs ?? 5000, ...(opts.application !== undefined ? { application: opts.application } : {}) })
    const db = new Db(pg as unknown as Database.Database, redactDatabaseUrl(target.url), maxBatch, false, pg)
    try {
      migratePostgresSync(pg)
    } catch (err) {
      void pg.closeAsync()
      throw new DatabaseOpenError(target.url, err)
    }
    return db
  }

  private constructor(sqlite: Database.Database, file: string, maxBatch: number, threadpoolSync = false, pg?: PgDatabase) {
    this.sqlite = sqlite
    this.file = file
    this.engine = pg === undefined ? 'sqlite' : 'postgresql'
    this.#pg = pg
    this.#maxBatch = maxBatch
    this.#walSync = threadpoolSync ? new WalSync(file) : undefined
    sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    const p = (sql: string): Stmt => sqlite.prepare<[]>(sql)
    this.#stmt = {
      // IMMEDIATE takes the write lock up front, so no statement inside can fail with SQLITE_BUSY.
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT saraban_write'),
      release: p('RELEASE saraban_write'),
      rollbackTo: p('ROLLBACK TO saraban_write'),
    }
    this.#tx = sqlite.transaction((fn: () => unknown) => fn())
    this.#foreign = pg === undefined ? new ForeignCommits(sqlite, FOREIGN_POLL_MS) : undefined
  }

  /** PostgreSQL: what happens to the connection (postgresql/sync/bridge.ts ConnectionListeners). */
  onConnection(listeners: ConnectionListeners): void {
    this.#pg?.onConnection(listeners)
  }

  /** Calls `listener` soon after another process (connection) committed to this database (issue 19
   *  item 2: SSE clients of one process see events another wrote); returns the function that stops it. */
  onForeignCommit(listener: () => void): () => void {
    if (this.#closed) return () => {}
    if (this.#pg !== undefined) return this.#pg.onForeignCommit(listener)
    return this.#foreign!.listen(listener)
  }

  /** Group commit: queue fn; all fns queued in the same tick run in ONE `BEGIN IMMEDIATE` transaction,
   *  each inside its own SAVEPOINT (a throwing fn rolls back only itself and rejects only its promise);
   *  every promise resolves after COMMIT returns (i.e. after fsync). fn must be synchronous. */
  write<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(closedError())
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject })
      this.#schedule()
    })
  }

  /** Immediate synchronous transaction for things that must be atomic now (claiming work).
   *  Inside a write() fn it becomes a savepoint of the open batch. */
  tx<T>(fn: () => T): T {
    if (this.#closed) throw closedError()
    const log = this.#log
    // Inside a write() fn (or a hook) this is a savepoint: its entries are appended with the batch's.
    const outermost = !this.sqlite.inTransaction
    const mark = log?.mark() ?? 0
    try {
      return this.#tx.immediate(() => {
        const value = fn()
        log?.drain()
        if (outermost) log?.flush()
        return value
      }) as T
    } catch (err) {
      log?.undo(mark)
      throw err
    }
  }

  /** PROTOCOL.md §20 (migration 018): `log` ends every write() and tx() fn (WriteLog above); when its
   *  drain throws, the fn's changes roll back with it, and when its flush throws, the transaction's (no
   *  state change without its leaf). Set once, by the wiring. */
  afterEachWrite(log: WriteLog | undefined): void {
    this.#log = log
  }

  /** Which batch is running (a number that changes with every transaction); undefined outside one.
   *  Lets a beforeCommit hook share work with the other hooks of its transaction only. */
  get batchId(): number | undefined {
    return this.sqlite.inTransaction ? this.#batches : undefined
  }

  /** PROTOCOL.md §20.4 (issue 14 §6): only inside a write() fn. `run` is called once every fn of this
   *  batch has run, in the same transaction, before COMMIT, in a savepoint of its own (a throw rolls
   *  back only what `run` did; the fns' changes still commit); `committed` once COMMIT returned (with
   *  durableSync 'threadpool': once the WAL sync after it returned). Lets
   *  the receiver sign the receipts of a batch with a checkpoint of the tree this transaction commits,
   *  and store them in it, without a second transaction: nothing `run` makes may leave the process
   *  before `committed` is called. A fn that throws takes the hooks it left with it. */
  beforeCommit(run: () => void, committed?: () => void): void {
    if (this.#hooks === undefined) throw new Error('storage: beforeCommit() is only for a write() fn')
    this.#hooks.push({ run, committed })
  }

  /** Issue 16 item 1: `fn` runs once what the current write() fn wrote is committed, in the batch's
   *  commit (no second read, no second transaction, no timer); never when that fn throws or its batch
   *  rolls back. Outside any transaction it runs at once (autocommit has committed already); inside a
   *  tx() that no write() batch holds, once that tx() returned. fn must not throw or write. */
  afterCommit(fn: () => void): void {
    if (this.#after !== undefined) this.#after.push(fn)
    else if (this.sqlite.inTransaction) queueMicrotask(fn)
    else fn()
  }

  /** Issue 16 item 2 (PROTOCOL.md implementation note "A 100 MB letter end to end"): the current
   *  write() fn stores an envelope's bytes (chunk rows, blob-chunks.ts). Its batch commits without
   *  SQLite's autocheckpoint, which would copy those bytes a second time, into the database file,
   *  inside the COMMIT and so before the batch's callers are answered (a receipt, a 202); the same
   *  PASSIVE checkpoint runs on the next turn instead. The commit's durability is the WAL's fsync,
   *  as before: a checkpoint only moves committed bytes (a crash before it: SQLite replays the WAL).
   *  No effect outside a write() fn, nor with checkpoint 'worker' (no checkpoint inside commits). */
  checkpointLater(): void {
    if (this.#hooks !== undefined) this.#late = true
  }

  /** PROTOCOL.md §19.9: after a destruction committed (secure_delete zeroed the freed pages), copy the
   *  WAL into the database and truncate it, so no frame that held the deleted bytes is left on disk.
   *  False when a reader kept the checkpoint from finishing; the caller tries again. */
  shred(): boolean {
    // PostgreSQL has no secure_delete: a deleted row's bytes stay in the table's pages until VACUUM
    // reuses them, and in its WAL until recycled (PROTOCOL.md implementation notes, issue 19).
    if (this.#pg !== undefined) return true
    const r = this.sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>
    return (r[0]?.busy ?? 0) === 0
  }

  get stats(): WriteStats {
    return { ...this.#stats }
  }

  /** Commits everything queued so far, stops the checkpoint worker, folds the WAL into the
   *  database file and closes the connection. Later write() calls reject. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#foreign?.stop()
    if (this.#scheduled) clearImmediate(this.#scheduled)
    this.#scheduled = undefined
    while (this.#queue.length > 0) this.#runBatch(this.#queue.splice(0, this.#maxBatch))
    await this.#walSync?.settle()
    // `npm run bench` counts commits per letter (PROTOCOL.md annex on the log's cost, issue 14 §6).
    const statsDir = process.env['SARABAN_DB_STATS_DIR']
    if (statsDir && this.file !== ':memory:' && this.#pg === undefined) writeFileSync(join(statsDir, `${process.pid}.json`), JSON.stringify(this.#stats))
    try {
      await this.#checkpointer?.stop()
      this.#checkpointer = undefined
      // Nothing writes any more: leave an empty WAL behind (a busy result only means another
      // process still reads; SQLite replays what is left on the next open).
      if (this.file !== ':memory:' && this.#pg === undefined) this.sqlite.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      if (this.#pg !== undefined) await this.#pg.closeAsync()
      else this.sqlite.close()
      this.#walSync?.close()
    }
  }

  // setImmediate runs after the poll phase: requests that arrived while the previous COMMIT blocked
  // the loop (better-sqlite3 is synchronous) are read in that phase and join this batch. One batch
  // per turn, oldest first: a long queue cannot starve HTTP handlers or reads, and no caller is
  // overtaken by later ones.
  #schedule(): void {
    if (this.#scheduled === undefined) this.#scheduled = setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#scheduled = undefined
    const batch = this.#queue.splice(0, this.#maxBatch)
    if (this.#queue.length > 0) this.#schedule()
    if (batch.length > 0) this.#runBatch(batch)
  }

  #runBatch(batch: Pending[]): void {
    try {
      this.#runInTransaction(batch)
    } catch (err) {
      // BEGIN, COMMIT or the savepoint bookkeeping failed: nothing of this batch is stored.
      // (Rejecting a promise that already settled, i.e. a fn that threw, is a no-op.)
      this.#log?.undo(0)
      try {
        if (this.sqlite.inTransaction) this.#stmt.rollback.run()
      } catch {
        /* the connection is unusable; the callers learn it from err */
      }
      for (const p of batch) p.reject(err)
    }
  }

  #runInTransaction(batch: Pending[]): void {
    // durableSync 'threadpool': this batch's COMMIT writes the WAL without fsync; WalSync syncs it.
    // (Not a prepared statement: SQLite applies this pragma when it is prepared, not when it runs.)
    if (this.#walSync === undefined) return this.#runBatchTx(batch)
    this.sqlite.pragma('synchronous = NORMAL')
    try {
      this.#runBatchTx(batch)
    } finally {
      this.sqlite.pragma('synchronous = FULL')
    }
  }

  #runBatchTx(batch: Pending[]): void {
    const s = this.#stmt
    s.begin.run()
    this.#batches++
    this.#late = false
    const done: Array<{ p: Pending; value: unknown }> = []
    const hooks: CommitHook[] = []
    const after: Array<() => void> = []
    this.#hooks = hooks
    this.#after = after
    try {
      for (let i = 0; i < batch.length; i++) {
        if (!this.#runOne(batch, i, done, hooks, after)) return
      }
    } finally {
      this.#hooks = undefined
      this.#after = undefined
    }
    // The fns' entries, appended once for the batch (a throw here: #runBatch rolls everything back).
    this.#log?.flush()
    const committed: Array<() => void> = []
    for (const h of hooks) {
      const mark = this.#log?.mark() ?? 0
      s.savepoint.run()
      try {
        h.run()
        this.#log?.drain()
        s.release.run()
        if (h.committed) committed.push(h.committed)
      } catch (err) {
        // The hook's own work is lost; what the fns wrote still commits (their callers fall back).
        this.#log?.undo(mark)
        if (!this.sqlite.inTransaction) throw err
        s.rollbackTo.run()
        s.release.run()
      }
    }
    // The hooks' entries (e.g. message.stored of the receipts they kept), appended once after them:
    // a hook's checkpoint covers what the fns appended, which is what its receipt needs (§20.4).
    if (hooks.length > 0) this.#log?.flush()
    const late = this.#late && this.#checkpointer === undefined && this.file !== ':memory:' && this.#pg === undefined
    this.#late = false
    if (late) this.sqlite.pragma('wal_autocheckpoint = 0')
    try {
      s.commit.run()
    } finally {
      if (late) this.sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    }
    this.#stats.commits++
    this.#stats.writes += done.length
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, batch.length)
    const complete = (err?: unknown): void => {
      if (err !== undefined) {
        // Committed, but not known to be on disk: no caller is told it is stored, no hook learns of it.
        const lost = new SarabanError('ERR_INTERNAL', 'storage: the commit could not be synced to disk', { cause: err })
        for (const d of done) d.p.reject(lost)
        return
      }
      for (const c of [...committed, ...after]) {
        try {
          c()
        } catch {
          /* bookkeeping after a durable commit must not withhold the callers' outcomes */
        }
      }
      for (const d of done) d.p.resolve(d.value)
      if (late) setImmediate(() => this.#checkpoint())
    }
    if (this.#walSync) this.#walSync.after(complete)
    else complete()
  }

  /** checkpointLater()'s checkpoint: what SQLite's autocheckpoint would have run in the COMMIT. */
  #checkpoint(): void {
    if (this.#closed || this.#checkpointer !== undefined || this.sqlite.inTransaction) return
    try {
      this.sqlite.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      /* the next commit's autocheckpoint tries again */
    }
  }

  /** Runs batch[i] in its savepoint; false when SQLite rolled the whole transaction back. */
  #runOne(batch: Pending[], i: number, done: Array<{ p: Pending; value: unknown }>, hooks: CommitHook[], after: Array<() => void>): boolean {
    const s = this.#stmt
    const p = batch[i]!
    const hooksBefore = hooks.length
    const afterBefore = after.length
    const mark = this.#log?.mark() ?? 0
    s.savepoint.run()
    try {
      const value = p.fn()
      if (isThenable(value)) {
        Promise.resolve(value).catch(() => {}) // its later failure would be an unhandled rejection
        throw new TypeError('storage: a write() fn must be synchronous, not return a promise')
      }
      this.#log?.drain()
      s.release.run()
      done.push({ p, value })
    } catch (err) {
      this.#stats.failed++
      p.reject(err)
      if (!this.sqlite.inTransaction) {
        // SQLite itself rolled back the whole transaction (SQLITE_FULL, SQLITE_IOERR…): the fns
        // before this one are lost too; the ones after it have not run and go first next turn.
        const lost = new SarabanError('ERR_INTERNAL', 'storage: the transaction was rolled back by SQLite', { cause: err })
        this.#log?.undo(0)
        for (const d of done) d.p.reject(lost)
        this.#queue.unshift(...batch.slice(i + 1))
        if (this.#queue.length > 0 && !this.#closed) this.#schedule()
        return false
      }
      hooks.length = hooksBefore
      after.length = afterBefore
      this.#log?.undo(mark)
      s.rollbackTo.run()
      s.release.run()
    }
    return true
  }
}

function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

function closedError(): SarabanError {
  return new SarabanError('ERR_INTERNAL', 'storage: the database is closed')
}
