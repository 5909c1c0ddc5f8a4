// The group commit of the node's connection (storage/db.ts write()): every commit pays for an fsync
// whatever it carries, so the fns queued in one event-loop turn run in a single transaction, each in
// a savepoint of its own, and each caller learns its own outcome only once the batch is durable.
// Its hooks (beforeCommit, afterCommit, checkpointLater) are the ones PROTOCOL.md §20.4 and issue 16
// items 1-2 need; db.ts says what each promises.
import type Database from 'better-sqlite3'
import { SarabanError } from '../errors.js'
import { AUTOCHECKPOINT_PAGES } from './checkpointer.js'
import type { WalSync } from './wal-sync.js'
import type { WriteLog } from './write-log.js'

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

/** What the batches need of the connection that owns them. */
export interface GroupCommitHost {
  readonly sqlite: Database.Database
  readonly maxBatch: number
  /** durableSync 'threadpool' (wal-sync.ts); undefined: 'inline'. */
  readonly walSync: WalSync | undefined
  /** The transparency log's WriteLog, once the wiring set it (Db.afterEachWrite). */
  log(): WriteLog | undefined
  closed(): boolean
  /** checkpointLater() may put SQLite's autocheckpoint off: a file database on SQLite whose
   *  checkpoints are not a worker's. */
  mayPutOffCheckpoint(): boolean
}

export class GroupCommit {
  readonly #h: GroupCommitHost
  readonly #stmt: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Stmt>
  #queue: Pending[] = []
  #scheduled: NodeJS.Immediate | undefined
  #stats = { commits: 0, writes: 0, failed: 0, largestBatch: 0 }
  /** Set while a batch runs its fns: the hooks they leave for the end of the batch (beforeCommit). */
  #hooks: CommitHook[] | undefined
  /** Set while a batch runs its fns: what they asked to run once the batch committed (afterCommit). */
  #after: Array<() => void> | undefined
  #batches = 0
  /** Set while a batch runs its fns: one of them stored an envelope's bytes (checkpointLater). */
  #late = false

