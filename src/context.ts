// The one composition root (house style §8): builds everything a node needs from a frozen Config,
// with overrides for tests (clock, logger, random). Everything that holds a resource is closed by
// `close()` in reverse order of creation. The blocks of wiring live in src/wire/ (one file each, called
// only from here); the order of the calls below is the order of construction, and of the closers.
import type { FastifyInstance } from 'fastify'
import type { Config } from './config/index.js'
import { systemClock, type Clock } from './clock.js'
import { createLogger, type Logger } from './log.js'
import type { Db } from './storage/db.js'
import type { OutboxStore } from './storage/outbox.js'
import type { InboxStore } from './storage/inbox.js'
import type { Registers } from './services/registers.js'
import type { NoticeStore } from './storage/notices.js'
import type { TrustAnchors } from './pki/validate.js'
import type { Directory } from './pki/directory.js'
import type { DirectorySource } from './services/sources/directory-source.js'
import type { TrustHistoryStore } from './storage/trust-history.js'
import { defaultProfiles, type ProfileTable } from './crypto/profiles.js'
import type { CrlSources } from './services/sources/crl-source.js'
import type { HostedAgencies } from './services/hosting/agencies.js'
import type { RescanReport } from './services/hosting/agencies-dir.js'
import type { DeliveryWorker } from './services/delivery/worker.js'
import type { Timestamping } from './services/timestamping.js'
import type { PeerClient } from './federation/peer-client.js'
import type { Events } from './services/events/index.js'
import type { Base } from './wire/base.js'
import { wireAnchors } from './wire/anchors.js'
import { wireStorage } from './wire/storage.js'
import { wireTrust } from './wire/trust.js'
import { wireAgencies } from './wire/agencies.js'
import { wireEvents } from './wire/events.js'
import { wireExpiry } from './wire/expiry.js'
import type { ExpiryWatch } from './services/expiry/index.js'
import { wireAgenciesDir } from './wire/agencies-dir.js'
import { wireTimestamps } from './wire/timestamps.js'
import { wirePeers } from './wire/peers.js'
import { wireDelivery } from './wire/delivery.js'
import { wireNotices } from './wire/notices.js'
import { wireServers } from './wire/servers.js'
import { wireMetrics } from './wire/metrics.js'
import { wireClassified, wireClassifiedRecord } from './wire/classified.js'
import type { ClassifiedStore } from './storage/classified.js'
import { listen } from './wire/listen.js'
import { ApiKeyTable, type ApiKeyEntry } from './services/api-keys.js'
import { wireWitness, type LogWitness } from './wire/witness.js'
import { wireLogEvidence, type LogEvidence } from './wire/log-evidence.js'
import { wireBackup } from './wire/backup.js'
import { wireLeadership } from './wire/leadership.js'
import { checkSentProof, queueReceivedProof } from './services/evidence/received-proofs.js'
import type { ReceiptClaims } from './crypto/types.js'

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
  /** Issue 17 item 4: the node's own certificates and trust documents, judged for /healthz and alerts. */
  readonly expiry: ExpiryWatch
  /** Classified items, their statements and access record (PROTOCOL.md §19). */
  readonly classified: ClassifiedStore
  /** The transparency log's checkpoints, proofs, witness of peers and audit (PROTOCOL.md §20.4–§20.6). */
  readonly logWitness: LogWitness
  /** The recipients' inclusion proofs fetched after delivery, and the evidence bundle's log proofs (PROTOCOL.md §20.7). */
  readonly logEvidence: LogEvidence
  readonly federation: FastifyInstance
  readonly api: FastifyInstance
  directory(): Directory
  /** Rescans hosting.agenciesDir now (SIGHUP); undefined when the node has no agencies folder. */
  reloadAgencies(): RescanReport | undefined
  /** SIGHUP (issue 21 §2): the config file's API keys (when given: the file re-read and valid), the
   *  hosted agencies folder, the directory and the CRLs, now. Never rejects; failures are logged. */
  reload(fresh?: { apiKeys: readonly ApiKeyEntry[] }): Promise<void>
  /** Bind both listeners and start delivering. Returns the bound addresses. */
  listen(): Promise<{ federationUrl: string; apiUrl: string }>
  close(): Promise<void>
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock
  const log = overrides.log ?? createLogger(config.log.level)
  const base: Base = { config, clock, log, random: overrides.random, closers: [] }
  const { closers } = base
  const closeAll = async () => {
    // Reverse order: stop delivering, stop listening, close peers, flush and close the database.
    for (const c of closers.reverse()) {
      try {
        await c()
      } catch (err) {
        log.error({ err }, 'error while closing')
      }
    }
    closers.length = 0
  }
  try {
    return await construct(base, closeAll)
  } catch (err) {
    // Issue 21 §2: a node that cannot be built does not keep half of it (the database, token sessions).
    await closeAll()
    throw err
  }
}

