// Migrations on PostgreSQL (issue 19 §1): the same list as SQLite's (migrations/index.ts). PostgreSQL
// starts at POSTGRESQL_BASELINE with one squashed baseline (the schema SQLite reached by then); every
// later migration carries both dialects. The versions applied are rows of saraban_schema (SQLite keeps
// PRAGMA user_version instead).
// Several processes of one node may start together against one database (issue 19 §2): the whole
// run holds a transaction-scoped advisory lock, so one of them migrates and the others then find
// nothing to do. The run is one transaction (PostgreSQL's DDL is transactional): a failure, named by
// its migration, leaves the database as it was, nothing half applied.
import { MIGRATIONS, POSTGRESQL_BASELINE, SCHEMA_VERSION } from '../migrations/index.js'
import { inTransaction, type PgClient } from './connect.js'

/** pg_advisory_xact_lock key: the first 8 bytes of "saraban-node migrate", read as a signed int64. */
const MIGRATE_LOCK = BigInt.asIntN(64, BigInt('0x' + Buffer.from('saraban-node migrate').subarray(0, 8).toString('hex'))).toString()

export class SchemaTooNewError extends Error {
  constructor(readonly version: number) {
    super(`the PostgreSQL database is at migration ${version}, newer than this software (${SCHEMA_VERSION}): run the saraban-node version that wrote it`)
  }
}

/** The version the database is at: 0 when no migration was applied. */
export async function pgSchemaVersion(client: PgClient): Promise<number> {
  const exists = await client.query<{ e: boolean }>(`SELECT to_regclass('saraban_schema') IS NOT NULL AS e`)
  if (exists.rows[0]?.e !== true) return 0
  const row = await client.query<{ v: bigint }>('SELECT coalesce(max(version), 0)::bigint AS v FROM saraban_schema')
  return Number(row.rows[0]?.v ?? 0n)
}

const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS saraban_schema (
  version    bigint PRIMARY KEY,
  name       text NOT NULL,
  applied_at bigint NOT NULL
)`

/** What brings a database at `from` to SCHEMA_VERSION, in order (both runners below apply it). */
function plan(from: number): Array<{ version: number; name: string; text: string }> {
  if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from)
  const steps: Array<{ version: number; name: string; text: string }> = []
  let at = from
  for (const m of MIGRATIONS) {
    if (m.version <= at || m.version < POSTGRESQL_BASELINE) continue
    if (m.postgresql === undefined) throw new Error(`migration ${m.version} (${m.name}) has no PostgreSQL text: every migration after ${POSTGRESQL_BASELINE} must carry both dialects`)
    const name = m.version === POSTGRESQL_BASELINE && at === 0 ? `baseline (migrations 1–${m.version} squashed)` : m.name
    steps.push({ version: m.version, name, text: m.postgresql })
    at = m.version
  }
  return steps
}

function failed(step: { version: number; name: string }, err: unknown): Error {
  return new Error(`migration ${step.version} (${step.name}) failed on PostgreSQL: ${(err as Error).message}`, { cause: err })
}

/** Brings the database to SCHEMA_VERSION; returns the versions before and after. */
export async function migratePostgres(client: PgClient, now: () => number = Date.now): Promise<{ from: number; to: number }> {
  return inTransaction(client, async () => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK])
    await client.query(SCHEMA_TABLE)
    const from = await pgSchemaVersion(client)
    let to = from
    for (const step of plan(from)) {
      try {
        await client.query(step.text)
        await client.query('INSERT INTO saraban_schema (version, name, applied_at) VALUES ($1, $2, $3)', [step.version, step.name, now()])
      } catch (err) {
        throw failed(step, err)
      }
      to = step.version
    }
    return { from, to }
  })
}

/** The same, on the node's own connection as it opens (storage/db.ts openPostgres): one transaction
 *  under the same lock, so of several processes starting together one migrates. */
export function migratePostgresSync(db: { exec(sql: string): unknown; query(sql: string, values: unknown[]): { rows: unknown[] } }, now: () => number = Date.now): { from: number; to: number } {
  db.exec(`BEGIN; SELECT pg_advisory_xact_lock(${MIGRATE_LOCK}); ${SCHEMA_TABLE}`)
  try {
    const from = Number((db.query('SELECT coalesce(max(version), 0) AS v FROM saraban_schema', []).rows[0] as { v: number }).v)
    let to = from
    for (const step of plan(from)) {
      try {
        db.exec(step.text)
        db.query('INSERT INTO saraban_schema (version, name, applied_at) VALUES ($1, $2, $3)', [step.version, step.name, now()])
      } catch (err) {
        throw failed(step, err)
      }
      to = step.version
    }
    db.exec('COMMIT')
    return { from, to }
  } catch (err) {
    try {
      db.exec('ROLLBACK')
    } catch {
      /* the connection is gone: the server rolled back */
    }
    throw err
  }
}
