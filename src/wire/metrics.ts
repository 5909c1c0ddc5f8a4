// GET /metrics (issue 17 item 1): the node's registry, fed by the outbox, the events bus and the
// federation listener, read by the route on the API listener. Called after wireServers: both servers
// are built and not listening yet, so a hook and a route can still be added.
import type { X509Certificate } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { cidrList } from '../config/cidr.js'
import { NodeMetrics, certificatesInUse } from '../services/metrics/index.js'
import { MetricsStore } from '../storage/metrics.js'
import { observeFederation } from '../federation/observe.js'
import { metricsRoutes } from '../api/routes/metrics.js'
import { apiKeyLookup } from '../api/auth.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Events } from '../services/events/index.js'
import type { DirectorySource } from '../services/sources/directory-source.js'
import type { CrlSources } from '../services/sources/crl-source.js'
import type { Timestamping } from '../services/timestamping.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { ApiKeyTable } from '../services/api-keys.js'
import type { Directory } from '../pki/directory.js'
import type { Base } from './base.js'

export interface MetricsParts {
  readonly db: Db
  readonly outbox: OutboxStore
  readonly events: Events
  readonly directorySource: DirectorySource
  readonly currentDirectory: () => Directory
  readonly crlSources: CrlSources
  readonly timestamps: Timestamping
  readonly hosted: HostedAgencies
  readonly apiKeys: ApiKeyTable
  readonly anchorCerts: readonly X509Certificate[]
  readonly tlsCert: string | Buffer
  readonly federation: FastifyInstance
  readonly api: FastifyInstance
}

export async function wireMetrics({ config, clock, log, closers }: Base, p: MetricsParts): Promise<NodeMetrics> {
  const store = new MetricsStore(p.db)
  const metrics = new NodeMetrics({
    log: log.child({ area: 'metrics' }),
    store,
    observeOutbox: (fn) => p.outbox.observe(fn),
    tapEvents: (fn) => p.events.sink.tap(fn),
    afterCommit: (fn) => p.db.afterCommit(fn),
    state: {
      now: () => clock.now(),
      queues: () => store.queues(),
      directory: () => ({ issuedAt: p.currentDirectory().document().issuedAt, status: p.directorySource.status() }),
      crls: () => p.crlSources.status(),
      timestamping: () => p.timestamps.status(),
      notifications: () => p.events.status(),
      certificates: () => certificatesInUse({
        tlsChainPem: p.tlsCert, anchors: p.anchorCerts, directoryJws: () => p.directorySource.jws(),
        agencies: () => p.hosted.ids().flatMap((id) => {
          const a = p.hosted.get(id)
          return a ? [a] : []
        }),
      }),
    },
  })
  closers.push(() => metrics.close())
  observeFederation(p.federation, { refused: (code) => metrics.refused(code), tlsFailed: (reason) => metrics.tlsFailed(reason) })
  await metricsRoutes(p.api, {
    scrape: () => metrics.scrape(),
    openTo: cidrList(config.metrics.openTo),
    lookup: apiKeyLookup(p.apiKeys, (sha) => p.hosted.apiKey(sha)),
  })
  return metrics
}
