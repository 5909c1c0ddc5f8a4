// Contradictions the schema cannot see (house style §7: fail at boot with every problem listed).
// Runs on the file's shape after schema validation (defaults filled, env overrides applied).
import type { FieldProblem } from '../errors.js'
import { cidrList } from './cidr.js'
import type { ConnectionLimits, LargeBodyLimits, LogLevel } from './types.js'
import { isRawTokenKey, PIN_ENV, type RawTokenKey } from '../crypto/keys/token-config.js'

export interface RawKeyFiles {
  key: string
  cert: string
  passphraseEnv?: string
}

/** The config file's shape once it passed schemas/config.json (defaults filled). */
export interface RawConfig {
  dataDir: string
  tls: RawKeyFiles
  trust: { anchors: string[]; directory?: string; directoryUrl?: string; crls: string[]; revocation: 'hard' | 'soft'; refreshSeconds: number; graceSeconds: number; fetchTimeoutSeconds: number }
  agencies: Array<{ id: string; signing: RawKeyFiles | RawTokenKey; encryption: RawKeyFiles | RawTokenKey; ownerCode: string | null; allowClassifiedPlaintext?: boolean }>
  hosting: { agenciesDir: string | null; rescanSeconds: number }
  federation: { host: string; port: number; connections: ConnectionLimits; largeBodies: LargeBodyLimits }
  api: { host: string; port: number; keys: Array<{ name: string; sha256: string; agencies: string[]; scopes?: string[] }>; connections: ConnectionLimits }
  delivery: {
    giveUpAfter: number | string
    maxAttempts: number | null
    probeInitialBackoffMs: number
    probeMaxBackoffMs: number
    initialBackoffMs: number
    maxBackoffMs: number
    jitter: 'full' | 'decorrelated'
    concurrencyPerPeer: number
    maxInFlight: number
    requestTimeoutMs: number
    urgencyAgingMs: number
    deadlineAtRiskMs: number
    shutdownGraceMs: number
    claimLeaseMs: number
  }
  limits: { maxEnvelopeBytes: number; maxWholeEnvelopeBytes: number; maxApiBodyBytes: number; maxAttachmentBytes: number; maxAttachmentsTotalBytes: number; maxAttachments: number }
  storage: { engine: 'sqlite' | 'postgresql'; postgresql: { url: string | null; caFile: string | null }; synchronous: 'FULL' | 'NORMAL'; checkpoint: 'worker' | 'auto'; durableSync: 'inline' | 'threadpool'; maxBatch: number }
  log: { level: LogLevel }
  transparencyLog: { checkpointSeconds: number; auditSeconds: number; enabled: boolean }
  registers: { books: Array<{ id: string; direction: 'receive' | 'send'; title: string; prefix: string }> }
  expiry: { certificateDays: number[]; trustDocumentHours: number; checkSeconds: number }
  notifications: {
    retentionDays: number
    heartbeatSeconds: number
    slowClientSeconds: number
    maxStreams: number
    maxStreamsPerAgency: number
    webhooks: Array<{ name: string; url: string; agencies: string[] | null; types: string[] | null; secretEnv: string | null; secretFile: string | null }>
    webhookDelivery: { maxAttempts: number; initialBackoffMs: number; maxBackoffMs: number; timeoutMs: number; concurrency: number; perEndpoint: number; allowPrivateTargets: boolean; allowedTargets: readonly string[] }
  }
  tsa: { url: string | null; caFile: string | null; timeoutMs: number; initialBackoffMs: number; maxBackoffMs: number; concurrency: number; maxClockSkewSeconds: number }
  ecms: { pathPrefix: string; maxBodyBytes: number; publicUrl: string | null; clients: Array<{ agency: string; allowFrom: string[] }> }
  metrics: { openTo: string[] }
  backup: { recipient: string | null; schedule: { every: number | string; directory: string; keep: number } | null }
}

const BUILT_IN_BOOK_IDS: readonly string[] = ['receive', 'send', 'circular']

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]'])

function firstIndex<T>(items: readonly T[], key: (t: T) => string, report: (i: number, first: number, k: string) => void): void {
  const seen = new Map<string, number>()
  items.forEach((item, i) => {
    const k = key(item)
    const first = seen.get(k)
    if (first === undefined) seen.set(k, i)
    else report(i, first, k)
  })
}

