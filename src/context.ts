// The one composition root (house style §8): builds everything a node needs from a frozen Config,
// with overrides for tests (clock, logger, random). Everything that holds a resource is closed by
// `close()` in reverse order of creation.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Config } from './config/index.js'
import { systemClock, type Clock } from './clock.js'
import { createLogger, type Logger } from './log.js'
import { Db } from './storage/db.js'
import { OutboxStore } from './storage/outbox.js'
import { TimestampStore } from './storage/timestamps.js'
import { InboxStore } from './storage/inbox.js'
import { RegisterStore } from './storage/registers.js'
import { Registers } from './services/registers.js'
import { NoticeStore } from './storage/notices.js'
import type { NoticeDeps } from './services/notices/deps.js'
import { resumeNotices } from './services/notices/seal-notice.js'
import { noticeEvidence } from './services/notices/evidence-source.js'
import { parsePemChain } from './pki/cert.js'
import { TrustAnchors } from './pki/validate.js'
import type { Directory } from './pki/directory.js'
import { DirectorySource } from './services/directory-source.js'
import { TrustHistoryStore } from './storage/trust-history.js'
import { defaultProfiles, type ProfileTable } from './crypto/profiles.js'
import { CrlSources, createRevocationChecker } from './services/crl-source.js'
import { HostedAgencies } from './services/hosted-agencies.js'
import { AgenciesDir, type RescanReport } from './services/hosted-agencies-dir.js'
import { DeliveryWorker } from './services/deliver.js'
import { Timestamping } from './services/timestamping.js'
import { TsaClient } from './tsa/client.js'
import { health } from './services/health.js'
import { EnvelopeCache } from './services/envelope-cache.js'
import { PeerClient } from './federation/peer-client.js'
import { buildFederationServer } from './federation/server.js'
import { buildApiServer } from './api/server.js'
import { Events, type WebhookEndpoint } from './services/events/index.js'
import { webhookEndpoints } from './services/events/endpoints.js'
import { VERSION } from './version.js'

/** Largest signed directory a node fetches (100,000 agencies with a few certificates each fit). */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024

export interface ContextOverrides {
  readonly clock?: Clock
  readonly log?: Logger
  readonly random?: () => number
}

export interface AppContext {
  readonly config: Config
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly inbox: InboxStore
  /** Register books and numbering (README "Registers"); writers run inside db.write(). */
  readonly registers: Registers
  /** Notices about letters, both directions (PROTOCOL.md §18). */
  readonly notices: NoticeStore
  readonly anchors: TrustAnchors
  /** the CRL sources behind anchors' revocation check (PROTOCOL.md §15) */
  readonly crlSources: CrlSources
  readonly hosted: HostedAgencies
  readonly profiles: ProfileTable
  readonly peers: PeerClient
  readonly delivery: DeliveryWorker
  /** The refreshing signed directory (PROTOCOL.md §14): status, refresh(), jws(). */
  readonly directorySource: DirectorySource
  /** What this node trusted when (directoryAt, crlsAt) for evidence. */
  readonly trustHistory: TrustHistoryStore
  /** RFC 3161 time-stamps of signatures: queue, worker, status and tokensFor (PROTOCOL.md §13). */
  readonly timestamps: Timestamping
  /** Events for saraban systems: the sink producers emit into, the SSE streams, webhooks (issue 5 §6). */
  readonly events: Events
  readonly federation: FastifyInstance
  readonly api: FastifyInstance
  directory(): Directory
  /** Rescans hosting.agenciesDir now (SIGHUP); undefined when the node has no agencies folder. */
  reloadAgencies(): RescanReport | undefined
  /** Bind both listeners and start delivering. Returns the bound addresses. */
  listen(): Promise<{ federationUrl: string; apiUrl: string }>
  close(): Promise<void>
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock
  const log = overrides.log ?? createLogger(config.log.level)
  const closers: Array<() => Promise<void> | void> = []

