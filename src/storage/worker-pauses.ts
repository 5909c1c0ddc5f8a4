// The backoff after a failure of a service every process of the node talks to (migration 045; issue 19
// item 2): one row per service (the TSA's is 'tsa', PROTOCOL.md §13.4), counting the failures since
// the last success and holding the time before which no process asks it again. Kept in the database,
// so a TSA that one process saw fail is not asked at once by the others. Write methods are synchronous:
// call them inside a Db.write fn.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export interface WorkerPause {
  /** failures since the last success, counted by every process */
  readonly failures: number
  readonly pausedUntil: number
  readonly lastError: string | null
  readonly failedAt: number
}

export class WorkerPauseStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Database.Statement<unknown[], R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      get: p<WorkerPause>(`SELECT failures, paused_until AS pausedUntil, last_error AS lastError, failed_at AS failedAt
        FROM worker_pauses WHERE name = ?`),
      fail: p<number>(`INSERT INTO worker_pauses (name, failures, paused_until, last_error, failed_at) VALUES (@name, 1, 0, @error, @now)
        ON CONFLICT (name) DO UPDATE SET failures = worker_pauses.failures + 1, last_error = excluded.last_error, failed_at = excluded.failed_at
        RETURNING failures`).pluck(),
      // Never shortened: two processes' failures at once leave the longer pause.
      pause: p(`UPDATE worker_pauses SET paused_until = CASE WHEN paused_until < @until THEN @until ELSE paused_until END WHERE name = @name`),
      clear: p<number>('DELETE FROM worker_pauses WHERE name = ? RETURNING failures').pluck(),
    }
  }

  get(name: string): WorkerPause | undefined {
    return this.#s.get.get(name)
  }

  /** Counts a failure; returns the failures counted since the last success, this one included. */
  fail(name: string, error: string, now: number): number {
    return this.#s.fail.get({ name, error: error.slice(0, 1000), now })!
  }

  /** No process asks before `until` (a later pause already set stays). */
  pauseUntil(name: string, until: number): void {
    this.#s.pause.run({ name, until })
  }

  /** A success: the count starts again. Returns the failures there were (0: none). */
  clear(name: string): number {
    return this.#s.clear.get(name) ?? 0
  }
}
