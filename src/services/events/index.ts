// Notifications to saraban systems (issue 5 §6; README "Notifications"): one object that owns the event
// table's sink, the SSE streams, the webhook worker and retention. context.ts builds it and hands
// `sink` to the producers (receive, deliver, notices) as their `events` dependency.
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import { EventStore, type EventQuery, type StoredEvent, type WebhookDelivery, type WebhookState } from '../../storage/events.js'
import { EventLog } from './sink.js'
import { EventStreams, resumePoint, type StreamSettings } from './stream.js'
import { WebhookWorker, type WebhookEndpoint, type WebhookSettings } from './webhooks.js'

export { EventLog, type WebhookRoute } from './sink.js'
export { EventStreams, resumePoint, TRUNCATED, type StreamSettings, type StreamFilter } from './stream.js'
export { CLOSED, keyAccess, type StreamAccess, type StreamClosedReason } from './stream-access.js'
export { WebhookWorker, type WebhookEndpoint, type WebhookSettings, type EndpointStatus } from './webhooks.js'
export { eventView, eventJson, type EventView } from './view.js'
export { signWebhook, verifyWebhook, webhookKey } from './signature.js'
export type { WebhookDelivery, WebhookState } from '../../storage/events.js'

const DAY_MS = 86_400_000
/** Rows removed per transaction while pruning (keeps each commit short). */
const PRUNE_BATCH = 5000

export interface EventsSettings {
  /** Events (and their webhook deliveries) older than this are removed. */
  readonly retentionDays: number
  /** How often retention runs. */
  readonly pruneIntervalMs: number
  readonly stream: StreamSettings
  readonly webhooks: WebhookSettings
}

export interface EventsDeps {
  readonly db: Db
  readonly clock: Clock
  readonly log: Logger
  readonly endpoints: readonly WebhookEndpoint[]
  /** Endpoints of hosted-agency files, which come and go at run time: one agency's, and all. */
  readonly agencyEndpoints?: { forAgency(agency: string): readonly WebhookEndpoint[]; all(): readonly WebhookEndpoint[] }
  readonly settings: EventsSettings
  readonly userAgent: string
  readonly random?: () => number
  /** The name this process claims webhook deliveries under (issue 19 item 2): the outbox's. */
  readonly owner?: string
}

export class Events {
  readonly store: EventStore
  /** The EventSink producers call inside their Db.write fns. */
  readonly sink: EventLog
  readonly streams: EventStreams
  readonly webhooks: WebhookWorker
  readonly #deps: EventsDeps
  #pruneTimer: NodeJS.Timeout | undefined
  #unwatch: (() => void) | undefined
  #pruning: Promise<void> | undefined

  constructor(deps: EventsDeps) {
    this.#deps = deps
    this.store = new EventStore(deps.db)
    const agency = deps.agencyEndpoints
    this.sink = new EventLog({ clock: deps.clock, log: deps.log, store: this.store, webhooks: deps.endpoints, afterCommit: (fn) => deps.db.afterCommit(fn), ...(agency ? { agencyWebhooks: (a: string) => agency.forAgency(a) } : {}) })
    this.streams = new EventStreams({ store: this.store, log: deps.log, settings: deps.settings.stream })
    this.webhooks = new WebhookWorker({
      db: deps.db, store: this.store, clock: deps.clock, log: deps.log.child({ area: 'webhooks' }), endpoints: deps.endpoints,
      ...(agency ? { more: () => agency.all() } : {}),
      settings: deps.settings.webhooks, userAgent: deps.userAgent, ...(deps.random ? { random: deps.random } : {}),
      ...(deps.owner !== undefined ? { owner: deps.owner } : {}),
    })
    this.sink.onCommit(() => {
      this.streams.wake()
      this.webhooks.notify()
    })
  }

