// Issue 19 item 2: the job leases' table (migration 041) and the statement that takes them
// (storage/process-leases.ts ACQUIRE_SQL) on PostgreSQL, migrated as `saraban-node migrate` does, with
// two connections: taken, refused while it runs, taken over once it ran out, renewed; and two takeovers
// of one expired lease at the same moment: the second waits for the first's commit and is refused.
import t from 'tap'
import { ACQUIRE_SQL } from '../../src/storage/process-leases.js'
import { connectClient, type PgClient } from '../../src/storage/postgresql/connect.js'
import { migratePostgres } from '../../src/storage/postgresql/migrate.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

const missing = postgresMissing()
const PARAMS = ['name', 'owner', 'until', 'now'] as const
/** The same text with PostgreSQL's numbered parameters. */
const PG_ACQUIRE = ACQUIRE_SQL.replace(/@(\w+)/g, (_, k: string) => `$${PARAMS.indexOf(k as (typeof PARAMS)[number]) + 1}`)

async function acquire(c: PgClient, name: string, owner: string, now: number, ms: number): Promise<string | undefined> {
  const r = await c.query<{ owner: string }>(PG_ACQUIRE, [name, owner, now + ms, now])
  return r.rows[0]?.owner
}

t.test('job leases on PostgreSQL', missing !== undefined ? { skip: missing } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const url = cluster.createDatabase('leases')
  const a = await connectClient({ url })
  const b = await connectClient({ url })
  t.teardown(async () => { await a.end(); await b.end() })
  await migratePostgres(a)
  t.notMatch(PG_ACQUIRE, /@/, 'every parameter numbered')

  const cols = await a.query<{ column_name: string; data_type: string; collation_name: string | null; is_nullable: string }>(
    `SELECT column_name, data_type, collation_name, is_nullable FROM information_schema.columns WHERE table_name = 'process_leases' ORDER BY ordinal_position`)
  t.same(cols.rows, [
    { column_name: 'name', data_type: 'text', collation_name: 'C', is_nullable: 'NO' },
    { column_name: 'owner', data_type: 'text', collation_name: 'C', is_nullable: 'NO' },
    { column_name: 'lease_until', data_type: 'bigint', collation_name: null, is_nullable: 'NO' },
    { column_name: 'acquired_at', data_type: 'bigint', collation_name: null, is_nullable: 'NO' },
  ], 'the table as in SQLite, in the baseline\'s dialect')
  const triggers = await a.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'process_leases'::regclass AND NOT tgisinternal`)
  t.equal(triggers.rowCount, 0, 'no log trigger')

  t.equal(await acquire(a, 'backup', 'host-a', 1_000, 60_000), 'host-a', 'taken when free')
  t.equal(await acquire(b, 'backup', 'host-b', 2_000, 60_000), undefined, 'refused while it runs')
  t.equal(await acquire(a, 'backup', 'host-a', 40_000, 60_000), 'host-a', 'renewed by its holder')
  t.equal(await acquire(b, 'backup', 'host-b', 61_001, 60_000), undefined, 'still running where the first lease would have ended')
  t.equal(await acquire(b, 'backup', 'host-b', 100_001, 60_000), 'host-b', 'taken over once it ran out')
  const row = await a.query<{ owner: string; lease_until: bigint; acquired_at: bigint }>(`SELECT owner, lease_until, acquired_at FROM process_leases WHERE name = 'backup'`)
  t.same(row.rows, [{ owner: 'host-b', lease_until: 160_001n, acquired_at: 100_001n }])

  // Two processes take over one expired lease at the same moment: b's INSERT … ON CONFLICT waits on
  // the row a's open transaction updated, then checks its WHERE against a's committed row: refused.
  await a.query('BEGIN')
  t.equal(await acquire(a, 'backup', 'host-a', 500_000, 60_000), 'host-a')
  let bDone = false
  const bAsk = acquire(b, 'backup', 'host-c', 500_000, 60_000).finally(() => { bDone = true })
  await new Promise((r) => setTimeout(r, 200))
  t.equal(bDone, false, 'the second takeover waits for the first transaction')
  await a.query('COMMIT')
  t.equal(await bAsk, undefined, 'and is refused once it committed')
  t.equal((await b.query<{ owner: string }>(`SELECT owner FROM process_leases WHERE name = 'backup'`)).rows[0]?.owner, 'host-a')
})
