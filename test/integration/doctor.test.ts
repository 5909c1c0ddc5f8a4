// Issue 17 item 7: `saraban-node doctor`. A good configuration passes every check (exit 0); each fault
// injected makes its check fail with its sentence and fix, and the exit code says so (1 a failure,
// 5 warnings only). Most cases run the checks in this process (the same table the CLI runs); three
// spawn the real CLI for its exit codes, output and --json.
import t from 'tap'
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { writeNetFiles } from '../helpers/nodes.js'
import { foreignFederation } from '../helpers/federation.js'
import { testTsa } from '../helpers/tsa.js'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { signDirectory } from '../../src/pki/directory.js'
import { runDoctor, type DoctorReport } from '../../src/services/doctor/index.js'
import { doctorExitCode } from '../../src/cli/doctor.js'
import { migrateCommand } from '../../src/cli/migrate.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { SCHEMA_VERSION } from '../../src/storage/migrations/index.js'

t.setTimeout(600_000)
const MAIN = join(import.meta.dirname, '../../src/main.ts')

const files = await writeNetFiles(['moi'])
t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
const moiDir = join(files.dir, 'moi')
const { configFile } = files.agencies.moi!
const original = readFileSync(configFile, 'utf8')

/** A copy of moi's node.json (in moi's folder, so its relative paths hold) with `edit` applied. */
const editConfig = (edit: (c: Record<string, any>) => void): string => {
  const c = JSON.parse(original) as Record<string, any>
  edit(c)
  const file = join(moiDir, `edited-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify(c))
  return file
}

const doctor = (file: string, only?: string[], env: Record<string, string> = {}): Promise<DoctorReport> =>
  runDoctor({ config: loadConfig({ file, env, packageRoot: process.cwd() }), now: () => new Date() }, only)

const check = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name)!

const cli = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LOG_LEVEL: 'silent' } }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

t.test('a good configuration: every check ok, exit 0 (the real CLI)', async (t) => {
  const r = await cli(['doctor', '--config', configFile])
  t.equal(r.status, EXIT.OK, r.stdout + r.stderr)
  for (const name of ['files', 'keys', 'chains', 'directory', 'ports', 'clock', 'database']) t.match(r.stdout, new RegExp(`^ok\\s+${name}\\s`, 'm'), `${name} ok`)
  t.match(r.stdout, /all checks ok/)
  t.notMatch(r.stdout, /WARN|FAIL/)
})

t.test('a private key readable by others (0644): files fails with the chmod, exit 1 (the real CLI, text and --json)', async (t) => {
  const key = join(moiDir, 'signing.key.pem')
  chmodSync(key, 0o644)
  t.teardown(() => chmodSync(key, 0o600))
  const r = await cli(['doctor', '--config', configFile])
  t.equal(r.status, EXIT.FAILED)
  t.match(r.stdout, /^FAIL files .*signing\.key\.pem \(\/agencies\/0\/signing\/key\) has mode 0644.*Run `chmod 600 .*signing\.key\.pem`\./m)
  const j = await cli(['doctor', '--config', configFile, '--json', '--only', 'files,keys'])
  t.equal(j.status, EXIT.FAILED)
  const report = JSON.parse(j.stdout) as DoctorReport
  t.equal(report.level, 'fail')
  t.same(report.checks.map((c) => [c.name, c.level]), [['files', 'fail'], ['keys', 'ok']])
  t.match(report.checks[0]!.findings[0]!.fix, /^Run `chmod 600 /)
})

t.test('the key of another certificate: keys fails, exit 1', async (t) => {
  const other = join(moiDir, 'other-signing.key.pem')
  writeFileSync(other, files.fed.agencies.mof!.signing.keyPem, { mode: 0o600 })
  const r = await doctor(editConfig((c) => { c.agencies[0].signing.key = 'other-signing.key.pem' }))
  t.equal(check(r, 'keys').level, 'fail')
  t.match(check(r, 'keys').findings[0], { message: /other-signing\.key\.pem \(\/agencies\/0\/signing\/key\) is not the key of the certificate .*signing\.chain\.pem/, fix: /Give the key the certificate was issued for/ })
  t.equal(check(r, 'files').level, 'ok')
  t.equal(doctorExitCode(r.level), EXIT.FAILED)
})

