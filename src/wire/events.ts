// Events for saraban systems (issue 5 §6): the sink producers emit into, the SSE streams, webhooks.
import { Events, type WebhookEndpoint } from '../services/events/index.js'
import { webhookEndpoints } from '../services/events/endpoints.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { Db } from '../storage/db.js'
import { VERSION } from '../version.js'
import type { Base } from './base.js'

export function wireEvents({ config, clock, log, random }: Base, { db, hosted, owner }: { db: Db; hosted: HostedAgencies; owner: string }): Events {
  const agencyEndpoints = (agency: string): WebhookEndpoint[] =>
    (hosted.get(agency)?.webhooks ?? []).map((w) => ({ ...w, name: `${agency}/${w.name}`, agencies: new Set([agency]) }))
  // Issue 5 §6: every producer gets `events: events.sink` in its deps and calls events?.emit() inside
  // its db.write fn; the stream and the webhooks read what was committed.
  const n = config.notifications
  return new Events({
    db, clock, log: log.child({ area: 'events' }), owner,
    endpoints: webhookEndpoints(n.webhooks),
    // Hosted-agency files may bring their own endpoints (README "Notifications"), named "<agency>/<name>".
    agencyEndpoints: { forAgency: agencyEndpoints, all: () => hosted.ids().flatMap(agencyEndpoints) },
    userAgent: `saraban-node/${VERSION}`,
    settings: {
      retentionDays: n.retentionDays,
      pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: n.heartbeatSeconds * 1000, slowClientMs: n.slowClientSeconds * 1000, batch: 200, maxStreams: n.maxStreams, maxStreamsPerAgency: n.maxStreamsPerAgency, retryMs: 3000 },
      webhooks: n.webhookDelivery,
    },
    ...(random ? { random } : {}),
  })
}
