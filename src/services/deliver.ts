// Delivery worker (PROTOCOL.md §7.2): claims due outbox messages, posts the stored envelope bytes to
// the recipient's endpoint, verifies the receipt before marking delivered, and otherwise schedules a
// retry with exponential backoff and jitter until the attempt limit, then marks failed with the reason.
// Concurrency is bounded overall (maxInFlight) and per peer origin (maxPerPeer): a claim passes over
// messages for a peer whose slots are full, so one slow or failing peer never holds up the others.
// One attempt (post, receipt check, outcome) is delivery-attempt.ts; this file claims and records.
import { isoTime, type Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { ClaimCandidate, OutboxMessageMeta, OutboxStore } from '../storage/outbox.js'
import type { EnvelopeCache } from './envelope-cache.js'
import type { EventSink } from '../domain/events.js'
import { DeadlineWatch, emitDeadline } from './deadline-watch.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import { receiptText, type ProfileTable } from '../crypto/profiles.js'
import type { PeerClient } from '../federation/peer-client.js'
import { afterFailure } from '../domain/delivery.js'
import type { Timestamping } from './timestamping.js'
import { SharedRefs } from './shared-refs.js'
import { attemptDelivery, endpointOf, transportReason, type Outcome } from './delivery-attempt.js'

export interface DeliverySettings {
  readonly maxAttempts: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  readonly jitter?: 'full' | 'decorrelated'
  readonly maxInFlight: number
  /** Parallel deliveries to one peer origin (config delivery.concurrencyPerPeer); default: no limit but maxInFlight. */
  readonly maxPerPeer?: number
  /** How long before deliverBy an undelivered recipient is at risk (PROTOCOL.md §7.3); default 1 h. */
  readonly deadlineAtRiskMs?: number
}

export interface DeliveryDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly peers: PeerClient
  readonly profiles: ProfileTable
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  /** True while deliveries must wait (a stale directory, PROTOCOL.md §14.4): nothing is claimed, so
   *  queued letters keep their attempts; call notify() when it clears. */
  readonly paused?: () => boolean
  readonly settings: DeliverySettings
  readonly envelopes: EnvelopeCache
  readonly random?: () => number
  /** RFC 3161 stamps of each verified receipt's signature (PROTOCOL.md §13.4). */
  readonly timestamps?: Timestamping
  /** letter.delivered, letter.failed and the deadline events (issue 5 §5, §6), in the outcome's transaction. */
  readonly events?: EventSink
  /** PROTOCOL.md §19.7: a message of the classified path was delivered (inside the recording transaction):
   *  the access record gets its delivery entry. */
  readonly onClassifiedDelivered?: (messageId: string, at: number) => void
  /** Which peers hold which shared content (PROTOCOL.md §17.8); default: a fresh one per worker. */
  readonly sharedRefs?: SharedRefs
}


const DEFAULT_AT_RISK_MS = 3600_000


function originOf(endpoint: string | undefined, agency: string): string {
  if (endpoint === undefined) return `agency:${agency}` // unknown: its own slot group, fails fast anyway
  try {
    return new URL(endpoint).origin
  } catch {
    return endpoint
  }
}

export class DeliveryWorker {
  readonly #d: DeliveryDeps
  #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #claim: Promise<void> = Promise.resolve()
  #claiming = false
  #again = false
  /** In-flight deliveries per peer origin. */
  readonly #perPeer = new Map<string, number>()
  /** Origin of each agency, per directory instance (a refresh brings a new one). */
  #origins = new WeakMap<Directory, Map<string, string>>()
  readonly #deadlines: DeadlineWatch
  readonly #refs: SharedRefs

