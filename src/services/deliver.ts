// Delivery worker (PROTOCOL.md §7.2): claims due outbox messages, posts the stored envelope bytes to
// the recipient's endpoint, verifies the receipt before marking delivered, and otherwise schedules a
// retry with exponential backoff and jitter until the attempt limit, then marks failed with the reason.
import { SarabanError, type ErrorCode } from '../errors.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { OutboxMessageMeta, OutboxStore } from '../storage/outbox.js'
import type { EnvelopeCache } from './envelope-cache.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import { receiptText, type ProfileTable } from '../crypto/profiles.js'
import type { PeerClient, PeerResponse } from '../federation/peer-client.js'
import { afterFailure, isRetryableStatus } from '../domain/delivery.js'
import { checkReceipt } from './receipt-check.js'
import type { Timestamping } from './timestamping.js'
import type { EventSink } from '../domain/events.js'

export interface DeliverySettings {
  readonly maxAttempts: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  readonly jitter?: 'full' | 'decorrelated'
  readonly maxInFlight: number
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
  readonly events?: EventSink
}

type Outcome = { kind: 'delivered'; receipt: Buffer } | { kind: 'retry' | 'fail'; code: ErrorCode | string; detail: string }


export const FEDERATION_PATH = 'federation/v1/messages'
const RECEIPT_CLOCK_SKEW_MS = 5 * 60_000

export class DeliveryWorker {
  readonly #d: DeliveryDeps
  #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #claim: Promise<void> = Promise.resolve()
  #claiming = false
  #again = false

  constructor(deps: DeliveryDeps) {
    this.#d = deps
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    const n = this.#d.outbox.requeueInFlight()
    if (n > 0) this.#d.log.warn({ event: 'delivery.requeued', count: n }, 'requeued messages left in flight by an earlier stop')
    this.notify()
  }

  /** New work may be due: claim as much as the in-flight limit allows. The claim is a write, so
   *  it joins the group commit of whatever else this turn writes instead of paying its own fsync;
   *  notifications that arrive while a claim is pending are folded into one more claim after it. */
  notify(): void {
    if (!this.#running || this.#d.paused?.()) return
    if (this.#claiming) {
      this.#again = true
      return
    }
    const room = this.#d.settings.maxInFlight - this.#inFlight.size
    if (room <= 0) return
    this.#claiming = true
    this.#again = false
    const now = this.#d.clock.now()
    this.#claim = this.#d.db
      .write(() => this.#d.outbox.claimDue(now, room))
      .then((claimed) => {
        // Claimed while stopping: leave them 'sending'; the next start requeues them (requeueInFlight).
        if (!this.#running) return 0
        for (const msg of claimed) {
          const p: Promise<void> = this.#deliver(msg).finally(() => {
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
        else this.#schedule()
      })
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#running) return
    const next = this.#d.outbox.nextDueAt()
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
      outcome = await this.#attempt(msg)
    } catch (err) {
      outcome = { kind: 'retry', code: 'ERR_PEER_UNREACHABLE', detail: transportReason(err) }
    }
    const now = d.clock.now()
    const log = { messageId: msg.messageId, to: msg.recipientAgency, attempt: msg.attempts }
    if (outcome.kind === 'delivered') {
      const receipt = receiptText(msg.profile, outcome.receipt)
      await d.db.write(() => { d.outbox.markDelivered(msg.messageId, receipt, now); d.timestamps?.record([{ messageId: msg.messageId, side: 'outbox', kind: 'receipt' }]) })
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
      // A notice that cannot be delivered (PROTOCOL.md §18.5) is told to its sender's saraban system.
      if (d.outbox.markFailed(msg.messageId, outcome.code, outcome.detail) && msg.kind === 'notice') {
        d.events?.emit({ agency: msg.senderAgency, type: 'notice.failed', messageId: msg.messageId, data: { to: msg.recipientAgency, code: outcome.code, detail: outcome.detail } })
      }
    })
    d.envelopes.delete(msg.messageId)
    d.log.error({ event: 'delivery.failed', ...log, code: outcome.code, detail: outcome.detail }, 'delivery failed for good')
  }

  async #attempt(msg: OutboxMessageMeta): Promise<Outcome> {
    const d = this.#d
    const directory = d.directory()
    const entry = directory.agency(msg.recipientAgency)
    const endpoint = entry?.endpoints[0] ?? directory.nodeOf(msg.recipientAgency)?.endpoints[0] // PROTOCOL.md §16.1
    if (!entry || !endpoint) return { kind: 'retry', code: 'ERR_UNKNOWN_AGENCY', detail: `"${msg.recipientAgency}" has no endpoint in the directory` }
    const profile = d.profiles.get(msg.profile)
    const envelope = d.envelopes.get(msg.messageId) ?? d.outbox.getEnvelope(msg.messageId)
    if (!envelope) return { kind: 'fail', code: 'ERR_INTERNAL', detail: `the stored envelope of ${msg.messageId} is missing` }
    const routing = { messageId: msg.messageId, from: msg.senderAgency, to: msg.recipientAgency }
    const res = await d.peers.post(endpoint, FEDERATION_PATH, profile.mediaType, envelope, routing)
    if (res.status === 200 || res.status === 201) {
      const check = await checkReceipt(
        res.body,
        { ...routing, envelopeSha256: msg.envelopeSha256 },
        // The chain is judged at the receipt's own time: a retry is answered with the original
        // receipt byte for byte (PROTOCOL.md §7.1), which must stay acceptable later.
        { profile, anchors: d.anchors, directory, notAfter: d.clock.now() + RECEIPT_CLOCK_SKEW_MS },
      )
      return check.ok ? { kind: 'delivered', receipt: res.body } : { kind: 'retry', code: check.code, detail: check.reason }
    }
    // A refusal the peer will repeat however often we ask fails at once (PROTOCOL.md §7.2).
    return { kind: isRetryableStatus(res.status) ? 'retry' : 'fail', code: 'ERR_PEER_REFUSED', detail: peerProblem(res) }
  }

  /** Stop claiming; wait for deliveries in flight (bounded), leaving the rest queued for the next start. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#running = false
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

function peerProblem(res: PeerResponse): string {
  if (res.contentType.startsWith('application/problem+json')) {
    try {
      const p = JSON.parse(res.body.toString('utf8')) as { code?: string; detail?: string; title?: string }
      return `peer answered ${res.status} ${p.code ?? ''}: ${p.detail ?? p.title ?? ''}`.trim()
    } catch {
      /* fall through */
    }
  }
  return `peer answered HTTP ${res.status}`
}

function transportReason(err: unknown): string {
  if (err instanceof SarabanError) return err.message
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.cause?.code ?? e.code
  const msg = e.cause?.message ?? e.message ?? String(err)
  return code ? `${code}: ${msg}` : msg
}
