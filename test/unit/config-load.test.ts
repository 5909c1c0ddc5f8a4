// loadConfig: defaults, paths, env overrides, every problem at once, contradictions, secrets.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { loadConfig, redactedConfig, type Config } from '../../src/config/index.js'
import { isSarabanError, type FieldProblem } from '../../src/errors.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

function minimal(): Record<string, any> {
  return {
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
    trust: { anchors: ['../root.crt.pem'], directory: '../directory.jws' },
    agencies: [{ id: 'moi', signing: { key: 'signing.key.pem', cert: 'signing.chain.pem' }, encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' } }],
  }
}

/** Writes <tmp>/certs/moi/node.json and returns paths. */
function setup(config: unknown) {
  const root = mkdtempSync(join(tmpdir(), 'saraban-config-'))
  const dir = join(root, 'certs', 'moi')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'node.json')
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config))
  return { root, dir, file }
}

function problemsOf(fn: () => unknown): { code?: string; errors: readonly FieldProblem[] } {
  try {
    fn()
  } catch (e) {
    if (isSarabanError(e)) return { code: e.code, errors: e.errors ?? [] }
    throw e
  }
  return { errors: [] }
}

t.test('defaults are filled and relative paths resolve against the config folder', async (t) => {
  const { root, dir, file } = setup(minimal())
  const c = loadConfig({ file, env: {}, packageRoot: root, cwd: '/elsewhere' })
  t.equal(c.file, file)
  t.equal(c.embeddedDefault, false)
  t.equal(c.dataDir, join(dir, 'data'))
  t.same(c.tls, { key: join(dir, 'tls.key.pem'), cert: join(dir, 'tls.chain.pem') })
  t.same(c.trust, { anchors: [join(root, 'certs', 'root.crt.pem')], directory: join(root, 'certs', 'directory.jws'), crls: [], revocation: 'hard', refreshSeconds: 3600, graceSeconds: 86400, fetchTimeoutSeconds: 30 })
  t.same(c.agencies[0]!.signing, { key: join(dir, 'signing.key.pem'), cert: join(dir, 'signing.chain.pem') })
  t.same(c.federation, { host: '127.0.0.1', port: 8443, connections: { headersTimeoutMs: 10000, requestTimeoutMs: 300000, idleTimeoutMs: 60000, keepAliveTimeoutMs: 65000, maxConnections: 1000 }, largeBodies: { thresholdBytes: 8388608, perPeer: 2, total: 8, retryAfterSeconds: 10 } })
  t.same(c.api, { host: '127.0.0.1', port: 8080, keys: [], connections: { headersTimeoutMs: 10000, requestTimeoutMs: 300000, idleTimeoutMs: 60000, keepAliveTimeoutMs: 65000, maxConnections: 1000 } })
  t.same(c.delivery, {
    giveUpAfterMs: 3 * 86_400_000, probeInitialBackoffMs: 1000, probeMaxBackoffMs: 300000,
    initialBackoffMs: 1000, maxBackoffMs: 600000, jitter: 'full', concurrencyPerPeer: 16, maxInFlight: 64, requestTimeoutMs: 60000, urgencyAgingMs: 300000, deadlineAtRiskMs: 3600000, shutdownGraceMs: 20000, claimLeaseMs: 120000,
  }, 'no attempt cap by default: the give-up horizon of 3 days decides (PROTOCOL.md §7.2)')
  t.same(c.limits, { maxEnvelopeBytes: 157286400, maxWholeEnvelopeBytes: 157286400, maxApiBodyBytes: 157286400, maxAttachmentBytes: 104857600, maxAttachmentsTotalBytes: 104857600, maxAttachments: 100 })
  t.same(c.storage, { engine: 'sqlite', synchronous: 'FULL', checkpoint: 'auto', durableSync: 'inline', maxBatch: 64 })
  t.same(c.log, { level: 'info' })
  t.same(c.transparencyLog, { checkpointSeconds: 60, enabled: true, auditSeconds: 3600 })
})

t.test('absolute paths stay; the file name itself is relative to cwd', async (t) => {
  const { root, dir } = setup({ ...minimal(), dataDir: '/var/lib/saraban', tls: { key: '/etc/saraban/tls.key', cert: 'tls.chain.pem' } })
  const c = loadConfig({ file: 'certs/moi/node.json', env: {}, packageRoot: root, cwd: root })
  t.equal(c.dataDir, '/var/lib/saraban')
  t.equal(c.tls.key, '/etc/saraban/tls.key')
  t.equal(c.tls.cert, join(dir, 'tls.chain.pem'))
})