export function contradictions(c: RawConfig, env: NodeJS.ProcessEnv, envKeySha256?: string): FieldProblem[] {
  const problems: FieldProblem[] = []
  const hosted = new Set(c.agencies.map((a) => a.id))

  if (c.agencies.length === 0 && c.hosting.agenciesDir === null) {
    problems.push({ field: '/agencies', message: 'must list at least one agency, unless hosting.agenciesDir names a folder of agency files' })
  }
  firstIndex(c.agencies, (a) => a.id, (i, j, id) =>
    problems.push({ field: `/agencies/${i}/id`, message: `must not repeat agency ${j} (${id})` }))

  c.api.keys.forEach((k, i) =>
    k.agencies.forEach((a, j) => {
      if (!hosted.has(a)) problems.push({ field: `/api/keys/${i}/agencies/${j}`, message: `names agency "${a}", which this node does not host` })
    }))
  firstIndex(c.api.keys, (k) => k.name, (i, j) =>
    problems.push({ field: `/api/keys/${i}/name`, message: `must not repeat the name of key ${j}` }))
  firstIndex(c.api.keys, (k) => k.sha256, (i, j) =>
    problems.push({ field: `/api/keys/${i}/sha256`, message: `is the same key as key ${j}` }))
  if (envKeySha256 !== undefined) {
    const j = c.api.keys.findIndex((k) => k.sha256 === envKeySha256)
    if (j >= 0) problems.push({ field: 'SARABAN_API_KEY', message: `is the same key as /api/keys/${j}, with other agencies` })
  }

  const { api, federation } = c
  const hostsOverlap = api.host === federation.host || WILDCARD_HOSTS.has(api.host) || WILDCARD_HOSTS.has(federation.host)
  if (api.port !== 0 && api.port === federation.port && hostsOverlap) {
    problems.push({ field: '/api/port', message: `must differ from federation.port (${federation.port}) on the same host` })
  }

  // Node refuses a headers timeout longer than the request timeout.
  for (const [at, l] of [['/federation/connections', federation.connections], ['/api/connections', api.connections]] as const) {
    if (l.headersTimeoutMs > l.requestTimeoutMs) problems.push({ field: `${at}/headersTimeoutMs`, message: `must be at most requestTimeoutMs (${l.requestTimeoutMs})` })
  }
  if (c.notifications.maxStreamsPerAgency > c.notifications.maxStreams) {
    problems.push({ field: '/notifications/maxStreamsPerAgency', message: `must be at most notifications.maxStreams (${c.notifications.maxStreams})` })
  }
  if (federation.largeBodies.perPeer > federation.largeBodies.total) {
    problems.push({ field: '/federation/largeBodies/perPeer', message: `must be at most federation.largeBodies.total (${federation.largeBodies.total})` })
  }

  if (c.delivery.probeMaxBackoffMs < c.delivery.probeInitialBackoffMs) {
    problems.push({ field: '/delivery/probeMaxBackoffMs', message: `must be at least delivery.probeInitialBackoffMs (${c.delivery.probeInitialBackoffMs})` })
  }
  if (c.delivery.maxBackoffMs < c.delivery.initialBackoffMs) {
    problems.push({ field: '/delivery/maxBackoffMs', message: `must be at least delivery.initialBackoffMs (${c.delivery.initialBackoffMs})` })
  }

  // PROTOCOL.md §14.1: the directory comes from one place.
  if ((c.trust.directory === undefined) === (c.trust.directoryUrl === undefined)) {
    problems.push({ field: '/trust', message: 'must give exactly one of directory (a file) and directoryUrl (an https:// URL)' })
  }

  // README "Registers": the built-in books cannot be redefined, and a book id names one book.
  c.registers.books.forEach((b, i) => {
    if (BUILT_IN_BOOK_IDS.includes(b.id)) problems.push({ field: `/registers/books/${i}/id`, message: `must not be a built-in book (${BUILT_IN_BOOK_IDS.join(', ')})` })
    if (b.direction === 'receive' && b.prefix !== '') problems.push({ field: `/registers/books/${i}/prefix`, message: 'is for send books only' })
  })
  firstIndex(c.registers.books, (b) => b.id, (i, j) =>
    problems.push({ field: `/registers/books/${i}/id`, message: `must not repeat book ${j}` }))
  problems.push(...storageProblems(c))
  problems.push(...webhookProblems(c, env, hosted))
  problems.push(...ecmsProblems(c))
  // Issue 17 item 1: the scrapers /metrics is open to are CIDRs.
  c.metrics.openTo.forEach((cidr, i) => {
    try {
      cidrList([cidr])
    } catch (err) {
      problems.push({ field: `/metrics/openTo/${i}`, message: (err as Error).message })
    }
  })

  const pairs: Array<[string, RawKeyFiles | RawTokenKey]> = [['/tls', c.tls]]
  c.agencies.forEach((a, i) => pairs.push([`/agencies/${i}/signing`, a.signing], [`/agencies/${i}/encryption`, a.encryption]))
  for (const [at, files] of pairs) {
    if (isRawTokenKey(files)) {
      if (files.pkcs11.pinFile === undefined && (env[PIN_ENV] ?? '') === '') problems.push({ field: `${at}/pkcs11/pinFile`, message: `is absent and the environment variable ${PIN_ENV} is not set: give the token's PIN one way` })
      continue
    }
    if (files.passphraseEnv !== undefined && (env[files.passphraseEnv] ?? '') === '') {
      problems.push({ field: `${at}/passphraseEnv`, message: `names the environment variable ${files.passphraseEnv}, which is not set` })
    }
  }
  return problems
}

