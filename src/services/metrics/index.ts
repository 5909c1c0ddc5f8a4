// GET /metrics (issue 17 item 1): one Prometheus registry per node (never prom-client's global one:
// tests run several nodes in one process), the process metrics, traffic counted from the outbox's
// state changes and the events bus, refusals and TLS failures from the federation listener, and
// state gauges computed at each scrape. README "Metrics" lists the families and alert rules.
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { Logger } from '../../log.js'
import type { EventInput } from '../../domain/events.js'
import type { OutboxChange } from '../../storage/outbox.js'
import type { MetricsStore } from '../../storage/metrics.js'
import { families, type Families } from './families.js'
import { TrafficCounters } from './traffic.js'
import { collectState, type StateSources } from './state.js'

export { certificatesInUse, type CertificateInUse, type CertificateSources } from './certificates.js'
export type { StateSources } from './state.js'

export interface MetricsDeps {
  readonly log: Logger
  readonly store: MetricsStore
  readonly state: StateSources
  /** Subscribes to the outbox's delivery-state changes; returns the unsubscribe function. */
  readonly observeOutbox: (fn: (c: OutboxChange) => void) => () => void
  /** Subscribes to every event the node records (events/sink.ts tap); returns the unsubscribe function. */
  readonly tapEvents: (fn: (e: EventInput) => void) => () => void
  /** Db.afterCommit of the node's connection: traffic is counted when its change commits. */
  readonly afterCommit: (fn: () => void) => void
}

export class NodeMetrics {
  readonly registry = new Registry()
  readonly #m: Families
  readonly #traffic: TrafficCounters
  readonly #deps: MetricsDeps
  readonly #off: Array<() => void> = []

  constructor(deps: MetricsDeps) {
    this.#deps = deps
    collectDefaultMetrics({ register: this.registry })
    this.#m = families(this.registry)
    this.#traffic = new TrafficCounters(this.#m, deps.store, deps.log, deps.afterCommit)
    this.#off.push(deps.observeOutbox(this.#traffic.outbox), deps.tapEvents(this.#traffic.event))
  }

  /** A request the federation listener refused, by its error code. */
  refused(code: string): void {
    this.#m.refusals.inc({ code })
  }

  tlsFailed(reason: string): void {
    this.#m.tlsFailures.inc({ reason })
  }

  /** The exposition (text format 0.0.4) with its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    collectState(this.#m, this.#deps.state, (area, err) => this.#deps.log.warn({ err, event: 'metrics.collect-failed', area }, 'a metric source could not be read'))
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }

  close(): void {
    for (const off of this.#off.splice(0)) off()
    this.registry.clear()
  }
}
