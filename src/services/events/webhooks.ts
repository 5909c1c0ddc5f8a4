// Webhook delivery (issue 5 §6): every event row gets one delivery row per matching endpoint in the same
// transaction (sink.ts); this worker POSTs them, signed per signature.ts, retrying with exponential
// backoff and jitter up to maxAttempts. Endpoints are served side by side with their own slots
// (perEndpoint), so a slow or failing endpoint never delays another one, nor anything else of the node.
// Order is not guaranteed (retries overtake): receivers order by the event id and dedupe by webhook-id.
// Endpoints change at run time (hosted-agency files): reconcile() abandons what a removed endpoint will
// never be sent, and sends what waits for a changed one to its new URL now (README "Notifications").
import { Agent, request } from 'undici'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config/index.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { EventStore, WebhookDelivery, WebhookState } from '../../storage/events.js'
import { backoffCap } from '../../domain/delivery.js'
import { signWebhook } from './signature.js'
import { eventJson } from './view.js'
import { snippet } from './webhook-answer.js'
import { endpointChanges, targets, type EndpointTarget } from './webhook-changes.js'
import { TargetPolicy } from './webhook-target.js'
import type { WebhookRoute } from './sink.js'
import { uniqueOwner } from '../../storage/owner.js'

export interface WebhookEndpoint extends WebhookRoute {
  /** http:// or https:// */
  readonly url: string
  /** HMAC key (from the whsec_ secret). Secret: never logged. */
  readonly key: Buffer
}

/** notifications.webhookDelivery of the configuration (schemas/config.json), as the worker reads it. */
export type WebhookSettings = Config['notifications']['webhookDelivery']

export interface WebhookDeps {
  readonly db: Db
  readonly store: EventStore
  readonly clock: Clock
  readonly log: Logger
  /** From node.json (notifications.webhooks). */
  readonly endpoints: readonly WebhookEndpoint[]
  /** Endpoints that come and go at run time (hosted-agency files), asked at every step. */
  readonly more?: () => readonly WebhookEndpoint[]
  readonly settings: WebhookSettings
  readonly userAgent: string
  readonly random?: () => number
  /** The name this process claims deliveries under (issue 19 item 2; storage/owner.ts ownerFor); default: unique to this process. */
  readonly owner?: string
}

/** A claim's length (migration 042): the request's timeout, the time to record it, and a margin. */
function claimMs(s: Pick<WebhookSettings, 'timeoutMs'>): number {
  return 2 * s.timeoutMs + 30_000
}

export interface EndpointStatus {
  readonly name: string
  /** The URL without user info, query or fragment. */
  readonly url: string
  readonly agencies?: readonly string[]
  readonly inFlight: number
  readonly lastSuccessAt?: string
  readonly lastFailure?: { readonly at: string; readonly status?: number; readonly error: string }
}

/** "Equal jitter": half the exponential cap, plus up to the other half at random; never 0, never above max. */
export function retryDelay(attempt: number, s: Pick<WebhookSettings, 'initialBackoffMs' | 'maxBackoffMs'>, random: () => number): number {
  const cap = backoffCap(attempt, s)
  return Math.floor(cap / 2 + Math.min(Math.max(random(), 0), 1) * (cap / 2))
}