  constructor(host: GroupCommitHost) {
    this.#h = host
    const p = (sql: string): Stmt => host.sqlite.prepare<[]>(sql)
    this.#stmt = {
      // IMMEDIATE takes the write lock up front, so no statement inside can fail with SQLITE_BUSY.
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT saraban_write'),
      release: p('RELEASE saraban_write'),
      rollbackTo: p('ROLLBACK TO saraban_write'),
    }
  }

  /** Queues fn for the next batch (Db.write()). */
  queue<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject })
      this.#schedule()
    })
  }

  /** At close: runs every queued fn now, in batches, and cancels the next turn's. */
  runAll(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled)
    this.#scheduled = undefined
    while (this.#queue.length > 0) this.#runBatch(this.#queue.splice(0, this.#h.maxBatch))
  }

  get batchId(): number | undefined {
    return this.#h.sqlite.inTransaction ? this.#batches : undefined
  }

  beforeCommit(run: () => void, committed?: () => void): void {
    if (this.#hooks === undefined) throw new Error('storage: beforeCommit() is only for a write() fn')
    this.#hooks.push({ run, committed })
  }

  afterCommit(fn: () => void): void {
    if (this.#after !== undefined) this.#after.push(fn)
    else if (this.#h.sqlite.inTransaction) queueMicrotask(fn)
    else fn()
  }

  checkpointLater(): void {
    if (this.#hooks !== undefined) this.#late = true
  }

  get stats(): WriteStats {
    return { ...this.#stats }
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
    const batch = this.#queue.splice(0, this.#h.maxBatch)
    if (this.#queue.length > 0) this.#schedule()
    if (batch.length > 0) this.#runBatch(batch)
  }

  #runBatch(batch: Pending[]): void {
    try {
      this.#runInTransaction(batch)
    } catch (err) {
      // BEGIN, COMMIT or the savepoint bookkeeping failed: nothing of this batch is stored.
      // (Rejecting a promise that already settled, i.e. a fn that threw, is a no-op.)
      this.#h.log()?.undo(0)
      try {
        if (this.#h.sqlite.inTransaction) this.#stmt.rollback.run()
      } catch {
        /* the connection is unusable; the callers learn it from err */
      }
      for (const p of batch) p.reject(err)
    }
  }

  #runInTransaction(batch: Pending[]): void {
    // durableSync 'threadpool': this batch's COMMIT writes the WAL without fsync; WalSync syncs it.
    // (Not a prepared statement: SQLite applies this pragma when it is prepared, not when it runs.)
    if (this.#h.walSync === undefined) return this.#runBatchTx(batch)
    this.#h.sqlite.pragma('synchronous = NORMAL')
    try {
      this.#runBatchTx(batch)
    } finally {
      this.#h.sqlite.pragma('synchronous = FULL')
    }
  }

  #runBatchTx(batch: Pending[]): void {
    const s = this.#stmt
    const log = this.#h.log()
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
    log?.flush()
    const committed = this.#runHooks(hooks)
    const late = this.#late && this.#h.mayPutOffCheckpoint()
    this.#late = false
    if (late) this.#h.sqlite.pragma('wal_autocheckpoint = 0')
    try {
      s.commit.run()
    } finally {
      if (late) this.#h.sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
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
    if (this.#h.walSync) this.#h.walSync.after(complete)
    else complete()
  }

  /** The batch's beforeCommit hooks, each in its savepoint; returns their `committed` callbacks. */
  #runHooks(hooks: CommitHook[]): Array<() => void> {
    const s = this.#stmt
    const log = this.#h.log()
    const committed: Array<() => void> = []
    for (const h of hooks) {
      const mark = log?.mark() ?? 0
      s.savepoint.run()
      try {
        h.run()
        log?.drain()
        s.release.run()
        if (h.committed) committed.push(h.committed)
      } catch (err) {
        // The hook's own work is lost; what the fns wrote still commits (their callers fall back).
        log?.undo(mark)
        if (!this.#h.sqlite.inTransaction) throw err
        s.rollbackTo.run()
        s.release.run()
      }
    }
    // The hooks' entries (e.g. message.stored of the receipts they kept), appended once after them:
    // a hook's checkpoint covers what the fns appended, which is what its receipt needs (§20.4).
    if (hooks.length > 0) log?.flush()
    return committed
  }

  /** checkpointLater()'s checkpoint: what SQLite's autocheckpoint would have run in the COMMIT. */
  #checkpoint(): void {
    if (this.#h.closed() || !this.#h.mayPutOffCheckpoint() || this.#h.sqlite.inTransaction) return
    try {
      this.#h.sqlite.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      /* the next commit's autocheckpoint tries again */
    }
  }

  /** Runs batch[i] in its savepoint; false when SQLite rolled the whole transaction back. */
  #runOne(batch: Pending[], i: number, done: Array<{ p: Pending; value: unknown }>, hooks: CommitHook[], after: Array<() => void>): boolean {
    const s = this.#stmt
    const log = this.#h.log()
    const p = batch[i]!
    const hooksBefore = hooks.length
    const afterBefore = after.length
    const mark = log?.mark() ?? 0
    s.savepoint.run()
    try {
      const value = p.fn()
      if (isThenable(value)) {
        Promise.resolve(value).catch(() => {}) // its later failure would be an unhandled rejection
        throw new TypeError('storage: a write() fn must be synchronous, not return a promise')
      }
      log?.drain()
      s.release.run()
      done.push({ p, value })
    } catch (err) {
      this.#stats.failed++
      p.reject(err)
      if (!this.#h.sqlite.inTransaction) {
        // SQLite itself rolled back the whole transaction (SQLITE_FULL, SQLITE_IOERR…): the fns
        // before this one are lost too; the ones after it have not run and go first next turn.
        const lost = new SarabanError('ERR_INTERNAL', 'storage: the transaction was rolled back by SQLite', { cause: err })
        log?.undo(0)
        for (const d of done) d.p.reject(lost)
        this.#queue.unshift(...batch.slice(i + 1))
        if (this.#queue.length > 0 && !this.#h.closed()) this.#schedule()
        return false
      }
      hooks.length = hooksBefore
      after.length = afterBefore
      log?.undo(mark)
      s.rollbackTo.run()
      s.release.run()
    }
    return true
  }
}

function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}
