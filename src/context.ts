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
import { InboxStore } from './storage/inbox.js'
import { parsePemChain } from './pki/cert.js'
import { TrustAnchors } from './pki/validate.js'
import { Directory, verifyDirectory } from './pki/directory.js'
import { defaultProfiles, type ProfileTable } from './crypto/profiles.js'
import { HostedAgencies } from './services/hosted-agencies.js'
import { AgenciesDir, type RescanReport } from './services/hosted-agencies-dir.js'
import { DeliveryWorker } from './services/deliver.js'
import { health } from './services/health.js'
import { EnvelopeCache } from './services/envelope-cache.js'
import { PeerClient } from './federation/peer-client.js'
import { buildFederationServer } from './federation/server.js'
import { buildApiServer } from './api/server.js'
import { VERSION } from './version.js'

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
  readonly anchors: TrustAnchors
  readonly hosted: HostedAgencies
  readonly profiles: ProfileTable
  readonly peers: PeerClient
  readonly delivery: DeliveryWorker
  readonly federation: FastifyInstance
  readonly api: FastifyInstance
  directory(): Directory
  /** Rescans hosting.agenciesDir now (SIGHUP); undefined when the node has no agencies folder. */
  reloadAgencies(): RescanReport | undefined
  /** Verifies a signed directory and uses it from now on (refuses a lower serial). Until the
   *  directory refresh (PROTOCOL.md §14) lands, the way tests replace certificates at run time. */
  installDirectory(jws: string): Promise<void>
  /** Bind both listeners and start delivering. Returns the bound addresses. */
  listen(): Promise<{ federationUrl: string; apiUrl: string }>
  close(): Promise<void>
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock
  const log = overrides.log ?? createLogger(config.log.level)
  const closers: Array<() => Promise<void> | void> = []

  const anchorCerts = config.trust.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8')))
  const anchors = new TrustAnchors(anchorCerts)
  let directoryJws = readFileSync(config.trust.directory, 'utf8').trim()
  let directory = new Directory(await verifyDirectory(directoryJws, anchors, new Date(clock.now())))
  // Directory entries carry leaf certificates; the issuing CAs come with the directory (PROTOCOL.md §1.4).
  anchors.addIntermediates(directory.intermediates())
  // Everything reads the directory through this, so that a refresh (issue 4) is one assignment.
  const currentDirectory = () => directory
  const installDirectory = async (jws: string) => {
    const next = new Directory(await verifyDirectory(jws, anchors, new Date(clock.now())))
    if (next.document().serial < directory.document().serial) {
      throw new Error(`directory serial ${next.document().serial} is lower than the one in use (${directory.document().serial})`)
    }
    anchors.addIntermediates(next.intermediates())
    directory = next
    directoryJws = jws
  }
  const hosted = HostedAgencies.load(config.agencies, { now: () => clock.now(), directory: currentDirectory })
  // PROTOCOL.md §16.3: agencies from hosting.agenciesDir come and go without a restart.
  const agenciesDir = config.hosting.agenciesDir === undefined ? undefined : new AgenciesDir({
    dir: config.hosting.agenciesDir,
    hosted,
    log: log.child({ area: 'hosting' }),
    env: process.env,
    rescanSeconds: config.hosting.rescanSeconds,
    staticIds: new Set(config.agencies.map((a) => a.id)),
    staticKeyHashes: new Set(config.api.keys.map((k) => k.sha256.toLowerCase())),
  })
  if (agenciesDir) {
    agenciesDir.start()
    closers.push(() => agenciesDir.close())
  }
  for (const id of hosted.ids()) {
    if (!directory.agency(id)) log.warn({ event: 'config.agency-not-in-directory', agency: id }, 'a hosted agency is not in the directory: peers will refuse its letters')
  }
  const profiles = defaultProfiles()

  const storageLog = log.child({ area: 'storage' })
  const db = Db.open(join(config.dataDir, 'saraban.sqlite'), {
    synchronous: config.storage.synchronous,
    checkpoint: config.storage.checkpoint,
    onCheckpoint: (event) => {
      if (event.kind === 'error' || event.kind === 'fallback') storageLog.warn({ event: `checkpoint.${event.kind}`, detail: event }, 'WAL checkpointing needs attention')
    },
  })
  closers.push(() => db.close())
  const outbox = new OutboxStore(db)
  const inbox = new InboxStore(db)

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
    settings: {
      maxAttempts: config.delivery.maxAttempts,
      initialBackoffMs: config.delivery.initialBackoffMs,
      maxBackoffMs: config.delivery.maxBackoffMs,
      jitter: config.delivery.jitter,
      maxInFlight: config.delivery.maxInFlight,
    },
    ...(overrides.random ? { random: overrides.random } : {}),
  })

  const limits = { maxEnvelopeBytes: config.limits.maxEnvelopeBytes }
  const federation = await buildFederationServer({
    tls,
    anchors,
    directory: currentDirectory,
    log,
    receive: { clock, log: log.child({ area: 'receive' }), db, inbox, anchors, directory: currentDirectory, profiles, hosted, limits },
  })
  let federationUrl = `https://${config.federation.host}:${config.federation.port}`
  const api = await buildApiServer({
    log,
    keys: config.api.keys,
    maxBodyBytes: config.limits.maxApiBodyBytes,
    outbox,
    inbox,
    directory: currentDirectory,
    hosted,
    send: { clock, log: log.child({ area: 'send' }), db, outbox, anchors, directory: currentDirectory, profiles, hosted, onQueued: () => delivery.notify(), envelopes },
    evidence: { clock, profiles, directoryJws: () => directoryJws },
    version: VERSION,
    profiles,
    get federationUrl() { return federationUrl },
    health: () => health({ clock, db, outbox, directory: currentDirectory, agencies: () => hosted.ids(), version: VERSION }),
  })

  const ctx: AppContext = {
    config, clock, log, db, outbox, inbox, anchors, hosted, profiles, peers, delivery, federation, api,
    directory: currentDirectory,
    reloadAgencies: () => agenciesDir?.rescan(),
    installDirectory,
    async listen() {
      await federation.listen({ host: config.federation.host, port: config.federation.port })
      closers.push(() => federation.close())
      await api.listen({ host: config.api.host, port: config.api.port })
      closers.push(() => api.close())
      const fa = federation.server.address()
      const aa = api.server.address()
      federationUrl = `https://${config.federation.host}:${typeof fa === 'object' && fa ? fa.port : config.federation.port}`
      delivery.start()
      closers.push(() => delivery.stop())
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