  constructor(deps: DeliveryDeps) {
    this.#d = deps
    this.#refs = deps.sharedRefs ?? new SharedRefs()
    this.#deadlines = new DeadlineWatch({
      clock: deps.clock, log: deps.log, db: deps.db, outbox: deps.outbox, atRiskMs: deps.settings.deadlineAtRiskMs ?? DEFAULT_AT_RISK_MS,
      ...(deps.events ? { events: deps.events } : {}),
    })
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    const n = this.#d.outbox.requeueInFlight()
    if (n > 0) this.#d.log.warn({ event: 'delivery.requeued', count: n }, 'requeued messages left in flight by an earlier stop')
    this.#deadlines.start()
    this.notify()
  }

  #peerOf(agency: string): string {
    const directory = this.#d.directory()
    let m = this.#origins.get(directory)
    if (!m) this.#origins.set(directory, (m = new Map()))
    let o = m.get(agency)
    if (o === undefined) m.set(agency, (o = originOf(endpointOf(directory, agency), agency)))
    return o
  }

  /** New work may be due: claim as much as the in-flight limit allows. The claim is a write, so
   *  it joins the group commit of whatever else this turn writes instead of paying its own fsync;
   *  notifications that arrive while a claim is pending are folded into one more claim after it. */
  notify(): void {
    if (!this.#running) return
    this.#deadlines.poke()
    if (this.#d.paused?.()) return
    if (this.#claiming) {
      this.#again = true
      return
    }
    const room = this.#d.settings.maxInFlight - this.#inFlight.size
    if (room <= 0) return
    this.#claiming = true
    this.#again = false
    const now = this.#d.clock.now()
    const maxPerPeer = this.#d.settings.maxPerPeer ?? Number.POSITIVE_INFINITY
    let skipped = false
    // Slots taken in this claim, per origin: added to #perPeer only once the claim committed.
    let taking = new Map<string, number>()
    const accept = (c: ClaimCandidate) => {
      const peer = this.#peerOf(c.recipientAgency)
      const used = (this.#perPeer.get(peer) ?? 0) + (taking.get(peer) ?? 0)
      if (used >= maxPerPeer) return ((skipped = true), false)
      taking.set(peer, (taking.get(peer) ?? 0) + 1)
      return true
    }
    this.#claim = this.#d.db
      .write(() => {
        taking = new Map() // a retried transaction starts over
        skipped = false
        return this.#d.outbox.claimDue(now, room, Number.isFinite(maxPerPeer) ? accept : undefined)
      })
      .then((claimed) => {
        // Claimed while stopping: leave them 'sending'; the next start requeues them (requeueInFlight).
        if (!this.#running) return 0
        for (const msg of claimed) {
          const peer = this.#peerOf(msg.recipientAgency)
          this.#perPeer.set(peer, (this.#perPeer.get(peer) ?? 0) + 1)
          const p: Promise<void> = this.#deliver(msg).finally(() => {
            const left = (this.#perPeer.get(peer) ?? 1) - 1
            if (left > 0) this.#perPeer.set(peer, left)
            else this.#perPeer.delete(peer)
            this.#inFlight.delete(p)
            this.notify()
          })
          this.#inFlight.add(p)
        }
        return claimed.length
      })
      .catch((err: unknown) => {
        this.#d.log.error({ err, event: 'delivery.claim-failed' }, 'could not claim outbox work; will try again')
        return 0
      })
      .then((n) => {
        this.#claiming = false
        if (!this.#running) return
        if (this.#again || n === room) this.notify()
        // Due messages passed over for a busy peer are claimed when one of its deliveries ends
        // (finally → notify); the timer is only for those that become due later.
        else this.#schedule(skipped ? now : undefined)
      })
  }

  #schedule(after?: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#running) return
    const next = this.#d.outbox.nextDueAt(after)
    if (next === undefined) return
    const wait = Math.max(0, Math.min(next - this.#d.clock.now(), 60_000))
    this.#timer = setTimeout(() => this.notify(), wait)
    this.#timer.unref()
  }

  async #deliver(msg: OutboxMessageMeta): Promise<void> {
    try {
      await this.#deliverOnce(msg)
    } catch (err) {
      // Only storage can fail here (e.g. closed during shutdown); the message stays 'sending' and
      // the next start requeues it, so nothing is lost.
      this.#d.log.error({ err, event: 'delivery.record-failed', messageId: msg.messageId }, 'could not record a delivery outcome')
    }
  }

  async #deliverOnce(msg: OutboxMessageMeta): Promise<void> {
    const d = this.#d
    let outcome: Outcome
    try {
      outcome = await attemptDelivery(d, this.#refs, msg)
    } catch (err) {
      outcome = { kind: 'retry', code: 'ERR_PEER_UNREACHABLE', detail: transportReason(err) }
    }
    const now = d.clock.now()
    const log = { messageId: msg.messageId, to: msg.recipientAgency, attempt: msg.attempts }
    const facts = { agency: msg.senderAgency, letterId: msg.letterId, messageId: msg.messageId }
    if (outcome.kind === 'delivered') {
      const receipt = receiptText(msg.profile, outcome.receipt)
      await d.db.write(() => {
        if (!d.outbox.markDelivered(msg.messageId, receipt, now)) return
        d.timestamps?.record([{ messageId: msg.messageId, side: 'outbox', kind: 'receipt' }])
        if (msg.classified) d.onClassifiedDelivered?.(msg.messageId, now)
        // A notice's own delivery is shown in the letter's views, not as an event (PROTOCOL.md §18.5).
        if (msg.kind !== 'notice' && !msg.classified) d.events?.emit({ ...facts, type: 'letter.delivered', data: { recipient: msg.recipientAgency, deliveredAt: isoTime(now) } })
        // Delivered after deliverBy: missed, raised here unless the watch already did (PROTOCOL.md §7.3).
        const deadlineAt = msg.deadlineAt ?? null
        if (deadlineAt !== null && now > deadlineAt && d.outbox.raiseDeadline(msg.messageId, 'missed')) {
          emitDeadline(d.events, { senderAgency: msg.senderAgency, letterId: msg.letterId, messageId: msg.messageId, recipientAgency: msg.recipientAgency, deadlineAt }, 'missed')
        }
      })
      d.envelopes.delete(msg.messageId)
      d.log.info({ event: 'letter.delivered', ...log }, 'letter delivered, receipt verified')
      return
    }
    const next = afterFailure({ attempts: msg.attempts, maxAttempts: d.settings.maxAttempts, retryable: outcome.kind === 'retry', now }, d.settings, d.random)
    if (next.status === 'queued') {
      await d.db.write(() => d.outbox.markRetry(msg.messageId, next.nextAttemptAt, outcome.code, outcome.detail))
      d.log.warn({ event: 'delivery.retry', ...log, code: outcome.code, detail: outcome.detail, retryInMs: next.delayMs }, 'delivery failed, will retry')
      return
    }
    await d.db.write(() => {
      if (d.outbox.markFailed(msg.messageId, outcome.code, outcome.detail)) {
        // A notice that cannot be delivered (PROTOCOL.md §18.5) is told to its sender's saraban system.
        // PROTOCOL.md §19.5: a classified message raises no event (its item's status shows the failure).
        if (msg.classified) return
        if (msg.kind === 'notice') d.events?.emit({ agency: msg.senderAgency, type: 'notice.failed', messageId: msg.messageId, data: { to: msg.recipientAgency, code: outcome.code, detail: outcome.detail } })
        else d.events?.emit({ ...facts, type: 'letter.failed', data: { recipient: msg.recipientAgency, code: outcome.code, detail: outcome.detail } })
      }
    })
    d.envelopes.delete(msg.messageId)
    d.log.error({ event: 'delivery.failed', ...log, code: outcome.code, detail: outcome.detail }, 'delivery failed for good')
  }

  /** Stop claiming; wait for deliveries in flight (bounded), leaving the rest queued for the next start. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#running = false
    await this.#deadlines.stop()
    if (this.#timer) clearTimeout(this.#timer)
    await this.#claim
    let t: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => { t = setTimeout(r, timeoutMs); t.unref() })])
    if (t) clearTimeout(t)
  }

  get inFlight(): number {
    return this.#inFlight.size
  }
}