t.test('embedded default: <packageRoot>/certs-dev/moi/node.json with dataDir <cwd>/data/moi (the one certs-dev/moi/node.json names from the package root)', async (t) => {
  const pkg = mkdtempSync(join(tmpdir(), 'saraban-pkg-'))
  mkdirSync(join(pkg, 'certs-dev', 'moi'), { recursive: true })
  writeFileSync(join(pkg, 'certs-dev', 'moi', 'node.json'), JSON.stringify({ ...minimal(), dataDir: '../../data/moi' }))
  const c = loadConfig({ env: {}, packageRoot: pkg, cwd: '/srv/run' })
  t.equal(c.embeddedDefault, true)
  t.equal(c.file, join(pkg, 'certs-dev', 'moi', 'node.json'))
  t.equal(c.dataDir, '/srv/run/data/moi')
  const fromRoot = loadConfig({ env: {}, packageRoot: pkg, cwd: pkg })
  t.equal(fromRoot.dataDir, loadConfig({ file: join(pkg, 'certs-dev', 'moi', 'node.json'), env: {}, packageRoot: pkg, cwd: pkg }).dataDir, '`npm start` and --config certs-dev/moi/node.json: one database')
  t.equal(c.tls.key, join(pkg, 'certs-dev', 'moi', 'tls.key.pem'))
  const env = loadConfig({ env: { SARABAN_DATA_DIR: 'elsewhere' }, packageRoot: pkg, cwd: '/srv/run' })
  t.equal(env.dataDir, '/srv/run/elsewhere', 'SARABAN_DATA_DIR still wins')
  const missing = problemsOf(() => loadConfig({ env: {}, packageRoot: mkdtempSync(join(tmpdir(), 'saraban-empty-')) }))
  t.equal(missing.code, 'ERR_CONFIG_INVALID')
  t.match(missing.errors[0]!.message, /does not exist; run `saraban-node dev-certs`/)
})

t.test('environment overrides', async (t) => {
  const { root, file } = setup(minimal())
  const c = loadConfig({
    file,
    packageRoot: root,
    cwd: '/srv',
    env: {
      SARABAN_DATA_DIR: 'state',
      SARABAN_API_HOST: '0.0.0.0',
      SARABAN_API_PORT: '9080',
      SARABAN_FEDERATION_HOST: '::',
      SARABAN_FEDERATION_PORT: '0',
      SARABAN_API_KEY: 'ops-secret-key-123',
      LOG_LEVEL: 'debug',
    },
  })
  t.equal(c.dataDir, '/srv/state', 'SARABAN_DATA_DIR is relative to cwd, not to the file')
  t.same(c.api.host, '0.0.0.0')
  t.equal(c.api.port, 9080)
  t.match(c.federation, { host: '::', port: 0 })
  t.equal(c.log.level, 'debug')
  t.same(c.api.keys, [{ name: 'SARABAN_API_KEY', sha256: sha('ops-secret-key-123'), agencies: ['moi'] }], 'hashed, for every hosted agency')
  t.notMatch(JSON.stringify(c) + inspect(c, { depth: 9 }), /ops-secret-key-123/, 'the plaintext key is kept nowhere')
  const empty = loadConfig({ file, packageRoot: root, env: { SARABAN_API_PORT: '', LOG_LEVEL: '' } })
  t.equal(empty.api.port, 8080, 'empty variables count as unset')
  t.equal(empty.log.level, 'info')
  t.equal(loadConfig({ file, packageRoot: root, env: { LOG_LEVEL: 'WARN' } }).log.level, 'warn', 'LOG_LEVEL is case-insensitive')
})

t.test('delivery.giveUpAfter: seconds or a number with s, m, h, d', async (t) => {
  for (const [v, ms] of [[90, 90_000], ['90s', 90_000], ['45m', 2_700_000], ['12h', 43_200_000], ['3d', 259_200_000]] as const) {
    const { root, file } = setup({ ...minimal(), delivery: { giveUpAfter: v } })
    t.equal(loadConfig({ file, env: {}, packageRoot: root }).delivery.giveUpAfterMs, ms, String(v))
  }
  for (const v of ['3w', '0d', '', 0, -5, '3 d']) {
    const { root, file } = setup({ ...minimal(), delivery: { giveUpAfter: v } })
    const r = problemsOf(() => loadConfig({ file, env: {}, packageRoot: root }))
    t.equal(r.code, 'ERR_CONFIG_INVALID', `${JSON.stringify(v)} is refused`)
    t.ok(r.errors.some((e: { field: string }) => e.field === '/delivery/giveUpAfter'), 'naming the field')
  }
  const { root, file } = setup({ ...minimal(), delivery: { probeInitialBackoffMs: 5000, probeMaxBackoffMs: 1000 } })
  t.same(problemsOf(() => loadConfig({ file, env: {}, packageRoot: root })).errors, [{ field: '/delivery/probeMaxBackoffMs', message: 'must be at least delivery.probeInitialBackoffMs (5000)' }])
})