// README "Notifications": each webhook has one secret, a unique name, and (on a node without an agencies
// folder) only agencies it hosts.
function webhookProblems(c: RawConfig, env: NodeJS.ProcessEnv, hosted: ReadonlySet<string>): FieldProblem[] {
  const problems: FieldProblem[] = []
  const n = c.notifications
  firstIndex(n.webhooks, (w) => w.name, (i, j) =>
    problems.push({ field: `/notifications/webhooks/${i}/name`, message: `must not repeat the name of webhook ${j}` }))
  n.webhooks.forEach((w, i) => {
    const at = `/notifications/webhooks/${i}`
    if ((w.secretEnv === null) === (w.secretFile === null)) problems.push({ field: at, message: 'must give exactly one of secretEnv and secretFile' })
    if (w.secretEnv !== null && (env[w.secretEnv] ?? '') === '') problems.push({ field: `${at}/secretEnv`, message: `names the environment variable ${w.secretEnv}, which is not set` })
    if (c.hosting.agenciesDir === null) {
      w.agencies?.forEach((a, j) => {
        if (!hosted.has(a)) problems.push({ field: `${at}/agencies/${j}`, message: `names agency "${a}", which this node does not host` })
      })
    }
  })
  n.webhookDelivery.allowedTargets.forEach((c, i) => {
    try {
      cidrList([c])
    } catch (e) {
      problems.push({ field: `/notifications/webhookDelivery/allowedTargets/${i}`, message: (e as Error).message })
    }
  })
  if (n.webhookDelivery.maxBackoffMs < n.webhookDelivery.initialBackoffMs) {
    problems.push({ field: '/notifications/webhookDelivery/maxBackoffMs', message: `must be at least notifications.webhookDelivery.initialBackoffMs (${n.webhookDelivery.initialBackoffMs})` })
  }
  return problems
}

/** A postgres:// or postgresql:// URL (the config's storage.postgresql.url, `storage copy --to`). */
export const isPostgresUrl = (url: string): boolean => /^postgres(?:ql)?:\/\//i.test(url)

/** storage.engine postgresql needs its database's URL (issue 19 §1). */
function storageProblems(c: RawConfig): FieldProblem[] {
  const pg = c.storage.postgresql
  if (c.storage.engine !== 'postgresql') return []
  // The node's backups (issue 17 item 3) are of its SQLite file; PostgreSQL's own tools back up its database.
  if (c.backup.schedule !== null) return [{ field: '/backup/schedule', message: 'backs up the SQLite file and cannot be used with storage.engine postgresql: remove it and back up the database with pg_dump or pg_basebackup (README "PostgreSQL")' }]
  if (pg.url === null) return [{ field: '/storage/postgresql/url', message: 'is required when storage.engine is postgresql: give the database URL here or in SARABAN_POSTGRESQL_URL' }]
  if (!isPostgresUrl(pg.url)) return [{ field: '/storage/postgresql/url', message: 'must be a postgres:// or postgresql:// URL (postgres://user@host:5432/database)' }]
  try {
    new URL(pg.url)
  } catch {
    return [{ field: '/storage/postgresql/url', message: 'is not a URL that can be parsed: percent-encode special characters of the password (@ as %40, / as %2F)' }]
  }
  return []
}

/** The e-CMS gateway's clients (README "e-CMS gateway"): one entry per agency, CIDRs that parse, hosted agencies. */
export function ecmsProblems(c: RawConfig): FieldProblem[] {
  const problems: FieldProblem[] = []
  const hosted = new Set(c.agencies.map((a) => a.id))
  firstIndex(c.ecms.clients, (e) => e.agency, (i, j, id) => problems.push({ field: `/ecms/clients/${i}/agency`, message: `must not repeat client ${j} (${id})` }))
  c.ecms.clients.forEach((e, i) => {
    if (c.hosting.agenciesDir === null && !hosted.has(e.agency)) problems.push({ field: `/ecms/clients/${i}/agency`, message: `names agency "${e.agency}", which this node does not host` })
    e.allowFrom.forEach((cidr, j) => {
      try {
        cidrList([cidr])
      } catch (err) {
        problems.push({ field: `/ecms/clients/${i}/allowFrom/${j}`, message: (err as Error).message })
      }
    })
  })
  return problems
}
