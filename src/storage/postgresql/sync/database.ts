// The part of better-sqlite3's Database the stores use (prepare, transaction, exec, pragma,
// inTransaction), over one PostgreSQL connection (issue 19 §1). Storage/db.ts and every store take it
// where they took the SQLite connection, so the stores, their transactions and the group commit are the
// same code on both engines (Db.engine says which runs where a statement must differ).
//
// Transactions keep SQLite's semantics: one writer at a time. Every transaction begins by taking a
// transaction-scoped advisory lock that all processes of the node share (as BEGIN IMMEDIATE takes
// SQLite's write lock), so a transaction sees nothing change under it but its own writes, whichever
// process it runs in (issue 19 §2: claims, register numbers, one-letter-once and the log's head are then
// exactly as safe as on one SQLite file). Each COMMIT notifies the node's channel, which the other
// processes hear as a foreign commit (events for SSE clients of any process). Reads outside a
// transaction take no lock, and see what was committed when they run, as SQLite's do.
import type Database from 'better-sqlite3'
import { PgQueryError, SyncPg, type BridgeOptions, type ConnectionListeners, type QueryResult } from './bridge.js'
import { kindOf, translate, typed, type Translated } from './dialect.js'

/** pg_advisory_xact_lock key of the node's writers: the first 8 bytes of "saraban-node write". */
export const WRITE_LOCK = BigInt.asIntN(64, BigInt('0x' + Buffer.from('saraban-node write').subarray(0, 8).toString('hex'))).toString()
export const COMMIT_CHANNEL = 'saraban_commit'

/** SQLite's extended result codes for PostgreSQL's constraint failures: the stores match on them. */
const CODES: Record<string, string> = {
  '23505': 'SQLITE_CONSTRAINT_UNIQUE',
  '23503': 'SQLITE_CONSTRAINT_FOREIGNKEY',
  '23502': 'SQLITE_CONSTRAINT_NOTNULL',
  '23514': 'SQLITE_CONSTRAINT_CHECK',
  P0001: 'SQLITE_CONSTRAINT_TRIGGER',
  '55P03': 'SQLITE_BUSY', // lock_timeout: another process holds the write lock (bridge.ts)
}

/** A statement's failure, with SQLite's code where one matches (`pgCode` keeps PostgreSQL's). */
export class StorageError extends Error {
  readonly code: string
  readonly pgCode: string | undefined
  readonly lost: boolean
  constructor(err: PgQueryError, sql: string) {
    super(`${err.message}${err.pg.detail ? ` (${err.pg.detail})` : ''} [PostgreSQL, in: ${sql.replace(/\s+/g, ' ').slice(0, 160)}]`, { cause: err })
    this.name = 'StorageError'
    this.pgCode = err.pg.code
    const mapped = err.pg.code === undefined ? undefined : CODES[err.pg.code]
    this.code = mapped === 'SQLITE_CONSTRAINT_UNIQUE' && err.pg.constraint?.endsWith('_pkey') ? 'SQLITE_CONSTRAINT_PRIMARYKEY' : (mapped ?? `PG_${err.pg.code ?? 'ERROR'}`)
    this.lost = err.lost
  }
}

type Control = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo'
const CONTROL: ReadonlyArray<[RegExp, Control]> = [
  [/^BEGIN( (DEFERRED|IMMEDIATE|EXCLUSIVE))?( TRANSACTION)?$/i, 'begin'],
  [/^(COMMIT|END)( TRANSACTION)?$/i, 'commit'],
  [/^ROLLBACK TO( SAVEPOINT)? \w+$/i, 'rollbackTo'],
  [/^ROLLBACK( TRANSACTION)?$/i, 'rollback'],
  [/^SAVEPOINT \w+$/i, 'savepoint'],
  [/^RELEASE( SAVEPOINT)? \w+$/i, 'release'],
]

