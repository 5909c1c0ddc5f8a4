// The two Fastify instances, built but not listening (house style §5): the federation server (mutual
// TLS, receive) and the local API (send, views, acts, evidence, health, events).
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { ProfileTable } from '../crypto/profiles.js'
import { buildFederationServer } from '../federation/server.js'
import { buildApiServer, type ApiDeps } from '../api/server.js'
import { health } from '../services/health.js'
import { UploadSpool } from '../services/uploads/spool.js'
import { noticeEvidence } from '../services/notices/evidence-source.js'
import type { EvidenceDeps } from '../services/evidence/index.js'
import { Mailbox } from '../services/mailbox/index.js'
import type { Events } from '../services/events/index.js'
import type { Timestamping } from '../services/timestamping.js'
import { VERSION } from '../version.js'
import type { Base } from './base.js'
import type { Anchors } from './anchors.js'
import type { Storage } from './storage.js'
import type { Trust } from './trust.js'
import type { Agencies } from './agencies.js'
import type { Peers } from './peers.js'
import type { Delivery } from './delivery.js'
import type { Notices } from './notices.js'
import type { ClassifiedDeps } from '../services/classified/deps.js'
import type { ClassifiedReceiveDeps } from '../services/classified/receive.js'
import type { LogWitness } from './witness.js'
import { logApi } from '../services/log/api.js'
import { ecmsLetterOrigin, ecmsPublicPaths, wireEcms } from './ecms.js'
import type { ApiKeyTable } from '../services/api-keys.js'
import type { ReceivedLog } from '../services/evidence/received-log.js'
import { InFlight } from '../services/idempotency/in-flight.js'
import { METRICS_PATH } from '../api/routes/metrics.js'
import { StatisticsStore } from '../storage/statistics.js'
import { wireConsole, CONSOLE_PATH } from './console.js'
import type { ExpiryWatch } from '../services/expiry/index.js'
import { OpenedContents } from '../services/receive/open-memo.js'

export interface ServerParts extends Pick<Anchors, 'anchors'>, Storage, Trust, Agencies, Pick<Peers, 'tls'>, Delivery, Notices {
  readonly profiles: ProfileTable
  readonly timestamps: Timestamping
  readonly events: Events
  readonly classified: { deps: ClassifiedDeps; receive: ClassifiedReceiveDeps }
  /** api.keys of the config file, replaced on SIGHUP (context.ts reload()). */
  readonly apiKeys: ApiKeyTable
  readonly logWitness: LogWitness
  /** Issue 17 item 4: findings about the node's own certificates and trust documents, for /healthz. */
  readonly expiry?: { findings(): ReturnType<ExpiryWatch['findings']> } | undefined
  /** The log proofs of an evidence bundle (PROTOCOL.md §20.7, wire/log-evidence.ts). */
  readonly logFor?: EvidenceDeps['logFor']
  /** The recipient's proof of a notice's receipt (PROTOCOL.md §20.7, wire/log-evidence.ts). */
  readonly receivedLog?: ReceivedLog | undefined
  /** Asks the recipients' proofs still in their gathering window now (wire/log-evidence.ts). */
  readonly settleLog?: () => Promise<void>
}

export interface Servers {
  readonly federation: FastifyInstance
  readonly api: FastifyInstance
  /** The federation URL the API reports; listen() puts the bound port in (port 0 in tests). */
  readonly advertised: { federationUrl: string }
}

