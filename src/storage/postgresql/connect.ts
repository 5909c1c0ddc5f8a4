// A connection to the node's PostgreSQL database (issue 19 §1). The driver is pg (node-postgres),
// chosen by measuring it against postgres.js on our workload (`npm run bench -- --case pg-drivers`):
// storing a letter (its 110 KB envelope a bytea parameter) ran at 1.5–2× the rate with pg and used
// about 40 % of postgres.js's client CPU, which sends every parameter as text (bytes as hex).
// int8 columns are read as BigInt, so integers are exact and compare with SQLite's (read with
// safeIntegers) value for value.
// TLS: storage.postgresql.caFile makes the connection verify the server's certificate and host name
// against that CA (any sslmode in the URL is then replaced); without it, the URL's sslmode decides
// (pg verifies the certificate for require and verify-full alike).
// pg is loaded on first use: every CLI command (start included) imports this module through the command
// table, and loading pg costs ~35–45 ms that only the PostgreSQL commands need.
import { readFileSync } from 'node:fs'
import type pg from 'pg'
import { SarabanError } from '../../errors.js'
import { redactDatabaseUrl } from '../../config/redact.js'

export type PgClient = pg.Client

export interface PgTarget {
  readonly url: string
  readonly caFile?: string | undefined
}

const INT8 = 20

/** Where and how to connect, without type parsers: cloneable, so the node's own connection thread
 *  (sync/bridge.ts) gets the same URL and TLS settings as `migrate` and `storage copy`. */
export function pgConnection(target: PgTarget): { connectionString: string; ssl?: { ca: Buffer; rejectUnauthorized: true }; connectionTimeoutMillis: number } {
  let url = target.url
  let ssl: { ca: Buffer; rejectUnauthorized: true } | undefined
  if (target.caFile !== undefined) {
    let ca: Buffer
    try {
      ca = readFileSync(target.caFile)
    } catch (err) {
      throw new SarabanError('ERR_CONFIG_INVALID', `storage.postgresql.caFile ${target.caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the PEM file of the CA that signed the database server's certificate`, { field: '/storage/postgresql/caFile' })
    }
    ssl = { ca, rejectUnauthorized: true }
    const u = new URL(url)
    for (const p of ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey']) u.searchParams.delete(p) // the URL's would replace ours
    url = u.toString()
  }
  return { connectionString: url, ...(ssl !== undefined ? { ssl } : {}), connectionTimeoutMillis: 10_000 }
}

/** The client configuration for a target; nothing is opened. */
function pgConfig(driver: typeof pg, target: PgTarget, application = 'saraban-node'): pg.ClientConfig {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8 && format !== 'binary' ? (v: string) => BigInt(v) : driver.types.getTypeParser(oid, format as 'text')) as typeof driver.types.getTypeParser,
  }
  return { ...pgConnection(target), application_name: application, types }
}

/** Opens one connection (migrate, storage copy). */
export async function connectClient(target: PgTarget, application?: string): Promise<PgClient> {
  const driver = (await import('pg')).default
  const client = new driver.Client(pgConfig(driver, target, application))
  client.on('error', () => {}) // a dropped connection fails the query in flight, which reports it
  await client.connect()
  return client
}

/** fn on one connection, closed after it whatever happens (migrate, storage copy, doctor). */
export async function withClient<T>(target: PgTarget, application: string, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await connectClient(target, application)
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** One transaction on one client: COMMIT when fn resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(client: PgClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    const out = await fn()
    await client.query('COMMIT')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT'])
/** The connection went away under a query: the server stopped, restarted or was shut down (57P0x),
 *  or the socket broke while writing (EPIPE) or reading (ECONNRESET, "Connection terminated"); pg then
 *  refuses every later query of that client ("… is not queryable"). */
const LOST = new Set(['EPIPE', 'ECONNRESET', '57P01', '57P02', '57P03'])

function lost(e: NodeJS.ErrnoException): boolean {
  return LOST.has(e.code ?? '') || /Connection terminated|is not queryable/i.test(e.message ?? '')
}

/** Whether a failure is the database being out of reach (exit 3) rather than a refusal. */
export function pgUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const e = err as NodeJS.ErrnoException
  return UNREACHABLE.has(e.code ?? '') || lost(e) || /connection timeout|timeout expired/i.test(e.message ?? '')
}

/** One sentence for a failure to reach or use the database, naming it without its password. */
export function pgFailure(url: string, err: unknown): string {
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException
  const where = redactDatabaseUrl(url)
  if (lost(e)) return `the connection to PostgreSQL at ${where} was lost (${e.message}): the server stopped or restarted; run the command again once it is up`
  if (pgUnreachable(err)) return `cannot reach PostgreSQL at ${where} (${e.code ?? e.message}): is the server running and is the URL's host and port (or ?host= socket directory) right?`
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `PostgreSQL at ${where}: the server's certificate does not name the host of the URL (${e.message}): connect by a name the certificate holds`
  if (e.code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)/.test(e.code)) return `PostgreSQL at ${where}: the server's certificate was not accepted (${e.code}): storage.postgresql.caFile (--ca-file) must be the CA that signed it`
  if (/does not support SSL/i.test(e.message ?? '')) return `PostgreSQL at ${where} does not speak TLS, and a CA file was given: turn ssl on in the server's postgresql.conf, or connect without caFile on a trusted network`
  if (e.code === '28P01' || e.code === '28000') return `PostgreSQL at ${where} refused the login (${e.message}): check the user and password in the URL (or SARABAN_POSTGRESQL_URL) and pg_hba.conf`
  if (e.code === '3D000') return `PostgreSQL at ${where}: ${e.message}: create it first (createdb -E UTF8)`
  if (e.code === '42501') return `PostgreSQL at ${where}: ${e.message}: the URL's user must own the database or have CREATE on its schema public (GRANT CREATE ON SCHEMA public TO …)`
  return `PostgreSQL at ${where}: ${e.message}`
}
