// The validated, resolved, frozen configuration (schemas/config.json is normative for the file).
// All paths are absolute. Secrets (key paths, passphrases, API key digests) live here too, but
// redactedConfig() and the config's own toJSON() leave them out of anything logged.
import type { TokenKey } from '../crypto/keys/token-config.js'

/** A key on a PKCS#11 token (issue 12 §1): the spec with the PIN (secret) and the chain file, if any. */
export type { TokenKey }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface KeyFiles {
  /** Absolute path of the PEM private key. Secret. */
  readonly key: string
  /** Absolute path of the PEM certificate chain, leaf first. */
  readonly cert: string
  /** The key's passphrase, read from the environment variable named by passphraseEnv. Secret. */
  readonly passphrase?: string
  /** The name of that environment variable, to name it when the passphrase does not open the key. */
  readonly passphraseEnv?: string
}

export interface AgencyConfig {
  readonly id: string
  /** Files, or a key on a token (the TLS key is always a file: README "Keys on a PKCS#11 token"). */
  readonly signing: KeyFiles | TokenKey
  readonly encryption: KeyFiles | TokenKey
  /** Letter owner code, e.g. 'มท 0201.2' (README "Registers"); needed to assign outgoing letter numbers. */
  readonly ownerCode?: string
  /** PROTOCOL.md §19.8: keep the old labelled plaintext path for CONFIDENTIAL/SECRET (default false). */
  readonly allowClassifiedPlaintext?: boolean
}

/** A register book configured in node.json registers.books (src/domain/registers.ts RegisterBook). */
export interface RegisterBookConfig {
  readonly id: string
  readonly direction: 'receive' | 'send'
  readonly title: string
  readonly prefix: string
}

export interface ApiKeyConfig {
  readonly name: string
  /** SHA-256 of the key, lowercase hex. */
  readonly sha256: string
  readonly agencies: readonly string[]
  /** 'classified': the key sees classified items (PROTOCOL.md §19.5). */
  readonly scopes?: readonly string[]
}

/** A webhook endpoint (README "Notifications"). The secret is read by context.ts (secretFile) or here (secretEnv). */
export interface WebhookConfig {
  readonly name: string
  readonly url: string
  /** Absent: every hosted agency. */
  readonly agencies?: readonly string[]
  /** Absent: every event type. */
  readonly types?: readonly string[]
  /** The secret itself, from the variable named by secretEnv. Secret. */
  readonly secret?: string
  /** Absolute path of the file holding the secret. */
  readonly secretFile?: string
}

/** The e-CMS gateway (README "e-CMS gateway"); no clients: no gateway. */
export interface EcmsConfig {
  readonly pathPrefix: string
  readonly maxBodyBytes: number
  /** Base URL clients reach the API listener at; absent: http://<api.host>:<api.port>. */
  readonly publicUrl?: string
  readonly clients: ReadonlyArray<{ readonly agency: string; readonly allowFrom: readonly string[] }>
}

