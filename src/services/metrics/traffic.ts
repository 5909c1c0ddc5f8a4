// Traffic counters (issue 17 item 1): the outbox's delivery-state changes and the events bus's
// received letters and notices, counted once they are committed. Both sources call in inside the
// writer's transaction; the message ids are kept and read back after the commit (a change that rolled
// back then reads as nothing, or as its earlier state, and is not counted).
import type { EventInput } from '../../domain/events.js'
import type { OutboxChange } from '../../storage/outbox.js'
import type { MetricsStore } from '../../storage/metrics.js'
import type { Logger } from '../../log.js'
import type { Families } from './families.js'

/** The events of a message received: a letter (stage one, PROTOCOL.md §6.1) or a notice (§18). */
const RECEIVED_NOTICE = new Set(['letter.accepted', 'letter.rejected', 'letter.withdrawn', 'letter.disputed'])

type Pending = { side: 'out'; change: OutboxChange } | { side: 'in'; kind: 'letter' | 'notice'; messageId: string }

export class TrafficCounters {
  readonly #m: Families
  readonly #store: MetricsStore
  readonly #log: Logger
  #pending: Pending[] = []
  #flush: NodeJS.Immediate | undefined

  constructor(m: Families, store: MetricsStore, log: Logger) {
    this.#m = m
    this.#store = store
    this.#log = log
  }

  /** For OutboxStore.observe(). */
  readonly outbox = (change: OutboxChange): void => this.#add({ side: 'out', change })

  /** For the events sink's tap(): letters and notices received. */
  readonly event = (e: EventInput): void => {
    if (e.type === 'letter.received' && e.messageId) this.#add({ side: 'in', kind: 'letter', messageId: e.messageId })
    else if (RECEIVED_NOTICE.has(e.type) && typeof e.data?.noticeMessageId === 'string') this.#add({ side: 'in', kind: 'notice', messageId: e.data.noticeMessageId })
  }

  #add(p: Pending): void {
    this.#pending.push(p)
    // Db.write commits its batch before the next setImmediate turn (events/sink.ts relies on the same).
    this.#flush ??= setImmediate(() => this.drain())
  }

  /** Counts what was committed so far (also at a scrape, so that a scrape right after a commit sees it). */
  drain(): void {
    if (this.#flush) clearImmediate(this.#flush)
    this.#flush = undefined
    const batch = this.#pending
    this.#pending = []
    for (const p of batch) {
      try {
        if (p.side === 'out') this.#outbox(p.change)
        else this.#inbox(p.kind, p.messageId)
      } catch (err) {
        this.#log.warn({ err, event: 'metrics.count-failed' }, 'a metric could not be counted')
      }
    }
  }

  #outbox(c: OutboxChange): void {
    const f = this.#store.outbox(c.messageId)
    if (!f) return
    const labels = { peer: f.peer, profile: f.profile, kind: f.kind }
    if (c.type === 'queued') {
      this.#m.sent.inc(labels)
    } else if (c.type === 'delivered' && f.status === 'delivered' && f.deliveredAt !== null) {
      this.#m.delivered.inc(labels)
      this.#m.latency.observe(labels, Math.max(0, f.deliveredAt - f.createdAt) / 1000)
      this.#m.attempts.observe(labels, f.attempts)
    } else if (c.type === 'failed' && f.status === 'failed') {
      this.#m.failed.inc({ ...labels, code: f.code ?? 'unknown' })
    }
  }

  #inbox(kind: 'letter' | 'notice', messageId: string): void {
    const f = kind === 'letter' ? this.#store.inbox(messageId) : this.#store.notice(messageId)
    if (f) this.#m.received.inc({ peer: f.peer, profile: f.profile, kind })
  }

  close(): void {
    if (this.#flush) clearImmediate(this.#flush)
    this.#flush = undefined
    this.#pending = []
  }
}