  const anchorCerts = config.trust.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8')))
  // PROTOCOL.md §15: every validation below checks revocation (hard fail unless configured soft).
  const revocation = createRevocationChecker(config, { clock, log: log.child({ area: 'revocation' }) })
  const anchors = new TrustAnchors(anchorCerts, { revocation })
  const storageLog = log.child({ area: 'storage' })
  const db = Db.open(join(config.dataDir, 'saraban.sqlite'), {
    synchronous: config.storage.synchronous,
    checkpoint: config.storage.checkpoint,
    onCheckpoint: (event) => {
      if (event.kind === 'error' || event.kind === 'fallback') storageLog.warn({ event: `checkpoint.${event.kind}`, detail: event }, 'WAL checkpointing needs attention')
    },
  })
  closers.push(() => db.close())
  const outbox = new OutboxStore(db, undefined, { agingMs: config.delivery.urgencyAgingMs })
  // Issue 5 §4: envelopes stored ahead of a letter whose sealing never finished (the process died
  // mid-send; the client had no 202 and retries): nothing refers to them, so they go.
  const unsealed = outbox.dropSealing()
  if (unsealed > 0) storageLog.warn({ event: 'letter.sealing.dropped', envelopes: unsealed }, 'deleted the envelopes of letters whose sealing never finished')
  const inbox = new InboxStore(db)
  const trustHistory = new TrustHistoryStore(db)

