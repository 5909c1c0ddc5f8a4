// Issue 17 item 8 (c): the package installed the way docker/Dockerfile installs it, so the container
// path is exercised where no container engine runs: `npm run build`, then a fresh folder with what the
// image holds (package.json and its lock, dist/src, schemas/, certs-dev/, docker/entrypoint.sh and
// healthcheck.mjs), `npm ci --omit=dev` from the local cache, and a node started from that folder
// through the image's entrypoint, answering /healthz; the health check passes; SIGTERM exits 0.
//
// Native addons: without network (no prebuilt binaries) npm ci compiles better-sqlite3 from source,
// 5 to 7 minutes on the shared CI machine. By default the install runs with --ignore-scripts and the
// addons built by the development install (same lock, same Node) are copied in; SARABAN_INSTALL_FULL=1
// runs the install scripts as the Dockerfile does.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeNetFiles, freePort } from '../helpers/nodes.js'

const FULL = process.env.SARABAN_INSTALL_FULL === '1'
t.setTimeout((FULL ? 20 : 8) * 60_000)
const ROOT = join(import.meta.dirname, '../..')

const run = (cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }) =>
  new Promise<{ status: number | null; out: string }>((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: stdout + stderr }))
  })

const dir = mkdtempSync(join(tmpdir(), 'saraban-install-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const app = join(dir, 'app')

t.test('npm run build, then npm ci --omit=dev in a fresh folder with the built dist/', async (t) => {
  const build = await run('npm', ['run', 'build', '--silent'], { cwd: ROOT })
  t.equal(build.status, 0, `npm run build: ${build.out.slice(-2000)}`)
  t.ok(existsSync(join(ROOT, 'dist/src/main.js')), 'dist/src/main.js built')
  // docker/Dockerfile, final stage: COPY dist/src, package.json, schemas, certs-dev (+ the lock for npm ci).
  mkdirSync(join(app, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'dist/src'), join(app, 'dist/src'), { recursive: true })
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f))
  for (const d of ['schemas', 'certs-dev']) cpSync(join(ROOT, d), join(app, d), { recursive: true })
  mkdirSync(join(app, 'docker'))
  for (const f of ['entrypoint.sh', 'healthcheck.mjs']) cpSync(join(ROOT, 'docker', f), join(app, 'docker', f))

  const ci = await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', ...(FULL ? [] : ['--ignore-scripts'])], { cwd: app, env: { NODE_ENV: 'production' } })
  t.equal(ci.status, 0, `npm ci --omit=dev: ${ci.out.slice(-2000)}`)
  if (!FULL) {
    // The addons the development install built (see the header), for the packages that have one.
    const devModules = realpathSync(join(ROOT, 'node_modules'))
    for (const pkg of readdirSync(join(app, 'node_modules'))) {
      const built = join(devModules, pkg, 'build')
      if (existsSync(join(app, 'node_modules', pkg, 'binding.gyp')) && existsSync(built)) cpSync(built, join(app, 'node_modules', pkg, 'build'), { recursive: true })
    }
  }
  const devDeps = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies as Record<string, string>)
  t.same(devDeps.filter((d) => existsSync(join(app, 'node_modules', d))), [], 'no development dependency installed')
})

t.test('a node started from the installed folder through the image\'s entrypoint answers /healthz; SIGTERM exits 0', async (t) => {
  const apiPort = await freePort()
  const files = await writeNetFiles(['moi'], { apiPorts: { moi: apiPort }, logLevel: 'warn' })
  t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
  const child = spawn('sh', [join(app, 'docker/entrypoint.sh'), 'start', '--config', files.agencies.moi!.configFile], {
    cwd: app,
    env: { PATH: process.env.PATH!, NODE_ENV: 'production', SARABAN_CONFIG_DIR: files.dir, SARABAN_DATA_DIR: join(files.dir, 'moi', 'data') },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const end = Date.now() + 120_000
  while (!err.includes(' API http') && child.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
  t.match(err, / API http/, `the node listens: ${err.slice(-2000)}`)

  const res = await fetch(`http://127.0.0.1:${apiPort}/healthz`)
  t.equal(res.status, 200)
  t.match(await res.json(), { status: 'ok' })
  const health = await run(process.execPath, [join(app, 'docker/healthcheck.mjs'), String(apiPort)], { cwd: app })
  t.equal(health.status, 0, 'the image\'s health check passes on the node\'s own port')
  const doctor = await run(process.execPath, [join(app, 'dist/src/main.js'), 'doctor', '--config', files.agencies.moi!.configFile, '--only', 'ports,database'], { cwd: app })
  t.equal(doctor.status, 5, `doctor from the installed package sees the running node: ${doctor.out}`)

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM: exit 0')
})
