// Issue 19 §1: a node whose PostgreSQL database cannot be opened at start (out of reach, login
// refused, no such database, no right to create the schema) stops with one sentence naming the
// database and what to do, as `migrate` and `storage copy` do (cli/postgres.ts), not a stack trace.
import { pgFailure, pgUnreachable } from './connect.js'
import { StorageError } from './sync/database.js'

export class DatabaseOpenError extends Error {
  /** the server was out of reach (the CLI's exit 3) rather than refusing (exit 1) */
  readonly unreachable: boolean
  constructor(url: string, err: unknown) {
    // The bridge's failure carries PostgreSQL's (or the socket's) code as pgCode and its own message.
    const raw = err instanceof StorageError ? Object.assign(new Error((err.cause as Error).message), { code: err.pgCode }) : err
    const sentence = pgFailure(url, raw)
    super(`${sentence}${/[?.]$/.test(sentence) ? '' : '.'} The node did not start (storage.postgresql.url).`, { cause: err })
    this.name = 'DatabaseOpenError'
    this.unreachable = pgUnreachable(raw)
  }
}