export class PgDatabase {
  readonly #pg: SyncPg
  #inTransaction = false
  /** The connection was lost inside the open transaction: every statement fails until ROLLBACK. */
  #broken = false
  #savepoints = 0
  /** SAVEPOINT and RELEASE statements not yet sent, oldest first: see control(). */
  #pending: Array<{ readonly kind: 'savepoint' | 'release'; readonly name: string }> = []
  /** A statement of the open transaction failed, and no ROLLBACK TO has run since: PostgreSQL refuses
   *  everything but ROLLBACK (TO) until then, so nothing is put off. */
  #failed = false
  /** The database's URL without its password (better-sqlite3's `name` is the file). */
  readonly name: string

  constructor(opts: BridgeOptions & { readonly name: string }) {
    this.#pg = new SyncPg(opts)
    this.name = opts.name
  }

  get inTransaction(): boolean {
    return this.#inTransaction
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    const trimmed = sql.trim().replace(/;$/, '').replace(/\s+/g, ' ')
    const control = CONTROL.find(([re]) => re.test(trimmed))?.[1]
    const stmt = control !== undefined ? new ControlStatement(this, control, trimmed) : new PgStatement(this, sql)
    return stmt as unknown as Database.Statement<P, R>
  }

  /** better-sqlite3's db.transaction(fn): BEGIN (with the write lock) … COMMIT, or a savepoint when nested. */
  transaction<F extends (...args: never[]) => unknown>(fn: F): Database.Transaction<F> {
    const run = (...args: Parameters<F>): ReturnType<F> => {
      if (this.#inTransaction) {
        const name = `saraban_tx_${++this.#savepoints}`
        this.control('savepoint', `SAVEPOINT ${name}`)
        try {
          const out = fn(...args) as ReturnType<F>
          this.control('release', `RELEASE ${name}`)
          return out
        } catch (err) {
          if (this.#inTransaction) {
            this.control('rollbackTo', `ROLLBACK TO ${name}`)
            this.control('release', `RELEASE ${name}`)
          }
          throw err
        } finally {
          this.#savepoints--
        }
      }
      this.control('begin', 'BEGIN')
      try {
        const out = fn(...args) as ReturnType<F>
        this.control('commit', 'COMMIT')
        return out
      } catch (err) {
        if (this.#inTransaction) this.control('rollback', 'ROLLBACK')
        throw err
      }
    }
    const tx = Object.assign(run, { deferred: run, immediate: run, exclusive: run, default: run, database: this })
    return tx as unknown as Database.Transaction<F>
  }

  exec(sql: string): this {
    this.run(() => this.#pg.exec(sql, this.#unsent()), sql)
    return this
  }

  /** The few pragmas the code asks for; the rest (journal, sync, checkpoint settings) are SQLite's own. */
  pragma(source: string, opts?: { simple?: boolean }): unknown {
    const p = source.trim().toLowerCase()
    if (p === 'user_version') {
      const v = this.query('SELECT coalesce(max(version), 0) AS user_version FROM saraban_schema', []).rows[0] as { user_version: number }
      return opts?.simple === true ? v.user_version : [v]
    }
    if (p.startsWith('wal_checkpoint')) return [{ busy: 0, log: 0, checkpointed: 0 }]
    return opts?.simple === true ? undefined : []
  }

  function(): never {
    throw new Error('storage: SQL functions written in JavaScript exist only on SQLite (PostgreSQL runs the statement without one)')
  }

  /** What the connection's owner hears: made again after a loss (a restarted server), a stale
   *  answer dropped, the server out of reach past the reconnection window. */
  onConnection(listeners: ConnectionListeners): void {
    this.#pg.listeners = listeners
  }

  /** Calls `listener` after another process of the node committed (LISTEN/NOTIFY). */
  onForeignCommit(listener: () => void): () => void {
    return this.#pg.onForeignCommit(listener)
  }

  close(): this {
    void this.#pg.close()
    return this
  }

  closeAsync(): Promise<number> {
    return this.#pg.close()
  }

  /** Runs PostgreSQL's own text ($1, $2… already): migrate's and the pragmas' statements. */
  query(sql: string, values: readonly unknown[], rowMode?: 'array'): QueryResult {
    return this.run(() => this.#pg.query(sql, values, rowMode, this.#unsent()), sql)
  }

  /** Requests made to the connection's thread so far (each a round trip the event loop waited for). */
  get requests(): number {
    return this.#pg.requests
  }

  /** The statements put off (control()), to run before the next one; none are left. */
  #unsent(): string | undefined {
    if (this.#pending.length === 0) return undefined
    const pre = this.#pending.map((p) => `${p.kind === 'savepoint' ? 'SAVEPOINT' : 'RELEASE'} ${p.name}`).join('; ')
    this.#pending = []
    return pre
  }

  control(kind: Control, sql: string): void {
    // Inside a transaction that has not failed, SAVEPOINT and RELEASE are not sent on their own: they
    // go with the next request (a statement, a ROLLBACK TO), in order, and a SAVEPOINT released before
    // anything ran under it is not sent at all; COMMIT and ROLLBACK drop what is left (they end every
    // savepoint). Storage/db.ts wraps every write of a batch in a savepoint, so a write now costs its
    // statements' round trips of the event loop and no more (PROTOCOL.md, implementation notes, issue 19).
    // Neither can fail then but with the connection (the savepoints are the facade's own, and only a
    // failed statement makes PostgreSQL refuse them, after which nothing is put off): that failure is
    // reported by the request they went with, and the transaction fails either way.
    if (kind === 'savepoint' || kind === 'release' || kind === 'rollbackTo') {
      const name = (sql.trim().split(/\s+/).pop() ?? '').toLowerCase()
      const last = this.#pending.at(-1)
      const justMade = last?.kind === 'savepoint' && last.name === name // nothing ran since
      if (this.#inTransaction && !this.#failed) {
        if (kind === 'savepoint') return this.run(() => void this.#pending.push({ kind, name }), sql)
        if (kind === 'release') return this.run(() => void (justMade ? this.#pending.pop() : this.#pending.push({ kind, name })), sql)
        // ROLLBACK TO a savepoint nothing ran under: nothing to undo, and the savepoint stays.
        if (justMade) return this.run(() => undefined, sql)
      }
      this.run(() => this.#pg.exec(sql, this.#unsent()), sql)
      if (kind === 'rollbackTo') this.#failed = false // the transaction is usable again
      return
    }
    // BEGIN, COMMIT and ROLLBACK end every savepoint: the unsent ones are dropped.
    this.#pending = []
    this.#failed = false
    switch (kind) {
      case 'begin':
        if (this.#inTransaction) throw new TypeError('storage: cannot start a transaction within a transaction')
        // One round trip: the transaction, then the node's write lock (SQLite's BEGIN IMMEDIATE).
        try {
          this.run(() => this.#pg.exec(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`), sql)
        } catch (err) {
          // The lock was not had in time (SQLITE_BUSY): the transaction block is open and failed; end it.
          this.#broken = false
          try {
            this.#pg.exec('ROLLBACK')
          } catch {
            /* the connection is gone, and its transaction with it */
          }
          throw err
        }
        this.#inTransaction = true
        return
      case 'commit':
        // The NOTIFY is delivered with the COMMIT, to the other processes' LISTEN only if it commits.
        try {
          this.run(() => this.#pg.exec(`NOTIFY ${COMMIT_CHANNEL}; COMMIT`), sql)
        } finally {
          // Committed, refused (PostgreSQL then rolls back), or lost with the connection: over.
          this.#inTransaction = false
          this.#broken = false
        }
        return
      case 'rollback':
        if (this.#broken) {
          // The server rolled it back when the connection was lost (run() below).
          this.#broken = false
          this.#inTransaction = false
          return
        }
        try {
          this.run(() => this.#pg.exec('ROLLBACK'), sql)
        } finally {
          this.#inTransaction = false
        }
        return
    }
  }

  run<T>(fn: () => T, sql: string): T {
    if (this.#broken) {
      throw new StorageError(new PgQueryError({ message: 'the connection to PostgreSQL was lost during this transaction, which the server rolled back: nothing of it is stored' }, true), sql)
    }
    try {
      return fn()
    } catch (err) {
      if (!(err instanceof PgQueryError)) throw err
      // A lost connection took its transaction with it (the server rolled it back). The transaction
      // stays open here, failed, until its owner rolls it back: a statement that caught this error and
      // went on must not run on the new connection outside any transaction (half a write committed).
      if (err.lost && this.#inTransaction) this.#broken = true
      if (this.#inTransaction) this.#failed = true
      throw new StorageError(err, sql)
    }
  }
}

/** Whether a connection the stores were given is PostgreSQL's (a store that has no Db to ask). */
export function isPostgres(sqlite: unknown): boolean {
  return sqlite instanceof PgDatabase
}

/** The values in $n order, as better-sqlite3 binds them: positional arguments, or one object of named ones. */
function bind(t: Translated, params: readonly unknown[] | Record<string, unknown> | undefined): unknown[] {
  if (t.names !== undefined) {
    const named = (Array.isArray(params) ? params[0] : params) as Record<string, unknown> | undefined
    return t.names.map((n) => {
      if (named === undefined || !(n in named)) throw new RangeError(`Missing named parameter "${n}"`)
      return value(named[n])
    })
  }
  const list = (params ?? []) as unknown[]
  const flat = list.flatMap((v) => (Array.isArray(v) ? v : [v]))
  if (flat.length !== t.positional) throw new RangeError(`Too ${flat.length < t.positional ? 'few' : 'many'} parameter values were provided`)
  return flat.map(value)
}

function value(v: unknown): unknown {
  if (v === undefined) return null
  if (typeof v === 'boolean') throw new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null')
  return v
}

type Params = unknown[]

/** better-sqlite3's Statement over the bridge: run, get, all, iterate, pluck, raw. */
class PgStatement {
  readonly #db: PgDatabase
  readonly source: string
  /** PostgreSQL's text of `source`, made once (dialect.ts), and its typed form per kinds of values bound. */
  readonly #translated: Translated
  readonly #typed = new Map<string, string>()
  #pluck = false
  #raw = false

  constructor(db: PgDatabase, sql: string) {
    this.#db = db
    this.source = sql
    this.#translated = translate(sql)
  }

  #execute(params: Params, rowMode?: 'array'): QueryResult {
    const values = bind(this.#translated, params.length === 1 && isNamed(params[0]) ? (params[0] as Record<string, unknown>) : params)
    const signature = values.map(kindOf).join('')
    let text = this.#typed.get(signature)
    if (text === undefined) this.#typed.set(signature, (text = typed(this.#translated, signature)))
    return this.#db.query(text, values, rowMode)
  }

  pluck(on = true): this {
    this.#pluck = on
    if (on) this.#raw = false
    return this
  }

  raw(on = true): this {
    this.#raw = on
    if (on) this.#pluck = false
    return this
  }

  run(...params: Params): Database.RunResult {
    const r = this.#execute(params)
    return {
      changes: r.rowCount,
      // PostgreSQL has no rowid of the last insert (lastval() would name a log trigger's row as well as
      // the statement's): a store that needs the new key says RETURNING, on both engines.
      get lastInsertRowid(): never {
        throw new Error('storage: lastInsertRowid is SQLite\'s; use INSERT … RETURNING for the new key')
      },
    }
  }

  get(...params: Params): unknown {
    return this.#rows(params)[0]
  }

  all(...params: Params): unknown[] {
    return this.#rows(params)
  }

  iterate(...params: Params): IterableIterator<unknown> {
    return this.#rows(params)[Symbol.iterator]()
  }

  #rows(params: Params): unknown[] {
    const r = this.#execute(params, this.#pluck || this.#raw ? 'array' : undefined)
    if (this.#pluck) return r.rows.map((row) => (row as unknown[])[0])
    return r.rows
  }
}

function isNamed(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)
}

/** BEGIN, COMMIT, ROLLBACK and savepoints prepared by db.ts: the database tracks them. */
class ControlStatement {
  readonly #db: PgDatabase
  readonly #kind: Control
  readonly source: string

  constructor(db: PgDatabase, kind: Control, sql: string) {
    this.#db = db
    this.#kind = kind
    this.source = sql
  }

  run(): Database.RunResult {
    this.#db.control(this.#kind, this.source)
    return { changes: 0, lastInsertRowid: 0 }
  }
}
