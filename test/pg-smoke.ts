import { startCluster } from './helpers/postgres.js'
import { Db } from '../src/storage/db.js'
const cluster = startCluster()
try {
  const url = cluster.createDatabase('smoke')
  const t0 = performance.now()
  const db = Db.openPostgres({ url })
  console.log('opened+migrated ms', performance.now() - t0)
  console.log(db.sqlite.prepare('SELECT count(*) AS n FROM outbox_messages').get())
  const r = await db.write(() => db.sqlite.prepare(`INSERT INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)`).run('a', 1))
  console.log(r.changes)
  console.log(db.sqlite.prepare('INSERT OR IGNORE INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)').run('a', 2).changes)
  const N = 2000; const t1 = performance.now()
  const st = db.sqlite.prepare('SELECT raised_at AS raisedAt FROM expiry_alerts WHERE alert_key = @k')
  for (let i = 0; i < N; i++) st.get({ k: 'a' })
  console.log('µs/query', (performance.now() - t1) * 1000 / N, st.get({ k: 'a' }))
  await db.close()
} finally { cluster.stop() }
