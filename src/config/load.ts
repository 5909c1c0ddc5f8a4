// loadConfig: file (or the embedded dev default) → env overrides → schemas/config.json with defaults
// → contradictions → absolute paths → frozen Config. Every problem is reported at once as
// SarabanError(ERR_CONFIG_INVALID) with errors[] (house style §7). Key and certificate files are
// not read here: context.ts loads them.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { inspect } from 'node:util'
import { SarabanError, type FieldProblem } from '../errors.js'
import { check, invalid, schemaIds } from '../schema/index.js'
import { contradictions, type RawConfig, type RawKeyFiles } from './checks.js'
import { isRawTokenKey, resolveTokenKey, type RawTokenKey, type TokenKey } from '../crypto/keys/token-config.js'
import { API_KEY_ENV, applyEnvOverrides, envApiKey, renameEnvFields } from './env.js'
import { redactedConfig } from './redact.js'
import type { Config, KeyFiles, LoadConfigOptions } from './types.js'

/** The embedded default: the first dev agency, for `saraban-node start` without --config. */
export function embeddedConfigFile(packageRoot: string): string {
  return join(packageRoot, 'certs-dev', 'moi', 'node.json')
}

function fail(file: string, errors: FieldProblem[]): SarabanError {
  return invalid('ERR_CONFIG_INVALID', errors, `the configuration in ${file} is not valid`)
}

function readJson(file: string, embedded: boolean): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    // Issue 21 §2: a missing file is reported as missing, not as "not valid".
    const code = (err as NodeJS.ErrnoException).code
    const what = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read by this user (permission denied)' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(err)})`
    const todo = embedded ? 'run `saraban-node dev-certs` to create the dev federation, or pass --config FILE' : 'check the --config path (relative to the current directory)'
    const message = `the configuration file ${file} ${what}; ${todo}`
    throw new SarabanError('ERR_CONFIG_INVALID', message, { field: '', errors: [{ field: '', message }] })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw fail(file, [{ field: '', message: `is not valid JSON: ${(err as Error).message}` }])
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail(file, [{ field: '', message: 'must be a JSON object' }])
  return raw as Record<string, unknown>
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** delivery.giveUpAfter as ms: seconds, or "3d" (the schema allows nothing else). */
export function durationMs(v: number | string): number {
  if (typeof v === 'number') return v * 1000
  return Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS]
}

function deliveryConfig(d: RawConfig['delivery']): Config['delivery'] {
  const { giveUpAfter, maxAttempts, ...rest } = d
  return { ...rest, giveUpAfterMs: durationMs(giveUpAfter), ...(maxAttempts !== null ? { maxAttempts } : {}) }
}

