// Issue 21 §2: the ordinary mistakes of the first hour, each through the real CLI (a spawned
// `saraban-node`): an exit code of the table in src/cli/exit-codes.ts, one sentence on stderr that
// names the file, config key or port at fault, and no stack trace. Plus: a node whose API port is
// taken does not keep its federation port open. Each spawn compiles the CLI: the file takes minutes.
import t from 'tap'
import { execFile } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeNetFiles, freePort } from '../helpers/nodes.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { postgresMissing, startCluster } from '../helpers/postgres.js'

t.setTimeout(600_000)
const MAIN = join(import.meta.dirname, '../../src/main.ts')

const cli = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'silent', ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

const noStack = (t: { notMatch(s: string, re: RegExp, m: string): unknown }, stderr: string) => t.notMatch(stderr, /\n\s+at .+\(?.+:\d+:\d+\)?/, 'no stack trace')

const files = await writeNetFiles(['moi'])
t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
const { configFile, apiKey } = files.agencies.moi!
const original = readFileSync(configFile, 'utf8')
const editConfig = (edit: (c: Record<string, any>) => void): string => {
  const c = JSON.parse(original) as Record<string, any>
  edit(c)
  const file = join(files.dir, 'moi', `edited-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify(c))
  return file
}
const start = (file: string, env: Record<string, string> = {}) => cli(['start', '--config', file], env)

t.test('a missing config file is reported missing, not "not valid"', async (t) => {
  const r = await cli(['start', '--config', join(files.dir, 'nope.json')])
  t.equal(r.status, EXIT.CONFIG)
  t.match(r.stderr, /nope\.json does not exist; check the --config path/)
  t.notMatch(r.stderr, /not valid/)
  noStack(t, r.stderr)
})

t.test('config errors are printed once each', async (t) => {
  const r = await start(editConfig((c) => { c.api.port = 'eighty'; c.federation.port = -1 }))
  t.equal(r.status, EXIT.CONFIG)
  for (const field of ['/api/port', '/federation/port']) t.equal(r.stderr.split(field).length - 1, 1, `${field} named once`)
  noStack(t, r.stderr)
})

t.test('a key or certificate file missing names the config key and the file', async (t) => {
  const r = await start(editConfig((c) => { c.tls.key = 'no-such.key.pem' }))
  t.equal(r.status, EXIT.CONFIG)
  t.match(r.stderr, /\/tls\/key the key file .*no-such\.key\.pem does not exist/)
  noStack(t, r.stderr)
  const cert = await start(editConfig((c) => { c.agencies[0].encryption.cert = 'gone.chain.pem' }))
  t.equal(cert.status, EXIT.CONFIG)
  t.match(cert.stderr, /\/agencies\/0\/encryption\/cert the certificate file .*gone\.chain\.pem does not exist/)
  noStack(t, cert.stderr)
})

t.test('a wrong key passphrase names the key and the config key of its passphrase', async (t) => {
  const key = createPrivateKey(readFileSync(join(files.dir, 'moi', 'signing.key.pem')))
  writeFileSync(join(files.dir, 'moi', 'signing.enc.pem'), key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right one' }), { mode: 0o600 })
  const file = editConfig((c) => { c.agencies[0].signing.key = 'signing.enc.pem'; c.agencies[0].signing.passphraseEnv = 'MOI_SIGNING_PASS' })
  const r = await start(file, { MOI_SIGNING_PASS: 'wrong one' })
  t.equal(r.status, EXIT.CONFIG)
  t.match(r.stderr, /\/agencies\/0\/signing\/passphraseEnv the passphrase in the environment variable MOI_SIGNING_PASS does not open the key file .*signing\.enc\.pem/)
  t.notMatch(r.stderr, /bad decrypt/)
  noStack(t, r.stderr)
})

t.test('a key that is not its certificate\'s: one sentence, no stack', async (t) => {
  const r = await start(editConfig((c) => { c.tls.key = 'signing.key.pem' }))
  t.equal(r.status, EXIT.CONFIG)
  t.match(r.stderr, /\/tls\/key the key file .*signing\.key\.pem is not the key of the certificate .*tls\.chain\.pem/)
  noStack(t, r.stderr)
})

t.test('API port in use: names the port and api.port, exits, and does not keep the federation port', async (t) => {
  const apiPort = await freePort()
  const taken: Server = createServer()
  await new Promise<void>((r) => taken.listen(apiPort, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => taken.close(() => r())))
  const federationPort = await freePort()
  const r = await start(editConfig((c) => { c.api.port = apiPort; c.federation.port = federationPort }))
  t.equal(r.status, EXIT.UNAVAILABLE, r.stderr)
  t.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${apiPort} \\(the port is already in use\\): it is api\\.port in `))
  noStack(t, r.stderr)
  // The process has exited (execFile returned) and the federation port it had bound is free again.
  const probe = createServer()
  await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(federationPort, '127.0.0.1', resolve) })
  await new Promise<void>((r) => probe.close(() => r()))
  t.pass('the federation port was released')
})

