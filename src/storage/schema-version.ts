// The database file a node would open, looked at without changing it (issue 17 item 7, `doctor`):
// its schema version (PRAGMA user_version, the last migration applied: migrations/index.ts) read
// through a read-only connection, so a check never migrates nor creates anything.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SCHEMA_VERSION } from './migrations/index.js'

/** The one database file of a node in its data directory (wire/storage.ts opens the same). */
export const databaseFile = (dataDir: string): string => join(dataDir, 'saraban.sqlite')

export type SchemaState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'found'; readonly version: number; readonly latest: number }
  | { readonly kind: 'unreadable'; readonly reason: string }

/** The schema version of `file`, or why it cannot be read; never writes. */
export function schemaState(file: string): SchemaState {
  if (!existsSync(file)) return { kind: 'absent' }
  let sqlite: Database.Database | undefined
  try {
    sqlite = new Database(file, { readonly: true, fileMustExist: true })
    const version = sqlite.pragma('user_version', { simple: true }) as number
    return { kind: 'found', version, latest: SCHEMA_VERSION }
  } catch (err) {
    return { kind: 'unreadable', reason: (err as Error).message }
  } finally {
    sqlite?.close()
  }
}