export interface Config {
  /** Absolute path of the config file that was read. */
  readonly file: string
  /** True when no file was given and the embedded dev default (certs-dev/moi/node.json) was used. */
  readonly embeddedDefault: boolean
  readonly dataDir: string
  readonly tls: KeyFiles
  readonly trust: {
    readonly anchors: readonly string[]
    /** Where the signed directory comes from: an absolute file path or an https:// URL (PROTOCOL.md §14.1). */
    readonly directory: string
    /** CRL sources: absolute file paths or https URLs, refreshed like the directory (PROTOCOL.md §15.1) */
    readonly crls: readonly string[]
    readonly revocation: 'hard' | 'soft'
    readonly refreshSeconds: number
    readonly graceSeconds: number
    readonly fetchTimeoutSeconds: number
  }
  readonly agencies: readonly AgencyConfig[]
  /** PROTOCOL.md §16: agencies loaded from one file each, reloaded without restart. */
  readonly hosting: { readonly agenciesDir?: string; readonly rescanSeconds: number }
  readonly federation: { readonly host: string; readonly port: number; readonly connections: ConnectionLimits; readonly largeBodies: LargeBodyLimits }
  /** keys includes SARABAN_API_KEY (hashed, for every hosted agency) when it is set. */
  readonly api: { readonly host: string; readonly port: number; readonly keys: readonly ApiKeyConfig[]; readonly connections: ConnectionLimits }
  readonly delivery: {
    /** PROTOCOL.md §7.2: the give-up horizon (config delivery.giveUpAfter, seconds or "3d"), in ms. */
    readonly giveUpAfterMs: number
    /** Optional cap on attempts per queueing; none by default. */
    readonly maxAttempts?: number
    readonly probeInitialBackoffMs: number
    readonly probeMaxBackoffMs: number
    readonly initialBackoffMs: number
    readonly maxBackoffMs: number
    readonly jitter: 'full' | 'decorrelated'
    readonly concurrencyPerPeer: number
    readonly maxInFlight: number
    readonly requestTimeoutMs: number
    readonly urgencyAgingMs: number
    readonly deadlineAtRiskMs: number
    /** Issue 17 item 8: how long stop waits for deliveries in flight. */
    readonly shutdownGraceMs: number
    /** Issue 19 item 2: how long a claim holds a message unless renewed (storage/outbox-delivery.ts). */
    readonly claimLeaseMs: number
  }
  readonly limits: {
    readonly maxEnvelopeBytes: number
    /** Issue 16 item 2: the largest envelope the node reads into one buffer (notices, classified covers, by reference). */
    readonly maxWholeEnvelopeBytes: number
    readonly maxApiBodyBytes: number
    /** API uploads (issue 5 §7): one attachment, all attachments of a letter, number of attachments. */
    readonly maxAttachmentBytes: number
    readonly maxAttachmentsTotalBytes: number
    readonly maxAttachments: number
  }
  readonly storage: {
    readonly engine: 'sqlite' | 'postgresql'
    /** Set when engine is postgresql (issue 19): the URL may carry a password, so it is never logged whole. */
    readonly postgresql?: { readonly url: string; readonly caFile?: string }
    readonly synchronous: 'FULL' | 'NORMAL'
    readonly checkpoint: 'worker' | 'auto'
    readonly durableSync: 'inline' | 'threadpool'
    /** Most write() fns one group commit carries (storage/group-commit.ts); 1: no group commit. */
    readonly maxBatch: number
  }
  /** Logging (pino). */
  readonly log: { readonly level: LogLevel }
  /** The transparency log's timers (PROTOCOL.md §20.4, §20.6); enabled is for the bench only. */
  readonly transparencyLog: { readonly checkpointSeconds: number; readonly auditSeconds: number; readonly enabled: boolean }
  /** Extra register books beside receive, send and circular (README "Registers"). */
  readonly registers: { readonly books: readonly RegisterBookConfig[] }
  /** Warnings before certificates expire and trust documents run out (issue 17 item 4). */
  readonly expiry: { readonly certificateDays: readonly number[]; readonly trustDocumentHours: number; readonly checkSeconds: number }
  /** Event stream and webhooks (issue 5 §6). */
  readonly notifications: {
    readonly retentionDays: number
    readonly heartbeatSeconds: number
    readonly slowClientSeconds: number
    readonly maxStreams: number
    readonly maxStreamsPerAgency: number
    readonly webhooks: readonly WebhookConfig[]
    readonly webhookDelivery: {
      readonly maxAttempts: number
      readonly initialBackoffMs: number
      readonly maxBackoffMs: number
      readonly timeoutMs: number
      /** Requests in flight over all endpoints. */
      readonly concurrency: number
      /** Requests in flight to one endpoint. */
      readonly perEndpoint: number
      /** Webhooks may go to loopback, link-local and private addresses (issue 13 §1; default false). */
      readonly allowPrivateTargets: boolean
      /** CIDRs allowed as webhook targets although private. */
      readonly allowedTargets: readonly string[]
    }
  }
  readonly ecms: EcmsConfig
  /** GET /metrics (issue 17 item 1): scraper CIDRs that need no API key; none by default. */
  readonly metrics: { readonly openTo: readonly string[] }
  /** RFC 3161 time-stamping (PROTOCOL.md §13); off without url. caFile is absolute. */
  readonly tsa: {
    readonly url?: string
    readonly caFile?: string
    readonly timeoutMs: number
    readonly initialBackoffMs: number
    readonly maxBackoffMs: number
    readonly concurrency: number
    /** Issue 17 item 7: doctor's bound on the clock's difference from the TSA's. */
    readonly maxClockSkewSeconds: number
  }
  /** Backups (issue 17 item 3; src/services/backup/). Paths are absolute. */
  readonly backup: {
    /** The operator's recipient certificate file: backups are encrypted to it and then carry the key files. */
    readonly recipient?: string
    readonly schedule?: { readonly everyMs: number; readonly directory: string; readonly keep: number }
  }
}

export interface LoadConfigOptions {
  /** Config file; relative to cwd. Absent: <packageRoot>/certs-dev/moi/node.json with dataDir <cwd>/data/moi. */
  readonly file?: string | undefined
  readonly env: NodeJS.ProcessEnv
  readonly packageRoot: string
  /** Defaults to process.cwd(). */
  readonly cwd?: string
}

/** A listener's timeouts and connection limit (schemas/config.json $defs/connections; src/http/listener.ts). */
export interface ConnectionLimits {
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly maxConnections: number
}

/** Large envelopes in flight on the federation listener (PROTOCOL.md §4.4). */
export interface LargeBodyLimits {
  readonly thresholdBytes: number
  readonly perPeer: number
  readonly total: number
  readonly retryAfterSeconds: number
}