export async function wireServers(base: Base, p: ServerParts): Promise<Servers> {
  const { config, clock, log } = base
  const { db, outbox, inbox, anchors, currentDirectory, directorySource, crlSources, trustHistory, profiles, hosted, registers, notices, noticeDeps, timestamps, events, delivery, envelopes } = p
  const limits = { maxEnvelopeBytes: config.limits.maxEnvelopeBytes, maxWholeEnvelopeBytes: config.limits.maxWholeEnvelopeBytes }
  const federation = await buildFederationServer({
    tls: p.tls,
    anchors,
    directory: currentDirectory,
    log,
    connections: config.federation.connections,
    largeBodies: config.federation.largeBodies,
    receive: { clock, log: log.child({ area: 'receive' }), db, inbox, anchors, directory: currentDirectory, profiles, hosted, limits, requireFreshDirectory: () => directorySource.requireUsable(), timestamps, events: events.sink, notices,
      sharedContent: (sha256, length, senders) => inbox.contentFrom(sha256, length, senders), classified: p.classified.receive, openMemo: new OpenedContents(clock),
      ...(config.transparencyLog.enabled ? { tlog: p.logWitness.receiveLog } : {}), witness: p.logWitness.witness },
    logProofs: p.logWitness.proofs,
    staging: p.staging,
  })
  const advertised = { federationUrl: `https://${config.federation.host}:${config.federation.port}` }
  const mailbox = new Mailbox({ outbox, inbox, notices, profiles, hosted })
  // Issue 16 item 2: multipart attachments are spooled here; what this process's earlier life left goes now.
  const uploads = new UploadSpool(join(config.dataDir, 'uploads'), outbox.owner)
  const swept = uploads.sweep()
  if (swept > 0) log.info({ event: 'uploads.swept', files: swept }, 'removed attachment files an earlier run left spooled')
  const send = { clock, log: log.child({ area: 'send' }), db, outbox, registers, anchors, directory: currentDirectory, profiles, hosted, onQueued: () => delivery.notify(), envelopes, requireFreshDirectory: () => directorySource.requireUsable(), timestamps, inFlight: new InFlight(), letterStands: (id: string) => mailbox.letterStands(id),
    checkpoint: (agency: string) => (config.transparencyLog.enabled ? p.logWitness.signer.latest(agency) : undefined),
    recordPlaintext: (e: { agency: string; letterId: string; apiKey?: string | undefined }) => p.classified.deps.access.append({ agency: e.agency, event: 'plaintext-send', outcome: 'success', rule: 'plaintext-allowed-by-switch', messageId: e.letterId, apiKey: e.apiKey }) }
  const apiDeps: ApiDeps = {
    log,
    // GET /metrics asks for its key itself (api/routes/metrics.ts: config metrics.openTo may open it);
    // the console authenticates its own callers (wire/console.ts).
    publicPaths: [...ecmsPublicPaths(base), METRICS_PATH, CONSOLE_PATH],
    letterOrigin: ecmsLetterOrigin(db),
    keys: p.apiKeys,
    maxBodyBytes: config.limits.maxApiBodyBytes,
    connections: config.api.connections,
    uploadLimits: config.limits,
    uploads,
    mailbox,
    registers,
    notice: noticeDeps,
    directory: currentDirectory,
    hosted,
    send,
    evidence: {
      clock, profiles, directoryJws: () => directorySource.jws(),
      // What was in force when each signature was made (PROTOCOL.md §8.5); tokensFor: from the time-stamping queue.
      directoryAt: (at) => trustHistory.directoryAt(at.getTime()),
      crlsAt: (at) => trustHistory.crlsAt(at.getTime()),
      tokensFor: (messageId) => timestamps.tokensFor(messageId).filter((t) => t.side === 'outbox'),
      noticesFor: (messageIds) => noticeEvidence({ notices, outbox, tokensFor: (id, side) => timestamps.tokensFor(id).filter((t) => t.side === side), receivedLog: p.receivedLog }, messageIds),
      ...(p.logFor ? { logFor: p.logFor } : {}),
      ...(p.settleLog ? { settleLog: p.settleLog } : {}),
    },
    deliveryOps: {
      requeue: { clock, log: log.child({ area: 'delivery' }), db, outbox, events: events.sink, onQueued: () => delivery.notify() },
      peers: { outbox, circuits: () => delivery.circuits(), peerOf: (agency) => delivery.peerOf(agency) },
    },
    version: VERSION,
    profiles,
    events,
    classified: p.classified.deps,
    statistics: { store: new StatisticsStore(db), clock },
    tlog: logApi({ proofs: p.logWitness.proofs, store: p.logWitness.peerCheckpoints, audit: p.logWitness.audit }),
    get federationUrl() { return advertised.federationUrl },
    health: () => health({ clock, db, outbox, directory: currentDirectory, directoryStatus: () => directorySource.status(), agencies: () => hosted.ids(), version: VERSION, timestamping: () => timestamps.status(),
      revocationStatus: () => ({ mode: config.trust.revocation, sources: crlSources.status(), pending: crlSources.pending() }),
      notifications: () => events.status(), logWitness: () => p.logWitness.peerCheckpoints.misbehaviourCount(), expiry: () => p.expiry?.findings() ?? [] }),
  }
  const api = await buildApiServer(apiDeps)
  // The admin console (issue 17 item 2) rides on the API listener, through the same services.
  await wireConsole(base, api, p, apiDeps)
  // The e-CMS gateway (README "e-CMS gateway") rides on the API listener, through the same send service.
  await wireEcms(base, api, { db, outbox, hosted, currentDirectory, notices, send, queue: { inbox, noticeDeps, profiles, events, registers } })
  return { federation, api, advertised }
}