export function publicUrl(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}${u.pathname}`
}

type Failure = { at: number; status?: number; error: string }

interface Tracked {
  inFlight: number
  lastSuccessAt?: number
  lastFailure?: Failure
  /** The last failure per agency of the event: an endpoint for several agencies shows a caller only
   *  the failure texts of its own agencies' events (issue 13 §1). */
  failures: Map<string, Failure>
}

export class WebhookWorker {
  readonly #deps: WebhookDeps
  readonly #random: () => number
  readonly #agent: Agent
  readonly #policy: TargetPolicy
  readonly #tracked = new Map<string, Tracked>()
  /** "eventId endpoint" of the requests in flight */
  readonly #inFlight = new Map<string, { done: Promise<void>; abort: AbortController; endpoint: string }>()
  /** The endpoints as of the last start()/reconcile(): name → URL and key, to see what changed. */
  #known: ReadonlyMap<string, EndpointTarget> = new Map()
  #reconciling: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #ticking = false
  #again = false
  readonly #owner: string
  /** How long a claim keeps a delivery from other processes: past the longest an attempt can take. */
  readonly #claimMs: number

  constructor(deps: WebhookDeps) {
    this.#deps = deps
    this.#random = deps.random ?? Math.random
    this.#owner = deps.owner ?? uniqueOwner()
    this.#claimMs = claimMs(deps.settings)
    const t = deps.settings.timeoutMs
    this.#policy = new TargetPolicy(deps.settings)
    // Every connection resolves the host and connects to an address the policy allows (issue 13 §1).
    this.#agent = new Agent({ connect: { timeout: t, lookup: this.#policy.lookup }, headersTimeout: t, bodyTimeout: t, keepAliveTimeout: 10_000, connections: deps.settings.perEndpoint })
  }

  get enabled(): boolean {
    return this.#deps.endpoints.length > 0 || (this.#deps.more?.().length ?? 0) > 0
  }

  #current(): readonly WebhookEndpoint[] {
    const more = this.#deps.more?.() ?? []
    return more.length === 0 ? this.#deps.endpoints : [...this.#deps.endpoints, ...more]
  }

  #track(name: string): Tracked {
    let t = this.#tracked.get(name)
    if (!t) this.#tracked.set(name, (t = { inFlight: 0, failures: new Map() }))
    return t
  }

  async start(): Promise<void> {
    if (this.#running) return
    this.#running = true
    // Deliveries left for an endpoint removed from the configuration (node.json, or an agency file
    // gone while the node was down) will never be sent: they end abandoned.
    const current = this.#current()
    this.#known = targets(current)
    await this.#abandon(current)
    // What this process claimed in an earlier life is due now (its attempts ended with it).
    const released = await this.#deps.db.write(() => this.#deps.store.releaseClaims(this.#owner, this.#deps.clock.now()))
    if (released > 0) this.#deps.log.info({ event: 'webhook.released', count: released }, 'webhook deliveries claimed before a restart are due again')
    if (this.enabled) this.#tick()
  }

  /** The endpoints changed at run time (hosted-agency files reloaded): pending deliveries that will
   *  never be sent end `abandoned` (requests in flight to a removed endpoint are cut), and those of an
   *  endpoint whose URL or secret changed are due at once, at the new URL. Resolves when recorded. */
  reconcile(): Promise<void> {
    const run = this.#reconciling.then(() => this.#reconcile())
    this.#reconciling = run.catch(() => {})
    return run
  }

  async #reconcile(): Promise<void> {
    if (!this.#running) return
    const { db, store, clock, log } = this.#deps
    const current = this.#current()
    const was = this.#known
    this.#known = targets(current)
    const { removed, changed } = endpointChanges(was, this.#known)
    await this.#abandon(current)
    for (const name of removed) {
      for (const f of this.#inFlight.values()) if (f.endpoint === name) f.abort.abort()
      this.#tracked.delete(name)
    }
    if (removed.length > 0) log.info({ event: 'webhook.endpoints-removed', endpoints: removed }, 'webhook endpoints removed')
    if (changed.length > 0) {
      const at = clock.now()
      const due = await db.write(() => changed.reduce((n, name) => n + store.retarget(name, at), 0))
      for (const name of changed) {
        const t = this.#tracked.get(name) // a new target: a record of its own (in-flight counts stay)
        if (t) { delete t.lastFailure; delete t.lastSuccessAt; t.failures.clear() }
      }
      log.info({ event: 'webhook.endpoints-changed', endpoints: changed, due }, 'webhook endpoints changed: what waits for them goes to the new URL now')
    }
    this.notify()
  }

  async #abandon(current: readonly WebhookEndpoint[]): Promise<void> {
    const n = await this.#deps.db.write(() => this.#deps.store.abandon(current, this.#deps.clock.now()))
    if (n > 0) this.#deps.log.warn({ event: 'webhook.abandoned', count: n }, 'pending webhook deliveries abandoned: their endpoint was removed or no longer takes them')
  }

  /** New events were committed (EventLog.onCommit). Without endpoints there is nothing to do. */
  notify(): void {
    if (this.#running && this.enabled) this.#tick()
  }

  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#reconciling
    for (const f of this.#inFlight.values()) f.abort.abort()
    await Promise.allSettled([...this.#inFlight.values()].map((f) => f.done))
    await this.#agent.close()
  }

  /** Each endpoint's state; with `agencies`, a failure shown is the newest of those agencies' events. */
  status(agencies?: ReadonlySet<string>): EndpointStatus[] {
    return this.#current().map((e) => {
      const t = this.#track(e.name)
      const lastFailure = agencies === undefined ? t.lastFailure
        : [...t.failures].filter(([a]) => agencies.has(a)).map(([, f]) => f).sort((x, y) => y.at - x.at)[0]
      return {
        name: e.name,
        url: publicUrl(e.url),
        ...(e.agencies ? { agencies: [...e.agencies] } : {}),
        inFlight: t.inFlight,
        ...(t.lastSuccessAt !== undefined ? { lastSuccessAt: new Date(t.lastSuccessAt).toISOString() } : {}),
        ...(lastFailure ? { lastFailure: { at: new Date(lastFailure.at).toISOString(), ...(lastFailure.status !== undefined ? { status: lastFailure.status } : {}), error: lastFailure.error } } : {}),
      }
    })
  }

  #tick(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#running) return
    // One claim at a time; a notification meanwhile is one more tick after it.
    if (this.#ticking) {
      this.#again = true
      return
    }
    this.#ticking = true
    this.#again = false
    const { settings: s, store, db, clock, log } = this.#deps
    const now = clock.now()
    const endpoints = this.#current()
    const picked: Array<{ row: WebhookDelivery; endpoint: WebhookEndpoint }> = []
    try {
      let total = this.#inFlight.size
      for (const endpoint of endpoints) {
        const t = this.#track(endpoint.name)
        let room = Math.min(s.perEndpoint - t.inFlight, s.concurrency - total)
        if (room <= 0) continue
        // in-flight rows are claimed, not due: these are new ones
        for (const row of store.due(endpoint.name, now, room)) {
          if (room <= 0) break
          if (this.#inFlight.has(`${row.eventId} ${row.endpoint}`)) continue
          picked.push({ row, endpoint })
          room--
          total++
        }
      }
    } catch (err) {
      log.error({ err }, 'webhook worker failed to read its queue')
    }
    // Issue 19 item 2 (migration 042): each delivery is claimed before it is sent, so that no other
    // process of the node sends it while this attempt runs; the claim outlasts the attempt's timeout.
    const until = now + this.#claimMs
    const claimed = picked.length === 0 ? Promise.resolve(picked)
      : db.write(() => picked.filter((p) => store.claim(p.row, this.#owner, now, until)))
    claimed.then((mine) => {
      if (!this.#running) return
      for (const { row, endpoint } of mine) this.#start(row, endpoint)
    }, (err: unknown) => {
      log.error({ err, event: 'webhook.claim-failed' }, 'could not claim webhook deliveries; will try again')
    }).finally(() => {
      this.#ticking = false
      if (!this.#running) return
      if (this.#again) return this.#tick()
      // Next due delivery (or a periodic look, in case the clock moved): at most 30 s away.
      let next: number | undefined
      try {
        next = endpoints.length === 0 ? undefined : store.nextDue(endpoints.map((e) => e.name))
      } catch (err) {
        log.error({ err }, 'webhook worker failed to read its queue')
      }
      const wait = next === undefined ? 30_000 : Math.min(30_000, Math.max(20, next - clock.now()))
      this.#timer = setTimeout(() => this.#tick(), wait)
      this.#timer.unref()
    })
  }

  #start(row: WebhookDelivery, endpoint: WebhookEndpoint): void {
    const key = `${row.eventId} ${row.endpoint}`
    const t = this.#track(endpoint.name)
    const abort = new AbortController()
    t.inFlight++
    const done = this.#attempt(row, endpoint, abort.signal).finally(() => {
      t.inFlight--
      this.#inFlight.delete(key)
      this.notify()
    })
    this.#inFlight.set(key, { done, abort, endpoint: endpoint.name })
  }

  async #attempt(row: WebhookDelivery, endpoint: WebhookEndpoint, signal: AbortSignal): Promise<void> {
    const { clock, store, db, log, settings } = this.#deps
    const event = store.get(row.eventId)
    let status: number | undefined
    let error: string | undefined
    let refused = false
    if (!event) {
      error = 'the event was removed by retention before it could be delivered'
    } else if ((error = this.#policy.refusalOfUrl(endpoint.url)) !== undefined) {
      refused = true
    } else {
      const body = eventJson(event)
      const id = String(event.id)
      const ts = Math.floor(clock.now() / 1000)
      try {
        const res = await request(endpoint.url, {
          method: 'POST',
          dispatcher: this.#agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': this.#deps.userAgent,
            'webhook-id': id,
            'webhook-timestamp': String(ts),
            'webhook-signature': signWebhook(endpoint.key, id, ts, body),
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]),
        })
        status = res.statusCode
        if (status < 200 || status > 299) error = `HTTP ${status}${await snippet(res.body)}`
        else await res.body.dump({ limit: 64 * 1024 }).catch(() => {})
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string }
        refused = e.code === 'ERR_WEBHOOK_TARGET_REFUSED'
        error = e.name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : `${e.code ?? e.name ?? 'error'}: ${e.message ?? String(err)}`
      }
    }
    if (!this.#running && error !== undefined) return // stopping: the attempt does not count
    const at = clock.now()
    const attempts = row.attempts + 1
    // 410 Gone: the receiver asks us to stop (Standard Webhooks, "Receiver side" advice).
    // A refused target fails at once: retrying would not make it allowed.
    const state: WebhookState = error === undefined ? 'delivered' : (!event || refused || status === 410 || attempts >= settings.maxAttempts) ? 'failed' : 'pending'
    const nextAttemptAt = state === 'pending' ? at + retryDelay(attempts, settings, this.#random) : at
    try {
      const claim = { owner: this.#owner, attempts: row.attempts }
      const kept = await db.write(() => store.recordAttempt({ eventId: row.eventId, endpoint: row.endpoint, at, status: status ?? null, error: error ?? null, state, nextAttemptAt, claim }))
      // Abandoned meanwhile (reconcile), or claimed by another process after this claim ran out.
      if (!kept) return
    } catch (err) {
      log.error({ err, event: 'webhook.record-failed' }, 'could not record a webhook attempt')
      return
    }
    // Removed (the row was abandoned) or retargeted meanwhile (reconcile): not the endpoint's record.
    const target = this.#known.get(endpoint.name)
    if (!target || target.url !== endpoint.url || !target.key.equals(endpoint.key)) return
    const t = this.#track(endpoint.name)
    if (error === undefined) {
      t.lastSuccessAt = at
      log.debug({ event: 'webhook.delivered', endpoint: endpoint.name, eventId: row.eventId, attempts }, 'webhook delivered')
    } else {
      t.lastFailure = { at, ...(status !== undefined ? { status } : {}), error }
      if (event) t.failures.set(event.agency, t.lastFailure)
      const fields = { event: state === 'failed' ? 'webhook.failed' : 'webhook.retry', endpoint: endpoint.name, eventId: row.eventId, attempts, status, error }
      if (state === 'failed') log.warn(fields, 'webhook delivery failed for good')
      else log.info({ ...fields, nextAttemptAt: new Date(nextAttemptAt).toISOString() }, 'webhook delivery failed; will retry')
    }
  }
}
