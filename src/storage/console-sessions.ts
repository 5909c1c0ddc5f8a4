// Console sessions' rows (migration 044; console/session.ts holds the rules). Writers are synchronous
// and run inside db.write().
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export interface SessionRow {
  readonly idSha256: string
  readonly csrf: string
  readonly keySha256: string | null
  readonly createdAt: number
  readonly lastSeenAt: number
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>
const COLS = 'id_sha256 AS idSha256, csrf, key_sha256 AS keySha256, created_at AS createdAt, last_seen_at AS lastSeenAt'

export class ConsoleSessionStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insert: p('INSERT INTO console_sessions (id_sha256, csrf, key_sha256, created_at, last_seen_at) VALUES (@idSha256, @csrf, @keySha256, @createdAt, @lastSeenAt)'),
      get: p<SessionRow>(`SELECT ${COLS} FROM console_sessions WHERE id_sha256 = ?`),
      touch: p('UPDATE console_sessions SET last_seen_at = @at WHERE id_sha256 = @id AND last_seen_at < @at'),
      remove: p('DELETE FROM console_sessions WHERE id_sha256 = ?'),
      count: p<number>('SELECT count(*) FROM console_sessions').pluck(),
      // Beyond the cap: login forms first, least recently used first; signed-in ones only when none is left.
      evict: p(`DELETE FROM console_sessions WHERE id_sha256 IN (SELECT id_sha256 FROM console_sessions
        ORDER BY key_sha256 IS NOT NULL, last_seen_at LIMIT @n)`),
    }
  }

  insert(r: SessionRow): void {
    this.#s.insert.run({ ...r })
  }

  get(idSha256: string): SessionRow | undefined {
    return this.#s.get.get(idSha256)
  }

  touch(idSha256: string, at: number): void {
    this.#s.touch.run({ id: idSha256, at })
  }

  remove(idSha256: string): void {
    this.#s.remove.run(idSha256)
  }

  /** Deletes the sessions beyond `max`, login forms first, least recently used first. Returns how many. */
  evictBeyond(max: number): number {
    const over = this.#s.count.get()! - max
    return over > 0 ? this.#s.evict.run({ n: over }).changes : 0
  }

  count(): number {
    return this.#s.count.get()!
  }
}
