// The one connection of a node (SQLite, or PostgreSQL through postgresql/sync/), with group commit.
// Every commit pays for an fsync whatever it carries, so write() gathers the fns queued in one
// event-loop turn into a single transaction (group-commit.ts runs the batches): throughput grows with
// concurrency (measured ~1.7x with 100 KB rows) while each caller still learns its own outcome, and
// only once the batch is durable.
// WAL checkpoints are SQLite's own by default; checkpoint: 'worker' moves them to a worker thread
// (checkpointer.ts), which helps with synchronous=NORMAL (config.json storage.checkpoint says what was measured).
import { openConnection } from './connection.js'
import type { WriteLog } from './write-log.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SarabanError } from '../errors.js'
import { GroupCommit, type WriteStats } from './group-commit.js'
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
export type { WriteStats } from './group-commit.js'


export class Db {
  /** The connection every store prepares its statements on: better-sqlite3's, or on PostgreSQL the
   *  same shape over one connection (postgresql/sync/database.ts). */
  readonly sqlite: Database.Database
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly file: string
  /** Which engine runs (issue 19 §1); a store whose statement must differ asks. */
  readonly engine: 'sqlite' | 'postgresql'
  readonly #pg: PgDatabase | undefined
  readonly #tx: Database.Transaction<(fn: () => unknown) => unknown>
  readonly #group: GroupCommit
  #closed = false
  #closing: Promise<void> | undefined
  #checkpointer: Checkpointer | undefined
  #log: WriteLog | undefined
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
    this.#walSync = threadpoolSync ? new WalSync(file) : undefined
    sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    this.#group = new GroupCommit({
      sqlite,
      maxBatch,
      walSync: this.#walSync,
      log: () => this.#log,
      closed: () => this.#closed,
      mayPutOffCheckpoint: () => this.#checkpointer === undefined && file !== ':memory:' && pg === undefined,
    })
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
    return this.#group.queue(fn)
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
    return this.#group.batchId
  }

  /** PROTOCOL.md §20.4 (issue 14 §6): only inside a write() fn. `run` is called once every fn of this
   *  batch has run, in the same transaction, before COMMIT, in a savepoint of its own (a throw rolls
   *  back only what `run` did; the fns' changes still commit); `committed` once COMMIT returned (with
   *  durableSync 'threadpool': once the WAL sync after it returned). Lets
   *  the receiver sign the receipts of a batch with a checkpoint of the tree this transaction commits,
   *  and store them in it, without a second transaction: nothing `run` makes may leave the process
   *  before `committed` is called. A fn that throws takes the hooks it left with it. */
  beforeCommit(run: () => void, committed?: () => void): void {
    this.#group.beforeCommit(run, committed)
  }

  /** Issue 16 item 1: `fn` runs once what the current write() fn wrote is committed, in the batch's
   *  commit (no second read, no second transaction, no timer); never when that fn throws or its batch
   *  rolls back. Outside any transaction it runs at once (autocommit has committed already); inside a
   *  tx() that no write() batch holds, once that tx() returned. fn must not throw or write. */
  afterCommit(fn: () => void): void {
    this.#group.afterCommit(fn)
  }

  /** Issue 16 item 2 (PROTOCOL.md implementation note "A 100 MB letter end to end"): the current
   *  write() fn stores an envelope's bytes (chunk rows, blob-chunks.ts). Its batch commits without
   *  SQLite's autocheckpoint, which would copy those bytes a second time, into the database file,
   *  inside the COMMIT and so before the batch's callers are answered (a receipt, a 202); the same
   *  PASSIVE checkpoint runs on the next turn instead. The commit's durability is the WAL's fsync,
   *  as before: a checkpoint only moves committed bytes (a crash before it: SQLite replays the WAL).
   *  No effect outside a write() fn, nor with checkpoint 'worker' (no checkpoint inside commits). */
  checkpointLater(): void {
    this.#group.checkpointLater()
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
    return this.#group.stats
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
    this.#group.runAll()
    await this.#walSync?.settle()
    // `npm run bench` counts commits per letter (PROTOCOL.md annex on the log's cost, issue 14 §6).
    const statsDir = process.env['SARABAN_DB_STATS_DIR']
    if (statsDir && this.file !== ':memory:' && this.#pg === undefined) writeFileSync(join(statsDir, `${process.pid}.json`), JSON.stringify(this.#group.stats))
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
}

function closedError(): SarabanError {
  return new SarabanError('ERR_INTERNAL', 'storage: the database is closed')
}
