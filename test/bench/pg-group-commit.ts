// npx tsx test/bench/pg-group-commit.ts [dist-dir]: the group commit's pattern on PostgreSQL through the
// synchronous bridge (storage/postgresql/sync/), batches of 10 writes of one INSERT and one SELECT, and
// what each write costs: CPU of the whole process (both threads), wall time, requests to the connection's
// thread. With a dist directory (a build's dist/ or tsc --outDir) it measures that build, so that two
// builds can be run alternately in one sitting (PROTOCOL.md implementation notes, issue 19).
import { join, resolve } from 'node:path'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const missing = postgresMissing()
if (missing !== undefined) throw new Error(missing)
const dir = process.argv[2]
const { Db } = (await import(dir === undefined ? '../../src/storage/db.js' : join(resolve(dir), 'src/storage/db.js'))) as typeof import('../../src/storage/db.js')
const cluster = startCluster()
try {
  const db = Db.openPostgres({ url: cluster.createDatabase('group_commit') })
  const insert = db.sqlite.prepare('INSERT INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)')
  const read = db.sqlite.prepare('SELECT raised_at FROM expiry_alerts WHERE alert_key = ?')
  const requests = (): number => (db.sqlite as unknown as { requests?: number }).requests ?? NaN
  const B = 10
  const rounds = Number(process.env['ROUNDS'] ?? 300)
  let k = 0
  const batch = () => Promise.all(Array.from({ length: B }, () => db.write(() => {
    const key = `k${k++}`
    insert.run(key, k)
    read.get(key)
  })))
  for (let i = 0; i < 30; i++) await batch() // warm-up
  const r0 = requests(), c0 = process.cpuUsage(), w0 = performance.now()
  for (let i = 0; i < rounds; i++) await batch()
  const c = process.cpuUsage(c0), w = performance.now() - w0, n = rounds * B
  console.log(`${dir ?? 'src'}: per write (INSERT + SELECT, batches of ${B}): CPU ${((c.user + c.system) / n).toFixed(0)} µs (user ${(c.user / n).toFixed(0)}, system ${(c.system / n).toFixed(0)}), wall ${((1000 * w) / n).toFixed(0)} µs, requests ${Number.isNaN(r0) ? 'not counted by this build' : ((requests() - r0) / n).toFixed(2)}`)
  await db.close()
} finally {
  cluster.stop()
}