t.test('send: a node that is down, an --api without scheme, a missing --attach', async (t) => {
  const down = `http://127.0.0.1:${await freePort()}`
  const base = ['send', '--key', 'k', '--to', 'mof', '--subject', 'ทดสอบ']
  const r = await cli([...base, '--api', down])
  t.equal(r.status, EXIT.UNAVAILABLE)
  t.match(r.stderr, new RegExp(`the node's API at ${down.replace(/\./g, '\\.')} cannot be reached \\(connection refused\\)`))
  noStack(t, r.stderr)

  const noScheme = await cli([...base, '--api', '127.0.0.1:43083'])
  t.equal(noScheme.status, EXIT.USAGE)
  t.match(noScheme.stderr, /--api 127\.0\.0\.1:43083 is not an http\(s\) URL: write it with its scheme, e\.g\. --api http:\/\/127\.0\.0\.1:43083/)
  noStack(t, noScheme.stderr)

  const debug = await cli([...base, '--api', '127.0.0.1:43083', '--debug'])
  t.equal(debug.status, EXIT.USAGE, '--debug changes nothing but the output')
  t.match(debug.stderr, /\n\s+at .*send\.ts:\d+/, '--debug adds the stack trace')

  const attach = await cli([...base, '--api', down, '--attach', join(files.dir, 'letter.pdf')])
  t.equal(attach.status, EXIT.USAGE)
  t.match(attach.stderr, /cannot read .*letter\.pdf \(--attach\): no such file or directory/)
  noStack(t, attach.stderr)
})

t.test('verify-evidence --anchors with a missing file', async (t) => {
  const r = await cli(['verify-evidence', join(files.dir, 'evidence.tar'), '--anchors', join(files.dir, 'no-root.pem')])
  t.equal(r.status, EXIT.USAGE)
  t.match(r.stderr, /cannot read .*no-root\.pem \(--anchors\): no such file or directory/)
  noStack(t, r.stderr)
})

t.test('start on PostgreSQL: a server out of reach (exit 3), a database that does not exist (exit 1), each one sentence naming it and what to do', postgresMissing() !== undefined ? { skip: postgresMissing() } : {}, async (t) => {
  const cluster = startCluster()
  t.teardown(() => cluster.stop())
  const existing = cluster.createDatabase('cli_failures')
  const missingDb = existing.replace(/\/cli_failures(\?|$)/, '/no_such_db$1')
  const closed = `postgresql://saraban:secret@127.0.0.1:${await freePort()}/saraban`
  const on = (url: string) => editConfig((c) => { c.storage = { ...c.storage, engine: 'postgresql', postgresql: { url } } })
  // Out of reach: the node waits for the server as it would after a restart (10 s), then stops.
  const [down, absent] = await Promise.all([start(on(closed)), start(on(missingDb))])
  t.equal(down.status, EXIT.UNAVAILABLE)
  t.match(down.stderr, /cannot reach PostgreSQL at postgresql:\/\/saraban:\S*redacted\S*@127\.0\.0\.1:\d+\/saraban \(ECONNREFUSED\): is the server running .*\? The node did not start \(storage\.postgresql\.url\)\./)
  t.notMatch(down.stderr, /secret|unexpected error/, 'no password, and not reported as a bug')
  noStack(t, down.stderr)
  t.equal(absent.status, EXIT.FAILED)
  t.match(absent.stderr, /database "no_such_db" does not exist: create it first \(createdb -E UTF8\)\. The node did not start/)
  noStack(t, absent.stderr)
})

t.test('--help lists the exit codes', async (t) => {
  const r = await cli(['--help'])
  t.equal(r.status, 0)
  t.match(r.stdout, /Exit codes \(every command\):[\s\S]*3  unavailable[\s\S]*4  configuration/)
})