t.test('storage.engine postgresql (issue 19): its URL from the file or SARABAN_POSTGRESQL_URL, never logged with its password', async (t) => {
  const { root, file } = setup({ ...minimal(), storage: { engine: 'postgresql' } })
  t.same(problemsOf(() => loadConfig({ file, env: {}, packageRoot: root })).errors,
    [{ field: '/storage/postgresql/url', message: 'is required when storage.engine is postgresql: give the database URL here or in SARABAN_POSTGRESQL_URL' }], 'no URL: named, with both ways to give it')
  const c = loadConfig({ file, env: { SARABAN_POSTGRESQL_URL: 'postgres://saraban:pa%40ss@db.example.go.th:5432/moi?sslmode=verify-full' }, packageRoot: root })
  t.same(c.storage.postgresql, { url: 'postgres://saraban:pa%40ss@db.example.go.th:5432/moi?sslmode=verify-full' }, 'the variable gives the URL')
  const logged = JSON.stringify(redactedConfig(c))
  t.notMatch(logged, /pa%40ss|pa@ss/, 'the password is not in what is logged')
  t.match(logged, /postgres:\/\/saraban:%5Bredacted%5D@db\.example\.go\.th:5432\/moi\?sslmode=verify-full/, 'user, host, database and options are')
  const bad = setup({ ...minimal(), storage: { engine: 'postgresql', postgresql: { url: 'mysql://x@y/z' } } })
  t.same(problemsOf(() => loadConfig({ file: bad.file, env: {}, packageRoot: bad.root })).errors.map((e) => e.field), ['/storage/postgresql/url'], 'another scheme is refused')
  const ca = setup({ ...minimal(), storage: { engine: 'postgresql', postgresql: { url: 'postgres://saraban@db/moi', caFile: 'db-ca.pem' } } })
  t.equal(loadConfig({ file: ca.file, env: {}, packageRoot: ca.root }).storage.postgresql?.caFile, join(ca.dir, 'db-ca.pem'), 'caFile resolves against the config folder')
  const plain = setup({ ...minimal(), storage: { postgresql: {} } })
  t.same(loadConfig({ file: plain.file, env: {}, packageRoot: plain.root }).storage.engine, 'sqlite', 'the URL is only needed when the engine is postgresql')
  const scheduled = setup({ ...minimal(), storage: { engine: 'postgresql', postgresql: { url: 'postgres://saraban@db/moi' } }, backup: { schedule: { every: '1d', directory: 'backups', keep: 2 } } })
  t.match(problemsOf(() => loadConfig({ file: scheduled.file, env: {}, packageRoot: scheduled.root })).errors,
    [{ field: '/backup/schedule', message: /cannot be used with storage.engine postgresql: remove it and back up the database with pg_dump or pg_basebackup/ }], 'scheduled backups copy the SQLite file: refused on PostgreSQL, saying what to use')
})

t.test('invalid environment values are errors naming the variable, listed with the file problems', async (t) => {
  const { root, file } = setup({ ...minimal(), delivery: { maxAttempts: 0 } })
  const r = problemsOf(() =>
    loadConfig({
      file,
      packageRoot: root,
      env: { SARABAN_API_PORT: '80a', SARABAN_FEDERATION_PORT: '70000', SARABAN_API_HOST: 'bad host', LOG_LEVEL: 'loud', SARABAN_API_KEY: 'short' },
    }),
  )
  t.equal(r.code, 'ERR_CONFIG_INVALID')
  t.same(r.errors, [
    { field: 'SARABAN_FEDERATION_PORT', message: 'must be at most 65535' },
    { field: 'SARABAN_API_HOST', message: 'must be a host name or IP address' },
    { field: 'SARABAN_API_PORT', message: 'must be an integer' },
    { field: '/delivery/maxAttempts', message: 'must be at least 1' },
    { field: 'LOG_LEVEL', message: 'must be one of fatal, error, warn, info, debug, trace, silent' },
    { field: 'SARABAN_API_KEY', message: 'must be 8-512 characters of A-Z a-z 0-9 - . _ ~ + / (an RFC 6750 bearer token)' },
  ])
  t.notMatch(JSON.stringify(r.errors), /short/, 'the key is not echoed')
})

