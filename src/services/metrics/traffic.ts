// Traffic counters (issue 17 item 1): the outbox's delivery-state changes and the events bus's
// received letters and notices, counted once they are committed. Both sources call in inside the
// writer's transaction; the facts (labels) are taken there, from the change when its statement
// returned them (delivered) or by one read that sees the transaction's own writes, and counted when
// the batch commits (Db.afterCommit, issue 16 item 1): a change that rolls back is never counted,
// and nothing is read back after the commit.
import type { EventInput } from '../../domain/events.js'
import type { OutboxChange } from '../../storage/outbox.js'
import type { InboxFacts, MetricsStore, OutboxFacts } from '../../storage/metrics.js'
import type { Logger } from '../../log.js'
import type { Families } from './families.js'

/** The events of a message received: a letter (stage one, PROTOCOL.md §6.1) or a notice (§18). */
const RECEIVED_NOTICE = new Set(['letter.accepted', 'letter.rejected', 'letter.withdrawn', 'letter.disputed'])

export class TrafficCounters {
  readonly #m: Families
  readonly #store: MetricsStore
  readonly #log: Logger
  readonly #afterCommit: (fn: () => void) => void

  /** afterCommit: Db.afterCommit of the node's connection. */
  constructor(m: Families, store: MetricsStore, log: Logger, afterCommit: (fn: () => void) => void) {
    this.#m = m
    this.#store = store
    this.#log = log
    this.#afterCommit = afterCommit
  }

  /** For OutboxStore.observe(). */
  readonly outbox = (c: OutboxChange): void => {
    // 'queued': the notice row that makes it a notice may come later in the same transaction, so its
    // facts are read once the batch committed (still one read, no timer); the others are final here.
    if (c.type === 'queued') return this.#later(() => this.#countOutbox(c.type, this.#store.outbox(c.messageId)))
    const facts = this.#guard(() => c.facts ?? this.#store.outbox(c.messageId))
    if (facts) this.#later(() => this.#countOutbox(c.type, facts))
  }

  /** For the events sink's tap(): letters and notices received. */
  readonly event = (e: EventInput): void => {
    let kind: 'letter' | 'notice' | undefined
    let messageId: string | undefined
    if (e.type === 'letter.received' && e.messageId) [kind, messageId] = ['letter', e.messageId]
    else if (RECEIVED_NOTICE.has(e.type) && typeof e.data?.noticeMessageId === 'string') [kind, messageId] = ['notice', e.data.noticeMessageId]
    if (kind === undefined || messageId === undefined) return
    const id = messageId
    const facts: InboxFacts | undefined = this.#guard(() => (kind === 'letter' ? this.#store.inbox(id) : this.#store.notice(id)))
    if (facts) this.#later(() => this.#m.received.inc({ peer: facts.peer, profile: facts.profile, kind: kind! }))
  }

  #later(count: () => void): void {
    try {
      this.#afterCommit(() => this.#guard(count))
    } catch (err) {
      this.#log.warn({ err, event: 'metrics.count-failed' }, 'a metric could not be counted')
    }
  }

  /** A metric never throws into the writer's transaction (that would roll the change back). */
  #guard<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (err) {
      this.#log.warn({ err, event: 'metrics.count-failed' }, 'a metric could not be counted')
      return undefined
    }
  }

  #countOutbox(type: OutboxChange['type'], f: OutboxFacts | undefined): void {
    if (!f) return
    const labels = { peer: f.peer, profile: f.profile, kind: f.kind }
    if (type === 'queued') {
      this.#m.sent.inc(labels)
    } else if (type === 'delivered' && f.status === 'delivered' && f.deliveredAt !== null) {
      this.#m.delivered.inc(labels)
      this.#m.latency.observe(labels, Math.max(0, f.deliveredAt - f.createdAt) / 1000)
      this.#m.attempts.observe(labels, f.attempts)
    } else if (type === 'failed' && f.status === 'failed') {
      this.#m.failed.inc({ ...labels, code: f.code ?? 'unknown' })
    }
  }
}
