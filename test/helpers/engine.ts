// The storage suites on PostgreSQL (issue 19 §5): with SARABAN_TEST_ENGINE=postgresql, this module,
// loaded before a test file (test/postgresql/*.test.ts import it first), starts a private cluster for
// the file's process and makes every Db.open(file) of the file open a database of that cluster
// instead: a fresh one for ':memory:' and for each new path, the same one when a path is opened again
// (a reopen test). The stores, their statements and the tests' assertions are then the same on both
// engines. A test about SQLite itself (its files, WAL, pragmas) skips on PostgreSQL (`sqliteOnly`).
// Child processes a test starts (several processes on one database, issue 19 §2) load this module too
// (NODE_OPTIONS): a path the test process opened is the same database there; they start no cluster.
import { fileURLToPath } from 'node:url'
import { Db } from '../../src/storage/db.js'
import { startCluster, type TestCluster } from './postgres.js'

export const engine: 'sqlite' | 'postgresql' = process.env['SARABAN_TEST_ENGINE'] === 'postgresql' ? 'postgresql' : 'sqlite'

/** tap options for a test about SQLite itself: skipped on the PostgreSQL run. */
export const sqliteOnly = engine === 'postgresql' ? { skip: 'about SQLite itself (SARABAN_TEST_ENGINE=postgresql)' } : {}

const SHARED = 'SARABAN_TEST_PG_DATABASES'

if (engine === 'postgresql') {
  const child = process.env[SHARED] !== undefined
  let cluster: TestCluster | undefined
  const databases = new Map<string, string>(Object.entries(JSON.parse(process.env[SHARED] ?? '{}') as Record<string, string>))
  let n = 0
  const sqliteOpen = Db.open.bind(Db)
  const share = (): void => {
    process.env[SHARED] = JSON.stringify(Object.fromEntries(databases))
    const me = `--import=${import.meta.resolve('tsx')} --import=${fileURLToPath(import.meta.url)}`
    if (!(process.env['NODE_OPTIONS'] ?? '').includes(me)) process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} ${me}`.trim()
  }
  Db.open = (file, opts = {}) => {
    let url = file === ':memory:' ? undefined : databases.get(file)
    if (url === undefined) {
      if (child) return sqliteOpen(file, opts) // a database the test process did not open: not shared
      if (cluster === undefined) {
        cluster = startCluster()
        process.on('exit', () => cluster?.stop())
      }
      url = cluster.createDatabase(`t${++n}`)
      if (file !== ':memory:') {
        databases.set(file, url)
        share()
      }
    }
    return Db.openPostgres({ url }, { ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}), ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}) })
  }
}