t.test('every schema problem is listed at once', async (t) => {
  const bad = {
    ...minimal(),
    dataDir: '',
    tls: { key: 'tls.key.pem' },
    trust: { anchors: [] },
    agencies: [{ id: 'MOI', signing: { key: 'k', cert: 'c', passphrase: 'plain' }, encryption: { key: 'k', cert: 'c' } }],
    federation: { port: '8443' },
    api: { keys: [{ name: 'dev', sha256: 'XYZ', agencies: [] }] },
    delivery: { jitter: 'random' },
    storage: { synchronous: 'OFF' },
    color: true,
  }
  const { root, file } = setup(bad)
  const r = problemsOf(() => loadConfig({ file, packageRoot: root, env: {} }))
  t.equal(r.code, 'ERR_CONFIG_INVALID')
  t.same(r.errors.map((e) => e.field).sort(), [
    '/agencies/0/id', '/agencies/0/signing/passphrase', '/api/keys/0/agencies', '/api/keys/0/sha256', '/color', '/dataDir',
    '/delivery/jitter', '/federation/port', '/storage/synchronous', '/tls/cert', '/trust/anchors',
  ])
  t.same(r.errors.find((e) => e.field === '/agencies/0/signing/passphrase'), { field: '/agencies/0/signing/passphrase', message: 'is not an allowed property' }, 'passphrases never go in the file')
})

t.test('contradictions fail at boot, every one listed', async (t) => {
  const agency = (id: string) => ({ ...minimal().agencies[0], id })
  const { root, file } = setup({
    ...minimal(),
    agencies: [agency('moi'), agency('dga'), agency('moi')],
    federation: { port: 8080 },
    api: {
      port: 8080,
      keys: [
        { name: 'dev', sha256: sha('dev-moi-key'), agencies: ['moi', 'mof'] },
        { name: 'dev', sha256: sha('dev-moi-key'), agencies: ['dga'] },
        { name: 'ops', sha256: sha('ops-key-12345'), agencies: ['dga'] },
      ],
    },
    delivery: { initialBackoffMs: 5000, maxBackoffMs: 1000 },
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem', passphraseEnv: 'TLS_PASS' },
  })
  const r = problemsOf(() => loadConfig({ file, packageRoot: root, env: { SARABAN_API_KEY: 'ops-key-12345' } }))
  t.same(r.errors, [
    { field: '/agencies/2/id', message: 'must not repeat agency 0 (moi)' },
    { field: '/api/keys/0/agencies/1', message: 'names agency "mof", which this node does not host' },
    { field: '/api/keys/1/name', message: 'must not repeat the name of key 0' },
    { field: '/api/keys/1/sha256', message: 'is the same key as key 0' },
    { field: 'SARABAN_API_KEY', message: 'is the same key as /api/keys/2, with other agencies' },
    { field: '/api/port', message: 'must differ from federation.port (8080) on the same host' },
    { field: '/delivery/maxBackoffMs', message: 'must be at least delivery.initialBackoffMs (5000)' },
    { field: '/tls/passphraseEnv', message: 'names the environment variable TLS_PASS, which is not set' },
  ])
})

t.test('listener limits that contradict each other are refused at boot (issue 13 §2)', async (t) => {
  const { root, file } = setup({
    ...minimal(),
    federation: { connections: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 }, largeBodies: { perPeer: 9, total: 4 } },
    api: { connections: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 } },
    notifications: { maxStreams: 5, maxStreamsPerAgency: 6 },
  })
  const r = problemsOf(() => loadConfig({ file, packageRoot: root, env: {} }))
  t.same(r.errors, [
    { field: '/federation/connections/headersTimeoutMs', message: 'must be at most requestTimeoutMs (10000)' },
    { field: '/api/connections/headersTimeoutMs', message: 'must be at most requestTimeoutMs (10000)' },
    { field: '/notifications/maxStreamsPerAgency', message: 'must be at most notifications.maxStreams (5)' },
    { field: '/federation/largeBodies/perPeer', message: 'must be at most federation.largeBodies.total (4)' },
  ])
})

