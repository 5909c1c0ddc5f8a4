// The EventSink of src/domain/events.ts (issue 5 §6): emit() stores the event (and one webhook delivery
// per matching endpoint) inside the caller's Db.write fn, so an event exists iff the change it reports
// was committed; listeners (SSE streams, the webhook worker) are woken once the batch has committed.
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { EventInput, EventSink } from '../../domain/events.js'
import type { EventStore } from '../../storage/events.js'

/** Largest `data` JSON kept; anything larger is replaced by {"truncated": true} (never letter contents). */
export const MAX_EVENT_DATA_BYTES = 4096

/** Where an event goes besides the stream: a configured webhook endpoint (services/events/webhooks.ts). */
export interface WebhookRoute {
  readonly name: string
  /** undefined: every hosted agency. */
  readonly agencies?: ReadonlySet<string> | undefined
  /** undefined: every type. */
  readonly types?: ReadonlySet<string> | undefined
}

export interface EventLogDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly store: EventStore
  readonly webhooks?: readonly WebhookRoute[]
  /** Routes that come and go at run time (hosted-agency files): those of one agency. */
  readonly agencyWebhooks?: (agency: string) => readonly WebhookRoute[]
  /** Db.afterCommit: listeners are woken once the producer's batch is committed and on disk (issue 16
   *  item 1: with storage.durableSync 'threadpool' that is later than the next turn). */
  readonly afterCommit?: (fn: () => void) => void
}

export class EventLog implements EventSink {
  readonly #deps: EventLogDeps
  readonly #listeners = new Set<() => void>()
  readonly #taps = new Set<(e: EventInput) => void>()
  #wake: NodeJS.Immediate | undefined

  constructor(deps: EventLogDeps) {
    this.#deps = deps
  }

  /** Synchronous, inside the producer's Db.write fn. Throws only what SQLite throws (the producer's
   *  change then rolls back with it, which is the point). */
  emit(e: EventInput): void {
    const at = this.#deps.clock.now()
    let dataJson = JSON.stringify(e.data ?? {})
    if (Buffer.byteLength(dataJson) > MAX_EVENT_DATA_BYTES) {
      this.#deps.log.warn({ event: 'events.data-truncated', type: e.type, bytes: Buffer.byteLength(dataJson) }, 'event data too large: truncated')
      dataJson = '{"truncated":true}'
    }
    const id = this.#deps.store.insert({ agency: e.agency, type: e.type, letterId: e.letterId, messageId: e.messageId, dataJson, at })
    for (const w of [...(this.#deps.webhooks ?? []), ...(this.#deps.agencyWebhooks?.(e.agency) ?? [])]) {
      if (w.agencies && !w.agencies.has(e.agency)) continue
      if (w.types && !w.types.has(e.type)) continue
      this.#deps.store.addDelivery(id, w.name, e.agency, at)
    }
    // Other views of the same change (the e-CMS pull queue), written in this same transaction.
    for (const tap of this.#taps) tap(e)
    // Listeners are woken in the turn after the batch is durable (a rolled-back event wakes no one).
    // Without afterCommit: Db.write commits a batch before its setImmediate callback returns.
    if (this.#deps.afterCommit) this.#deps.afterCommit(this.#wakeSoon)
    else this.#wakeSoon()
  }

  readonly #wakeSoon = (): void => {
    this.#wake ??= setImmediate(() => {
      this.#wake = undefined
      for (const l of this.#listeners) {
        try {
          l()
        } catch (err) {
          this.#deps.log.error({ err }, 'event listener failed')
        }
      }
    })
  }

  /** Called synchronously inside the producer's transaction for every event, after it is stored: what
   *  the tap writes commits or rolls back with the change (issue 18 §3, the e-CMS queue). A tap that
   *  throws rolls the change back. Returns the unsubscribe function. */
  tap(fn: (e: EventInput) => void): () => void {
    this.#taps.add(fn)
    return () => this.#taps.delete(fn)
  }

  /** Called after every commit that added events; returns the unsubscribe function. */
  onCommit(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    if (this.#wake) clearImmediate(this.#wake)
    this.#wake = undefined
    this.#listeners.clear()
    this.#taps.clear()
  }
}