  // The CRLs come first: the directory signer's path is checked for revocation too (PROTOCOL.md §15.1).
  const crlSources = await CrlSources.open({
    locations: config.trust.crls, dataDir: config.dataDir, crls: revocation.crls, issuers: () => anchors.cas(), mode: config.trust.revocation,
    settings: { refreshMs: config.trust.refreshSeconds * 1000, graceMs: config.trust.graceSeconds * 1000 },
    fetch: { timeoutMs: config.trust.fetchTimeoutSeconds * 1000, maxBytes: 0, extraCa: anchorCerts.map((c) => c.toString()) },
    clock, log: log.child({ area: 'revocation' }), history: { db, store: trustHistory },
  })
  closers.push(() => crlSources.close())
  // The directory is fetched, verified, kept and refreshed by its source (PROTOCOL.md §14); everything
  // reads it through currentDirectory(), so that a refresh is one swap.
  const directorySource = await DirectorySource.open({
    location: config.trust.directory,
    dataDir: config.dataDir,
    anchors,
    settings: { refreshMs: config.trust.refreshSeconds * 1000, graceMs: config.trust.graceSeconds * 1000 },
    fetch: { timeoutMs: config.trust.fetchTimeoutSeconds * 1000, maxBytes: MAX_DIRECTORY_BYTES, extraCa: anchorCerts.map((c) => c.toString()) },
    clock,
    log: log.child({ area: 'trust' }),
    history: { db, store: trustHistory },
  })
  closers.push(() => directorySource.close())
  const currentDirectory = () => directorySource.directory()
  // Directory entries carry leaf certificates; the issuing CAs come with the directory (PROTOCOL.md §1.4).
  anchors.addIntermediates(currentDirectory().intermediates())
  directorySource.onUpdate((d) => anchors.addIntermediates(d.intermediates()))
  await crlSources.issuersKnown()
  directorySource.onUpdate(() => void crlSources.issuersKnown())
  const directory = currentDirectory()
  const hosted = HostedAgencies.load(config.agencies, { now: () => clock.now(), directory: currentDirectory })
  const registers = new Registers({
    store: new RegisterStore(db),
    books: config.registers.books,
    ownerCode: (agency) => hosted.get(agency)?.ownerCode,
    agencyName: (agency) => currentDirectory().agency(agency)?.nameTh ?? agency,
  })
  const agencyEndpoints = (agency: string): WebhookEndpoint[] =>
    (hosted.get(agency)?.webhooks ?? []).map((w) => ({ ...w, name: `${agency}/${w.name}`, agencies: new Set([agency]) }))
  // Issue 5 §6: every producer gets `events: events.sink` in its deps and calls events?.emit() inside
  // its db.write fn; the stream and the webhooks read what was committed.
  const n = config.notifications
  const events = new Events({
    db, clock, log: log.child({ area: 'events' }),
    endpoints: webhookEndpoints(n.webhooks),
    // Hosted-agency files may bring their own endpoints (README "Notifications"), named "<agency>/<name>".
    agencyEndpoints: { forAgency: agencyEndpoints, all: () => hosted.ids().flatMap(agencyEndpoints) },
    userAgent: `saraban-node/${VERSION}`,
    settings: {
      retentionDays: n.retentionDays,
      pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: n.heartbeatSeconds * 1000, slowClientMs: n.slowClientSeconds * 1000, batch: 200, maxStreams: n.maxStreams, retryMs: 3000 },
      webhooks: n.webhookDelivery,
    },
    ...(overrides.random ? { random: overrides.random } : {}),
  })
  // PROTOCOL.md §16.3: agencies from hosting.agenciesDir come and go without a restart.
  const agenciesDir = config.hosting.agenciesDir === undefined ? undefined : new AgenciesDir({
    dir: config.hosting.agenciesDir,
    hosted,
    log: log.child({ area: 'hosting' }),
    env: process.env,
    rescanSeconds: config.hosting.rescanSeconds,
    staticIds: new Set(config.agencies.map((a) => a.id)),
    staticKeyHashes: new Set(config.api.keys.map((k) => k.sha256.toLowerCase())),
    // API keys and webhook endpoints come and go with the files: open streams and pending deliveries follow.
    onChange: () => void events.agenciesChanged(),
  })
  if (agenciesDir) {
    agenciesDir.start()
    closers.push(() => agenciesDir.close())
  }
  for (const id of hosted.ids()) {
    if (!directory.agency(id)) log.warn({ event: 'config.agency-not-in-directory', agency: id }, 'a hosted agency is not in the directory: peers will refuse its letters')
  }
  const profiles = defaultProfiles()
  const tsa = config.tsa
  const timestamps = new Timestamping({
    clock, log: log.child({ area: 'timestamping' }), db, store: new TimestampStore(db), anchors, profiles,
    client: tsa.url ? new TsaClient({ url: tsa.url, timeoutMs: tsa.timeoutMs, caFile: tsa.caFile }) : undefined,
    settings: tsa,
    ...(overrides.random ? { random: overrides.random } : {}),
  })
  closers.push(() => timestamps.stop())

  // One TLS identity for both directions (server and client of mutual TLS).
  const tls = {
    key: readFileSync(config.tls.key),
    cert: readFileSync(config.tls.cert),
    ca: anchorCerts.map((c) => c.toString()),
    ...(config.tls.passphrase ? { passphrase: config.tls.passphrase } : {}),
  }
  const peers = new PeerClient({
    tls,
    directory: currentDirectory,
    connectionsPerPeer: config.delivery.concurrencyPerPeer,
    requestTimeoutMs: config.delivery.requestTimeoutMs,
  })
  closers.push(() => peers.close())

  const envelopes = new EnvelopeCache(64 * 1024 * 1024)
  const delivery = new DeliveryWorker({
    envelopes,
    clock, log: log.child({ area: 'delivery' }), db, outbox, peers, profiles, anchors,
    directory: currentDirectory,
    // PROTOCOL.md §14.4: past nextUpdate + grace, queued letters wait (unclaimed) for a fresh directory.
    paused: () => !directorySource.usable(),
    timestamps,
    events: events.sink, // letter.delivered, letter.failed and the deadline events (issue 5 §5, §6)
    settings: {
      maxAttempts: config.delivery.maxAttempts,
      initialBackoffMs: config.delivery.initialBackoffMs,
      maxBackoffMs: config.delivery.maxBackoffMs,
      jitter: config.delivery.jitter,
      maxInFlight: config.delivery.maxInFlight,
      maxPerPeer: config.delivery.concurrencyPerPeer,
      deadlineAtRiskMs: config.delivery.deadlineAtRiskMs,
    },
    ...(overrides.random ? { random: overrides.random } : {}),
  })

  // Notices (PROTOCOL.md §18): registered/rejected/withdrawn acts, sealed into the same outbox.
  const notices = new NoticeStore(db)
  const noticeDeps: NoticeDeps = {
    clock, log: log.child({ area: 'notices' }), db, outbox, notices, anchors, directory: currentDirectory, profiles, hosted, envelopes,
    onQueued: () => delivery.notify(), registers, timestamps, events: events.sink,
  }
  const limits = { maxEnvelopeBytes: config.limits.maxEnvelopeBytes }
  const federation = await buildFederationServer({
    tls,
    anchors,
    directory: currentDirectory,
    log,
    receive: { clock, log: log.child({ area: 'receive' }), db, inbox, anchors, directory: currentDirectory, profiles, hosted, limits, requireFreshDirectory: () => directorySource.requireUsable(), timestamps, events: events.sink, notices,
      sharedContent: (sha256, length, senders) => inbox.contentFrom(sha256, length, senders) },
  })
  let federationUrl = `https://${config.federation.host}:${config.federation.port}`
  const api = await buildApiServer({
    log,
    keys: config.api.keys,
    maxBodyBytes: config.limits.maxApiBodyBytes,
    uploadLimits: config.limits,
    outbox,
    inbox,
    registers,
    notices,
    notice: noticeDeps,
    directory: currentDirectory,
    hosted,
    send: { clock, log: log.child({ area: 'send' }), db, outbox, registers, anchors, directory: currentDirectory, profiles, hosted, onQueued: () => delivery.notify(), envelopes, requireFreshDirectory: () => directorySource.requireUsable(), timestamps },
    evidence: {
      clock, profiles, directoryJws: () => directorySource.jws(),
      // What was in force when each signature was made (PROTOCOL.md §8.5); tokensFor: from the time-stamping queue.
      directoryAt: (at) => trustHistory.directoryAt(at.getTime()),
      crlsAt: (at) => trustHistory.crlsAt(at.getTime()),
      tokensFor: (messageId) => timestamps.tokensFor(messageId).filter((t) => t.side === 'outbox'),
      noticesFor: (messageIds) => noticeEvidence({ notices, outbox, tokensFor: (id, side) => timestamps.tokensFor(id).filter((t) => t.side === side) }, messageIds),
    },
    version: VERSION,
    profiles,
    events,
    get federationUrl() { return federationUrl },
    health: () => health({ clock, db, outbox, directory: currentDirectory, directoryStatus: () => directorySource.status(), agencies: () => hosted.ids(), version: VERSION, timestamping: () => timestamps.status(),
      revocationStatus: () => ({ mode: config.trust.revocation, sources: crlSources.status(), pending: crlSources.pending() }),
      notifications: () => events.status() }),
  })

  const ctx: AppContext = {
    config, clock, log, db, outbox, inbox, registers, notices, anchors, hosted, profiles, peers, delivery, timestamps, events, federation, api, directorySource, trustHistory, crlSources,
    directory: currentDirectory,
    reloadAgencies: () => agenciesDir?.rescan(),
    async listen() {
      await federation.listen({ host: config.federation.host, port: config.federation.port })
      closers.push(() => federation.close())
      await api.listen({ host: config.api.host, port: config.api.port })
      closers.push(() => api.close())
      const fa = federation.server.address()
      // Streams end (preClose of the API) before the listeners close; the worker stops with them.
      await events.start()
      closers.push(() => events.stop())
      const aa = api.server.address()
      federationUrl = `https://${config.federation.host}:${typeof fa === 'object' && fa ? fa.port : config.federation.port}`
      delivery.start()
      closers.push(() => delivery.stop())
      // Notices recorded but not sealed (a crash, or no usable certificate then) are sealed now and every minute.
      void resumeNotices(noticeDeps)
      const noticeTimer = setInterval(() => void resumeNotices(noticeDeps), 60_000)
      noticeTimer.unref()
      closers.push(() => clearInterval(noticeTimer))
      // A fresh directory resumes deliveries paused by a stale one.
      directorySource.onUpdate(() => delivery.notify())
      directorySource.start()
      crlSources.start()
      timestamps.start()
      if (!timestamps.enabled) log.info({ event: 'timestamp.off' }, 'time-stamping is off (no tsa.url in the configuration)')
      return { federationUrl, apiUrl: `http://${config.api.host}:${typeof aa === 'object' && aa ? aa.port : config.api.port}` }
    },
    async close() {
      // Reverse order: stop delivering, stop listening, close peers, flush and close the database.
      for (const c of closers.reverse()) {
        try {
          await c()
        } catch (err) {
          log.error({ err }, 'error while closing')
        }
      }
      closers.length = 0
    },
  }
  return ctx
}
