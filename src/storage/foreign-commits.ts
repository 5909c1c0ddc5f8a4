// Commits made by other processes of the node (issue 19 item 2: "events reach SSE clients connected
// to any process"). A process learns of its own commits from its write()s; another process's commit
// on the same SQLite file shows only as a new `PRAGMA data_version`, which changes for a connection
// exactly when another connection committed (https://sqlite.org/pragma.html#pragma_data_version).
// It is read every `intervalMs` while someone listens: a few microseconds, and nothing when no one
// does. PostgreSQL's counterpart is LISTEN/NOTIFY (PROTOCOL.md implementation note, issue 19).
import type Database from 'better-sqlite3'

export class ForeignCommits {
  readonly #sqlite: Database.Database
  readonly #intervalMs: number
  readonly #listeners = new Set<() => void>()
  #timer: NodeJS.Timeout | undefined
  #seen: number | undefined

  constructor(sqlite: Database.Database, intervalMs: number) {
    this.#sqlite = sqlite
    this.#intervalMs = intervalMs
  }

  /** Calls `listener` after other connections committed (at most once per interval); returns the stop. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener)
    if (this.#timer === undefined) {
      this.#seen = this.#version()
      this.#timer = setInterval(() => this.#poll(), this.#intervalMs)
      this.#timer.unref()
    }
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.stop()
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #version(): number {
    return this.#sqlite.pragma('data_version', { simple: true }) as number
  }

  #poll(): void {
    let v: number
    try {
      v = this.#version()
    } catch {
      return this.stop() // the connection closed under us
    }
    if (v === this.#seen) return
    this.#seen = v
    for (const l of [...this.#listeners]) l()
  }
}
