// Opening the node's SQLite file: private file modes, the pragmas every connection that writes needs,
// and the migrations (storage/db.ts wraps the connection in its group commit).
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { preparePrivateDir, preparePrivateFile, restrict } from './private-files.js'
import { migrate } from './migrations/index.js'

/** Opens `file` (creating its folder), sets the pragmas and runs pending migrations; closes it again if any of that fails. */
export function openConnection(file: string, opts: { synchronous: 'FULL' | 'NORMAL'; busyTimeoutMs: number }): Database.Database {
  // Issue 13 §1: the folder 0700, the database 0600 (SQLite gives -wal and -shm the database's mode).
  if (file !== ':memory:') {
    preparePrivateDir(dirname(file))
    preparePrivateFile(file)
  }
  const sqlite = new Database(file)
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    sqlite.pragma(`busy_timeout = ${opts.busyTimeoutMs}`)
    // WAL: readers never block the writer, and a commit is one append + one fsync.
    sqlite.pragma('journal_mode = WAL')
    // FULL fsyncs the WAL at every commit: the receipt we hand out once write() resolves is the
    // sender's legal proof that the letter entered our system (PROTOCOL.md §6.1), so the letter
    // must survive power loss. NORMAL may lose the last commits on power loss, never corrupts.
    sqlite.pragma(`synchronous = ${opts.synchronous}`)
    sqlite.pragma('foreign_keys = ON')
    // A burst of large envelopes grows the WAL; after a checkpoint, give the space back above 64 MiB.
    sqlite.pragma('journal_size_limit = 67108864')
    // PROTOCOL.md §19.9: deleted content (a destroyed inner envelope) is overwritten with zeros in the
    // database file and the WAL, not left in free pages; shred() then truncates the WAL.
    sqlite.pragma('secure_delete = ON')
    migrate(sqlite)
    if (file !== ':memory:') for (const f of [`${file}-wal`, `${file}-shm`]) restrict(f)
  } catch (err) {
    sqlite.close()
    throw err
  }
  return sqlite
}