async function construct(base: Base, closeAll: () => Promise<void>): Promise<AppContext> {
  const { config, clock, log } = base
  const trustAnchors = wireAnchors(base)
  const { anchors } = trustAnchors
  const storage = wireStorage(base)
  const { db, outbox, inbox, trustHistory } = storage
  const leadership = wireLeadership(base, { db, outbox })
  wireBackup(base, { db, leadership })
  // The CRLs before the directory, whose signer's path is checked for revocation (PROTOCOL.md §15.1).
  const { crlSources, directorySource, currentDirectory } = await wireTrust(base, trustAnchors, storage)
  const { hosted, registers } = wireAgencies(base, { db, currentDirectory })
  await storage.logWiring.useHosted(hosted)
  const events = wireEvents(base, { db, hosted, owner: outbox.owner })
  const apiKeys = new ApiKeyTable(config.api.keys)
  let expiry: ExpiryWatch | undefined
  const agenciesDir = wireAgenciesDir(base, { hosted, events, currentDirectory, apiKeys, onChange: () => void expiry?.evaluate() })
  // After the folder's first scan, so that its agencies' certificates are judged before the node serves.
  expiry = await wireExpiry(base, { anchors, db, crlSources, directorySource, currentDirectory, hosted, events })
  const profiles = defaultProfiles()
  const timestamps = wireTimestamps(base, { db, anchors, profiles, owner: outbox.owner })
  const { tls, peers } = wirePeers(base, { anchorCerts: trustAnchors.anchorCerts, currentDirectory })
  const classifiedRecord = wireClassifiedRecord(base, { db })
  const logWitness = wireWitness(base, { db, hosted, anchors, currentDirectory, events, peers, leadership, signerRevoked: (agency) => expiry.findings().some((f) => f.revokedSigner === agency) })
  const logEvidence = wireLogEvidence(base, { db, logWitness, outbox })
  const receivedProofs = {
    check: checkSentProof,
    queue: (mid: string, claims: ReceiptClaims, now: number) => queueReceivedProof(logEvidence.store, mid, claims, now),
    kick: () => logEvidence.fetcher.kick(),
  }
  const { envelopes, delivery } = wireDelivery(base, { db, outbox, peers, profiles, anchors, currentDirectory, directorySource, timestamps, events, onClassifiedDelivered: classifiedRecord.onDelivered, witness: logWitness.witness, receivedProofs })
  // The sender's latest checkpoint for every envelope sealed outside send.ts (PROTOCOL.md §20.5).
  const checkpoint = config.transparencyLog.enabled ? (a: string): string | undefined => logWitness.signer.latest(a) : undefined
  const { notices, noticeDeps } = wireNotices(base, { db, outbox, anchors, currentDirectory, profiles, hosted, envelopes, delivery, registers, timestamps, events, checkpoint })
  const classified = wireClassified(base, classifiedRecord, {
    db, outbox, anchors, currentDirectory, profiles, hosted, envelopes, checkpoint, onQueued: () => delivery.notify(), requireFreshDirectory: () => directorySource.requireUsable(),
    directoryJws: () => directorySource.jws(), receivedLog: logEvidence.receivedLog,
  })
  const servers = await wireServers(base, {
    anchors, ...storage, crlSources, directorySource, currentDirectory, hosted, registers, tls, envelopes, delivery, notices, noticeDeps, profiles, timestamps, events, classified, apiKeys, logWitness, expiry,
    logFor: logEvidence.logFor, receivedLog: logEvidence.receivedLog, settleLog: () => logEvidence.fetcher.settle(),
  })
  const { federation, api } = servers
  // GET /metrics (issue 17 item 1): a hook on the federation listener and a route on the API listener.
  await wireMetrics(base, { db, outbox, events, directorySource, currentDirectory, crlSources, timestamps, hosted, apiKeys, anchorCerts: trustAnchors.anchorCerts, tlsCert: tls.cert, federation, api })

  const ctx: AppContext = {
    config, clock, log, db, outbox, inbox, registers, notices, classified: classifiedRecord.store, logWitness, logEvidence, anchors, hosted, profiles, peers, delivery, timestamps, events, expiry, federation, api, directorySource, trustHistory, crlSources,
    directory: currentDirectory,
    reloadAgencies: () => agenciesDir?.rescan(),
    async reload(fresh) {
      if (fresh) {
        const { added, removed } = apiKeys.replace(fresh.apiKeys)
        log.info({ event: 'config.api-keys-reloaded', added, removed }, 'API keys of the config file reloaded')
      }
      agenciesDir?.rescan()
      void expiry?.evaluate()
      // Open event streams ask their key again (a removed key ends its stream).
      await events.agenciesChanged()
      const refreshed = await Promise.allSettled([directorySource.refresh(), crlSources.refresh()])
      for (const r of refreshed) if (r.status === 'rejected') log.error({ err: r.reason, event: 'trust.reload-failed' }, 'could not reload the directory or a CRL')
    },
    listen: () => listen(base, { ...servers, events, delivery, noticeDeps, directorySource, crlSources, timestamps, logWitness }),
    close: closeAll,
  }
  return ctx
}