t.test('a certificate from another CA: chains fails (its key matches), exit 1', async (t) => {
  const foreign = (await foreignFederation()).agencies.moi!.tls
  writeFileSync(join(moiDir, 'foreign-tls.key.pem'), foreign.keyPem, { mode: 0o600 })
  writeFileSync(join(moiDir, 'foreign-tls.chain.pem'), foreign.chainPem)
  const r = await doctor(editConfig((c) => { c.tls = { key: 'foreign-tls.key.pem', cert: 'foreign-tls.chain.pem' } }))
  t.equal(check(r, 'keys').level, 'ok', 'the key is that certificate\'s')
  t.equal(check(r, 'chains').level, 'fail')
  t.match(check(r, 'chains').findings[0], { message: /tls certificate .*foreign-tls\.chain\.pem \(\/tls\/cert\) does not validate to the trust anchors/, fix: /federation CA/ })
  t.match(check(r, 'directory').findings.map((f) => f.message).join('\n'), /does not list this node's TLS certificate/)
  t.equal(doctorExitCode(r.level), EXIT.FAILED)
})

t.test('a directory without this node: directory fails, exit 1', async (t) => {
  const without = { ...files.directory, serial: files.directory.serial + 1, agencies: files.directory.agencies.filter((a) => a.id !== 'moi') }
  writeFileSync(join(files.dir, 'directory-without-moi.jws'), await signDirectory(without, { key: files.fed.directoryIssuer.key, chain: files.fed.directoryIssuer.chain }))
  const r = await doctor(editConfig((c) => { c.trust.directory = '../directory-without-moi.jws' }))
  t.equal(check(r, 'directory').level, 'fail')
  t.match(check(r, 'directory').findings[0], { message: /does not list the agency moi \(\/agencies\/0\)/, fix: /directory-entry\.json/ })
  t.equal(doctorExitCode(r.level), EXIT.FAILED)
})

t.test('the federation port taken by another program: ports fails, exit 1', async (t) => {
  const sockets = new Set<import('node:net').Socket>()
  const squatter = createServer((s) => { sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>((r) => squatter.listen(files.agencies.moi!.federationPort, '127.0.0.1', r))
  let r
  try {
    r = await doctor(configFile, ['ports'])
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise<void>((res) => squatter.close(() => res()))
  }
  t.equal(check(r, 'ports').level, 'fail')
  t.match(check(r, 'ports').findings[0], { level: 'fail', message: new RegExp(`127\\.0\\.0\\.1:${files.agencies.moi!.federationPort} \\(federation\\.port\\) is in use by another program`), fix: /Stop the program that uses it/ })
  t.equal(doctorExitCode(r.level), EXIT.FAILED)
})

t.test('the node already running on its ports: ports warns and says so, exit 5 (the real CLI)', async (t) => {
  const config = loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() })
  const ctx = await createContext(config, { log: createLogger('silent') })
  t.teardown(() => ctx.close())
  await ctx.listen()
  const r = await cli(['doctor', '--config', configFile, '--only', 'ports'])
  t.equal(r.status, EXIT.WARNINGS, r.stdout + r.stderr)
  t.match(r.stdout, /^WARN ports .*\(federation\.port\) is in use by a saraban node already running with this TLS certificate/m)
})

t.test('a database at a newer migration: database fails (you run an older node), exit 1', async (t) => {
  const dataDir = join(moiDir, 'newer-data')
  mkdirSync(dataDir, { mode: 0o700 })
  const db = new Database(join(dataDir, 'saraban.sqlite'))
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  db.close()
  chmodSync(join(dataDir, 'saraban.sqlite'), 0o600)
  const r = await doctor(editConfig((c) => { c.dataDir = './newer-data' }), ['database'])
  t.equal(check(r, 'database').level, 'fail')
  t.match(check(r, 'database').findings[0], { message: new RegExp(`at migration ${SCHEMA_VERSION + 1}, newer than this software knows \\(${SCHEMA_VERSION}\\)`), fix: /older saraban-node/ })
  t.equal(doctorExitCode(r.level), EXIT.FAILED)
})

t.test('a database at an older migration: a warning naming migrate; after migrate, ok', async (t) => {
  const dataDir = join(moiDir, 'older-data')
  mkdirSync(dataDir, { mode: 0o700 })
  new Database(join(dataDir, 'saraban.sqlite')).close() // user_version 0
  chmodSync(join(dataDir, 'saraban.sqlite'), 0o644)
  const open = await doctor(editConfig((c) => { c.dataDir = './older-data' }), ['database'])
  t.match(open.checks[0]!.findings[0], { level: 'fail', message: /has mode 0644/, fix: /chmod 600/ }, 'a database others can read: the node would refuse it')
  chmodSync(join(dataDir, 'saraban.sqlite'), 0o600)
  const file = editConfig((c) => { c.dataDir = './older-data' })
  const before = await doctor(file, ['database'])
  t.equal(before.level, 'warn')
  t.match(before.checks[0]!.findings[0], { message: /at migration 0/, fix: /saraban-node migrate --config/ })
  t.equal(doctorExitCode(before.level), EXIT.WARNINGS)
  // migrate prints to stdout, which is also where tap writes: silence it for the call only, and
  // assert after stdout is back (an assertion made while it is silenced can lose its TAP line).
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  let code: number
  try {
    code = await migrateCommand.run(['--config', file])
  } finally {
    process.stdout.write = write
  }
  t.equal(code, EXIT.OK)
  t.equal((await doctor(file, ['database'])).level, 'ok')
})

t.test('the clock against the TSA: ok in step, a failure 5 minutes apart', async (t) => {
  const inStep = await testTsa()
  const behind = await testTsa({ clock: { now: () => Date.now() - 300_000 } })
  t.teardown(async () => { await inStep.stop(); await behind.stop() })
  const good = await doctor(editConfig((c) => { c.tsa = { url: inStep.url } }), ['clock'])
  t.equal(good.level, 'ok', JSON.stringify(good))
  const bad = await doctor(editConfig((c) => { c.tsa = { url: behind.url, maxClockSkewSeconds: 60 } }), ['clock'])
  t.equal(bad.level, 'fail')
  t.match(bad.checks[0]!.findings[0], { message: /clock is 30\d s ahead of the TSA's \(tsa\.maxClockSkewSeconds 60\)/, fix: /NTP/ })
})

t.test('a key on a PKCS#11 token that cannot be reached: keys notes it (a warning), the other keys are checked', async (t) => {
  const file = editConfig((c) => { c.agencies[0].signing = { pkcs11: { module: join(files.dir, 'no-such-pkcs11.so'), tokenLabel: 'saraban', keyLabel: 'signing' }, cert: 'signing.chain.pem' } })
  const r = await doctor(file, ['keys', 'chains'], { SARABAN_PKCS11_PIN: '123456' })
  t.equal(check(r, 'keys').level, 'warn')
  t.match(check(r, 'keys').findings, [{ level: 'warn', message: /\/agencies\/0\/signing is on a PKCS#11 token that cannot be reached here .*not checked/, fix: /where the token is plugged in/ }])
  t.equal(check(r, 'chains').level, 'ok', 'its certificate chain is still checked')
  t.equal(doctorExitCode(r.level), EXIT.WARNINGS)
})