t.test('same port: fine on different hosts or with port 0; an env port conflict names the variable', async (t) => {
  const { root, file } = setup({ ...minimal(), federation: { host: '127.0.0.1', port: 8443 }, api: { host: '127.0.0.2', port: 8443 } })
  t.equal(loadConfig({ file, packageRoot: root, env: {} }).api.port, 8443)
  t.equal(loadConfig({ file, packageRoot: root, env: { SARABAN_API_PORT: '0', SARABAN_FEDERATION_PORT: '0', SARABAN_API_HOST: '127.0.0.1' } }).api.port, 0)
  const r = problemsOf(() => loadConfig({ file, packageRoot: root, env: { SARABAN_API_HOST: '0.0.0.0' } }))
  t.same(r.errors, [{ field: '/api/port', message: 'must differ from federation.port (8443) on the same host' }])
  const e = problemsOf(() => loadConfig({ file, packageRoot: root, env: { SARABAN_API_HOST: '127.0.0.1', SARABAN_API_PORT: '8443' } }))
  t.same(e.errors, [{ field: 'SARABAN_API_PORT', message: 'must differ from federation.port (8443) on the same host' }])
})

t.test('passphrases come from the environment and are redacted', async (t) => {
  const { root, file } = setup({ ...minimal(), tls: { key: 'tls.key.pem', cert: 'tls.chain.pem', passphraseEnv: 'TLS_PASS' } })
  const c = loadConfig({ file, packageRoot: root, env: { TLS_PASS: 'รหัสลับ-123' } })
  t.equal(c.tls.passphrase, 'รหัสลับ-123')
  const logged = JSON.stringify(redactedConfig(c))
  t.notMatch(logged, /รหัสลับ/)
  t.notMatch(logged, /tls\.key\.pem|signing\.key\.pem|encryption\.key\.pem/, 'private key paths are not logged')
  t.match(logged, /tls\.chain\.pem/, 'certificate paths are')
})

t.test('frozen, and redacted whenever serialised or inspected', async (t) => {
  const { root, file } = setup({ ...minimal(), api: { keys: [{ name: 'dev', sha256: sha('dev-moi-key'), agencies: ['moi'] }] } })
  const c: Config = loadConfig({ file, packageRoot: root, env: {} })
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.api.keys[0]) && Object.isFrozen(c.trust.anchors) && Object.isFrozen(c.agencies[0]!.signing))
  t.throws(() => {
    ;(c as { dataDir: string }).dataDir = '/tmp'
  })
  const r = redactedConfig(c) as { api: { keys: Array<{ sha256: string; name: string }> }; tls: { key: string } }
  t.equal(r.api.keys[0]!.sha256, '[redacted]')
  t.equal(r.api.keys[0]!.name, 'dev')
  t.equal(r.tls.key, '[redacted]')
  t.same(JSON.parse(JSON.stringify(c)), r, 'toJSON is redactedConfig')
  t.notMatch(inspect(c, { depth: 9 }), new RegExp(sha('dev-moi-key')))
  t.equal(c.api.keys[0]!.sha256, sha('dev-moi-key'), 'the real value is still there for the code')
})

t.test('unreadable, non-JSON and non-object files', async (t) => {
  const { root, file } = setup('{"tls": ')
  const notJson = problemsOf(() => loadConfig({ file, packageRoot: root, env: {} }))
  t.equal(notJson.code, 'ERR_CONFIG_INVALID')
  t.match(notJson.errors[0]!.message, /^is not valid JSON/)
  const arr = setup('[]')
  t.same(problemsOf(() => loadConfig({ file: arr.file, packageRoot: root, env: {} })).errors, [{ field: '', message: 'must be a JSON object' }])
  const none = problemsOf(() => loadConfig({ file: join(root, 'nope.json'), packageRoot: root, env: {} }))
  // Issue 21 §2: missing is said as missing, with what to do, not "not valid".
  t.match(none.errors[0]!.message, /nope\.json does not exist; check the --config path/)
  t.notMatch(none.errors[0]!.message, /not valid/)
})

t.test('storage.maxBatch (issue 16 item 1): 1 turns the group commit off; 0 and 1025 are refused naming the field', async (t) => {
  const { root, file } = setup({ ...minimal(), storage: { maxBatch: 1 } })
  t.equal(loadConfig({ file, packageRoot: root, env: {} }).storage.maxBatch, 1)
  for (const maxBatch of [0, 1025, 2.5]) {
    const bad = setup({ ...minimal(), storage: { maxBatch } })
    const p = problemsOf(() => loadConfig({ file: bad.file, packageRoot: root, env: {} }))
    t.equal(p.code, 'ERR_CONFIG_INVALID', `maxBatch ${maxBatch}`)
    t.equal(p.errors[0]?.field, '/storage/maxBatch', `maxBatch ${maxBatch}: the field is named`)
  }
})