export function loadConfig(opts: LoadConfigOptions): Config {
  const cwd = opts.cwd ?? process.cwd()
  const embedded = opts.file === undefined
  const file = resolve(cwd, opts.file ?? embeddedConfigFile(opts.packageRoot))
  const base = dirname(file)
  const raw = readJson(file, embedded)
  // <cwd>/data/moi: the folder certs-dev/moi/node.json names (../../data/moi) when run from the
  // package root, so `npm start` and `start --config certs-dev/moi/node.json` share one database
  // (issue 21 §4); run elsewhere, the data stays in the current folder, never in the package.
  if (embedded) raw.dataDir = resolve(cwd, 'data', 'moi')

  const envNames = applyEnvOverrides(raw, opts.env, cwd)
  const apiKey = envApiKey(opts.env)
  const checked = check<RawConfig>(schemaIds.config, raw)
  const problems = [...(checked.ok ? [] : checked.errors), ...apiKey.problems]
  if (checked.ok) problems.push(...contradictions(checked.value, opts.env, apiKey.sha256))
  if (problems.length > 0) throw fail(file, renameEnvFields(problems, envNames))
  const c = (checked as { value: RawConfig }).value

  const path = (p: string) => resolve(base, p)
  const keyFiles = (k: RawKeyFiles): KeyFiles => ({
    key: path(k.key),
    cert: path(k.cert),
    ...(k.passphraseEnv !== undefined ? { passphrase: opts.env[k.passphraseEnv]!, passphraseEnv: k.passphraseEnv } : {}),
  })
  const pinProblems: FieldProblem[] = []
  const agencyKey = (k: RawKeyFiles | RawTokenKey, at: string): KeyFiles | TokenKey => {
    if (!isRawTokenKey(k)) return keyFiles(k)
    try {
      return resolveTokenKey(k, base, opts.env)
    } catch (err) {
      pinProblems.push({ field: `${at}/pkcs11`, message: (err as Error).message })
      return { pkcs11: { module: '', keyLabel: '', pin: '' } }
    }
  }
  const agencies = c.agencies.map((a, i) => ({ id: a.id, signing: agencyKey(a.signing, `/agencies/${i}/signing`), encryption: agencyKey(a.encryption, `/agencies/${i}/encryption`), ...(a.ownerCode !== null ? { ownerCode: a.ownerCode } : {}), ...(a.allowClassifiedPlaintext === true ? { allowClassifiedPlaintext: true } : {}) }))
  if (pinProblems.length > 0) throw fail(file, pinProblems)
  const keys = c.api.keys.map((k) => ({ name: k.name, sha256: k.sha256, agencies: [...k.agencies], ...(k.scopes && k.scopes.length > 0 ? { scopes: [...k.scopes] } : {}) }))
  // The environment key never carries the classified scope (PROTOCOL.md §19.5): give it in the file, by name.
  if (apiKey.sha256 !== undefined) keys.push({ name: API_KEY_ENV, sha256: apiKey.sha256, agencies: agencies.map((a) => a.id) })

  const config: Config = {
    file,
    embeddedDefault: embedded,
    dataDir: path(c.dataDir),
    tls: keyFiles(c.tls),
    trust: {
      anchors: c.trust.anchors.map(path),
      directory: c.trust.directoryUrl ?? path(c.trust.directory!),
      crls: c.trust.crls.map((s) => (/^https:\/\//i.test(s) ? s : path(s))),
      revocation: c.trust.revocation,
      refreshSeconds: c.trust.refreshSeconds,
      graceSeconds: c.trust.graceSeconds,
      fetchTimeoutSeconds: c.trust.fetchTimeoutSeconds,
    },
    agencies,
    hosting: { rescanSeconds: c.hosting.rescanSeconds, ...(c.hosting.agenciesDir !== null ? { agenciesDir: path(c.hosting.agenciesDir) } : {}) },
    federation: { host: c.federation.host, port: c.federation.port, connections: { ...c.federation.connections }, largeBodies: { ...c.federation.largeBodies } },
    api: { host: c.api.host, port: c.api.port, keys, connections: { ...c.api.connections } },
    delivery: deliveryConfig(c.delivery),
    limits: { ...c.limits },
    storage: {
      engine: c.storage.engine,
      ...(c.storage.engine === 'postgresql' && c.storage.postgresql.url !== null
        ? { postgresql: { url: c.storage.postgresql.url, ...(c.storage.postgresql.caFile !== null ? { caFile: path(c.storage.postgresql.caFile) } : {}) } }
        : {}),
      synchronous: c.storage.synchronous,
      checkpoint: c.storage.checkpoint,
      durableSync: c.storage.durableSync,
      maxBatch: c.storage.maxBatch,
    },
    log: { ...c.log },
    transparencyLog: { ...c.transparencyLog },
    registers: { books: c.registers.books.map((b) => ({ ...b })) },
    expiry: { certificateDays: [...c.expiry.certificateDays].sort((x, y) => y - x), trustDocumentHours: c.expiry.trustDocumentHours, checkSeconds: c.expiry.checkSeconds },
    notifications: {
      retentionDays: c.notifications.retentionDays,
      heartbeatSeconds: c.notifications.heartbeatSeconds,
      slowClientSeconds: c.notifications.slowClientSeconds,
      maxStreams: c.notifications.maxStreams,
      maxStreamsPerAgency: c.notifications.maxStreamsPerAgency,
      webhookDelivery: { ...c.notifications.webhookDelivery },
      webhooks: c.notifications.webhooks.map((w) => ({
        name: w.name,
        url: w.url,
        ...(w.agencies ? { agencies: [...w.agencies] } : {}),
        ...(w.types ? { types: [...w.types] } : {}),
        ...(w.secretEnv !== null ? { secret: opts.env[w.secretEnv]! } : {}),
        ...(w.secretFile !== null ? { secretFile: path(w.secretFile) } : {}),
      })),
    },
    ecms: {
      pathPrefix: c.ecms.pathPrefix,
      maxBodyBytes: c.ecms.maxBodyBytes,
      ...(c.ecms.publicUrl !== null ? { publicUrl: c.ecms.publicUrl } : {}),
      clients: c.ecms.clients.map((e) => ({ agency: e.agency, allowFrom: [...e.allowFrom] })),
    },
    metrics: { openTo: [...c.metrics.openTo] },
    tsa: {
      timeoutMs: c.tsa.timeoutMs, initialBackoffMs: c.tsa.initialBackoffMs, maxBackoffMs: c.tsa.maxBackoffMs, concurrency: c.tsa.concurrency, maxClockSkewSeconds: c.tsa.maxClockSkewSeconds,
      ...(c.tsa.url !== null ? { url: c.tsa.url } : {}),
      ...(c.tsa.caFile !== null ? { caFile: path(c.tsa.caFile) } : {}),
    },
    backup: {
      ...(c.backup.recipient !== null ? { recipient: path(c.backup.recipient) } : {}),
      ...(c.backup.schedule !== null ? { schedule: { everyMs: durationMs(c.backup.schedule.every), directory: path(c.backup.schedule.directory), keep: c.backup.schedule.keep } } : {}),
    },
  }
  // Anything that serialises or inspects the whole config (a logger, console.log) sees it redacted.
  Object.defineProperty(config, 'toJSON', { value: () => redactedConfig(config), enumerable: false })
  Object.defineProperty(config, inspect.custom, { value: () => redactedConfig(config), enumerable: false })
  return deepFreeze(config)
}