  async start(): Promise<void> {
    await this.webhooks.start()
    // Issue 19 item 2: events another process of the node committed reach this one's SSE clients,
    // and its webhook worker looks for due deliveries, as its own commits make them do (onCommit).
    this.#unwatch = this.#deps.db.onForeignCommit(() => {
      this.streams.wake()
      this.webhooks.notify()
    })
    this.#pruneTimer = setInterval(() => void this.prune(), this.#deps.settings.pruneIntervalMs)
    this.#pruneTimer.unref()
    void this.prune()
  }

  /** Removes events past retention; resolves when done. Never throws (failures are logged). */
  prune(): Promise<void> {
    this.#pruning ??= this.#prune().finally(() => {
      this.#pruning = undefined
    })
    return this.#pruning
  }

  async #prune(): Promise<void> {
    const { db, clock, log, settings } = this.#deps
    const before = clock.now() - settings.retentionDays * DAY_MS
    let total = 0
    try {
      for (;;) {
        const n = await db.write(() => this.store.prune(before, PRUNE_BATCH))
        total += n
        if (n < PRUNE_BATCH) break
      }
    } catch (err) {
      log.error({ err, event: 'events.prune-failed' }, 'could not prune old events')
    }
    if (total > 0) log.info({ event: 'events.pruned', count: total, before: new Date(before).toISOString() }, 'old events removed')
  }

  /** Hosted-agency files were reloaded (API keys and webhook endpoints come and go with them): open
   *  streams re-check what their key may see, the webhook worker what its endpoints still take.
   *  Resolves when the webhook side is recorded; never rejects (failures are logged). */
  async agenciesChanged(): Promise<void> {
    const ended = this.streams.reauthorize()
    if (ended > 0) this.#deps.log.info({ event: 'events.streams-ended', count: ended }, 'event streams ended after a reload of hosted agencies')
    try {
      await this.webhooks.reconcile()
    } catch (err) {
      this.#deps.log.error({ err, event: 'webhook.reconcile-failed' }, 'could not bring webhook deliveries in line with the endpoints')
    }
  }

  /** One page of the feed (GET /api/v1/events as JSON; README "Notifications"): the events after
   *  `asked`, or, when `asked` was pruned or never issued, after the point the feed resumes from (`gap`). */
  page(asked: number, q: Omit<EventQuery, 'afterId'>): { items: StoredEvent[]; after: number; gap?: ReturnType<typeof resumePoint> } {
    const gap = resumePoint(asked, this.store.prunedThrough(), this.store.lastIssuedId())
    const after = gap?.resumeAfter ?? asked
    return { items: this.store.after({ ...q, afterId: after }), after, ...(gap ? { gap } : {}) }
  }

  /** The newest event id issued: a stream without a resume point sends what is committed after it. */
  lastIssuedId(): number {
    return this.store.lastIssuedId()
  }

  /** Webhook deliveries of these agencies, newest first (GET /api/v1/webhooks/deliveries, the console). */
  deliveries(q: Parameters<EventStore['deliveries']>[0]): WebhookDelivery[] {
    return this.store.deliveries(q)
  }

  /** For /healthz (services/health.ts). */
  status(): { streams: number; webhooks: Record<WebhookState, number>; failingEndpoints: string[] } {
    const failing = this.webhooks.status().filter((e) => e.lastFailure !== undefined && (e.lastSuccessAt === undefined || e.lastSuccessAt < e.lastFailure.at))
    return { streams: this.streams.size, webhooks: this.store.deliveryCounts(), failingEndpoints: failing.map((e) => e.name) }
  }

  /** Ends streams, stops the webhook worker (in-flight requests are aborted and retried later). */
  async stop(): Promise<void> {
    this.#unwatch?.()
    this.#unwatch = undefined
    clearInterval(this.#pruneTimer)
    this.#pruneTimer = undefined
    this.streams.closeAll()
    await this.webhooks.stop()
    await this.#pruning
    this.sink.close()
  }
}
