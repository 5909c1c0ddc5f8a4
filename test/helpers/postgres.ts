// A real PostgreSQL for tests (issue 19 §5): a private cluster in a temp directory, started with
// Debian's own binaries, listening on a unix socket only (no TCP port to collide with another run).
// PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to the `postgres` user
// that Debian's package creates, and the tests connect over the socket with trust authentication.
// One cluster per tap file; each test takes a database of its own (`createDatabase`).
import { execFile, execFileSync, spawn } from 'node:child_process'
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROLE = 'saraban'

/** The directory of initdb / pg_ctl, newest version first, or undefined. */
function binDir(): string | undefined {
  const env = process.env['SARABAN_PG_BIN']
  if (env) return existsSync(join(env, 'initdb')) ? env : undefined
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (binDir() === undefined) return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (.ci/run does), or set SARABAN_PG_BIN'
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' })
    } catch {
      return 'running as root and there is no postgres user to own the test cluster: apt-get install postgresql creates it'
    }
  }
  return undefined
}

export interface TestCluster {
  /** A connection URL for a database of the cluster over its unix socket (`?host=` is the directory). */
  url(database?: string): string
  /** With `tls`: the TCP port on 127.0.0.1 where the server also speaks TLS. */
  readonly port?: number
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): string
  /** Runs SQL through psql as the test role (for setup outside the code under test). */
  psql(database: string, sql: string): string
  restart(): void
  /** Stops the server (fast: sessions are cut), keeps it down `downMs`, starts it again; the caller's
   *  event loop runs meanwhile (clients in the same process see the outage). */
  restartAsync(downMs: number): Promise<void>
  /** Stops the server now and has another process start it again `downMs` later: it comes back even
   *  while this thread is blocked (a synchronous connection waiting on it). */
  stopFor(downMs: number): void
  /** Whether the server runs now (pg_ctl status), read without the event loop. */
  running(): boolean
  stop(): void
}

/** Starts a private cluster; stop() removes it. With `tls`, it also listens on 127.0.0.1:`tls.port`
 *  with ssl on (`off`: a server without TLS), presenting that certificate (PEM files; the key is copied
 *  for the server's owner). */
export function startCluster(opts: { tls?: { certFile: string; keyFile: string; port: number; off?: boolean } } = {}): TestCluster {
  const bin = binDir()
  if (bin === undefined) throw new Error(postgresMissing())
  const root = mkdtempSync(join(tmpdir(), 'saraban-pg-'))
  const data = join(root, 'data')
  const sock = join(root, 'sock')
  const asRoot = process.getuid?.() === 0
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root }).toString()
  }
  chmodSync(root, 0o755)
  execFileSync('mkdir', ['-p', sock])
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    chownSync(root, uid, gid)
    chownSync(sock, uid, gid)
  }
  run('initdb', ['-D', data, '-A', 'trust', '-U', ROLE, '-E', 'UTF8', '--locale', 'C', '--no-sync'])
  let listen = '-c listen_addresses='
  if (opts.tls !== undefined) {
    // PostgreSQL refuses a key file that others can read or that another user owns
    const cert = join(root, 'server.crt'), key = join(root, 'server.key')
    copyFileSync(opts.tls.certFile, cert)
    copyFileSync(opts.tls.keyFile, key)
    chmodSync(key, 0o600)
    if (asRoot) for (const f of [cert, key]) execFileSync('chown', ['postgres:postgres', f])
    listen = `-c listen_addresses=127.0.0.1 -p ${opts.tls.port} -c ssl=${opts.tls.off === true ? 'off' : 'on'} -c ssl_cert_file=${cert} -c ssl_key_file=${key}`
  }
  const startArgs = ['-D', data, '-w', '-l', join(root, 'log'), '-o', `-k ${sock} ${listen} -c max_connections=60`, 'start']
  const start = () => run('pg_ctl', startArgs)
  const runAsync = (tool: string, args: string[]) => new Promise<void>((resolve, reject) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    execFile(cmd, argv, { cwd: root }, (err) => (err ? reject(err) : resolve()))
  })
  start()
  const port = opts.tls?.port ?? 5432 // the socket file's name carries the port
  const url = (database = 'postgres') => `postgres://${ROLE}@localhost:${port}/${database}?host=${encodeURIComponent(sock)}`
  const psql = (database: string, sql: string) =>
    execFileSync(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', sock, '-p', String(port), '-U', ROLE, '-d', database, '-c', sql], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  let stopped = false
  return {
    url,
    ...(opts.tls !== undefined ? { port: opts.tls.port } : {}),
    createDatabase(name) {
      psql('postgres', `CREATE DATABASE "${name}"`)
      return url(name)
    },
    psql,
    restart() {
      run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop'])
      start()
    },
    async restartAsync(downMs) {
      await runAsync('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop'])
      await new Promise((r) => setTimeout(r, downMs))
      await runAsync('pg_ctl', startArgs)
    },
    stopFor(downMs) {
      run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop'])
      const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...startArgs]] : [join(bin, 'pg_ctl'), startArgs]
      spawn('sh', ['-c', 'sleep "$0"; exec "$@"', String(downMs / 1000), cmd, ...argv], { cwd: root, stdio: 'ignore' })
    },
    running() {
      try {
        run('pg_ctl', ['-D', data, 'status'])
        return true
      } catch {
        return false
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop'])
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
}
