// What the PostgreSQL server of the engines bench costs and where the node processes wait (issue 19
// item 7): the CPU time of the private cluster (test/helpers/postgres.ts), and samples of
// pg_stat_activity that count the node connections waiting for the node's write lock (the advisory
// lock every transaction takes, src/storage/postgresql/sync/database.ts).
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { procStat } from './proc.js'

/** The postmaster's pid of the cluster whose URL is given (`?host=` is the cluster's socket directory,
 *  beside its data directory). */
export function postmasterPid(url: string): number {
  const sock = new URL(url).searchParams.get('host')
  if (sock === null) throw new Error(`${url}: no ?host= socket directory`)
  return Number(readFileSync(join(dirname(sock), 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
}

const stat = procStat

/** CPU seconds of the whole server: the postmaster's own and its reaped children's (/proc stat fields 14–17),
 *  plus the live children's own (backends, checkpointer, WAL writer…). A backend that exits between two
 *  readings moves from the second term to the first: the difference of two readings stays right. */
export function serverCpuSeconds(postmaster: number): number {
  const f = stat(postmaster)
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === postmaster) continue
    try {
      const c = stat(Number(d))
      if (Number(c[1]) === postmaster) ticks += Number(c[11]) + Number(c[12])
    } catch {
      /* gone meanwhile */
    }
  }
  return ticks / 100
}

export interface DatabaseActivity {
  /** mean connections waiting for an advisory lock (the node's write lock) */
  readonly waiting: number
  /** mean connections running a statement */
  readonly active: number
  readonly samples: number
  /** transactions committed meanwhile (pg_stat_database.xact_commit: each statement outside a transaction counts as one) */
  readonly commits: number
}

/** Samples, every `everyMs`, how many connections to each of `databases` wait for an advisory lock and
 *  how many run a statement; stop() gives the means over the samples, and the commits meanwhile. */
export async function sampleLockWaits(url: string, databases: readonly string[], everyMs = 50): Promise<{ stop(): Promise<Record<string, DatabaseActivity>> }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  // The statistics collector's counters: read afresh in each transaction (pg_stat_clear_snapshot), flushed by backends within about a second.
  const commits = async () => {
    await client.query('SELECT pg_stat_clear_snapshot()')
    const r = await client.query<{ datname: string; n: string }>('SELECT datname, xact_commit AS n FROM pg_stat_database WHERE datname = ANY($1)', [databases])
    return new Map(r.rows.map((x) => [x.datname, Number(x.n)]))
  }
  const commits0 = await commits()
  const sums = new Map(databases.map((d) => [d, { waiting: 0, active: 0, samples: 0 }]))
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const r = await client.query<{ datname: string; waiting: string; active: string }>(
        `SELECT datname, count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory') AS waiting,
                count(*) FILTER (WHERE state = 'active') AS active
           FROM pg_stat_activity WHERE datname = ANY($1) GROUP BY datname`, [databases])
      for (const s of sums.values()) s.samples++
      for (const row of r.rows) {
        const s = sums.get(row.datname)!
        s.waiting += Number(row.waiting)
        s.active += Number(row.active)
      }
      await new Promise((res) => setTimeout(res, everyMs))
    }
  })()
  let stopping: Promise<Record<string, DatabaseActivity>> | undefined
  return {
    stop() {
      stopping ??= (async () => {
        stopped = true
        let commits1: Map<string, number>
        try {
          await loop
          await new Promise((res) => setTimeout(res, 1100)) // the backends' last counts reach the shared statistics
          commits1 = await commits()
        } finally {
          await client.end()
        }
        return Object.fromEntries([...sums].map(([d, s]) => [d, { waiting: s.waiting / Math.max(1, s.samples), active: s.active / Math.max(1, s.samples), samples: s.samples, commits: (commits1.get(d) ?? 0) - (commits0.get(d) ?? 0) }]))
      })()
      return stopping
    },
  }
}
