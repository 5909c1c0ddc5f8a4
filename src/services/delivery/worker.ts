// Delivery worker (PROTOCOL.md §7.2): claims due outbox messages, posts the stored envelope bytes to
// the recipient's endpoint, verifies the receipt before marking delivered, and otherwise retries
// until the give-up horizon (delivery.giveUpAfter), then marks failed with the last reason.
// Patience (§7.2): a peer that fails at the connection level has its circuit opened
// (delivery/circuits.ts); its messages wait unclaimed, spending no attempts, while one probe is made
// at the circuit's backoff; an answered probe closes the circuit and its queue is due at once.
// Failures of one message (a bad receipt, a 500) wait on that message's own backoff.
// Concurrency is bounded overall (maxInFlight) and per peer origin (maxPerPeer): a claim passes over
// messages for a peer whose slots are full, so one slow or failing peer never holds up the others.
// One attempt (post, receipt check, outcome) is attempt.ts; this file (the worker) claims and records.
import { isoTime } from '../../clock.js'
import type { AttemptOutcome, ClaimCandidate, OutboxMessageMeta } from '../../storage/outbox.js'
import { DeadlineWatch, emitDeadline } from '../deadline-watch.js'
import type { Directory } from '../../pki/directory.js'
import { receiptText } from '../../crypto/profiles.js'
import { noteVerifiedReceipt } from '../log/receipt-claims.js'
import { afterFailure } from '../../domain/delivery.js'
import { scopeOfStatus, retryAfterMs, type Circuit } from '../../domain/circuit.js'
import { SharedRefs } from '../shared-refs.js'
import { attemptDelivery, endpointOf, thrownOutcome, transportReason, type Outcome } from './attempt.js'
import { PeerCircuits, type PeerCircuitView } from './circuits.js'
import { emitFailed, gaveUpDetail, originOf } from './outcomes.js'
import type { DeliveryDeps } from './settings.js'
import { LeaseHeartbeat } from './leases.js'
import { nextWake } from '../next-wake.js'

/** The path of the probe of a peer whose circuit is open (PROTOCOL.md §4.3, §7.2). */
export const PROBE_PATH = 'federation/v1/health'
export type { DeliverySettings, DeliveryDeps } from './settings.js'

const DEFAULT_AT_RISK_MS = 3600_000
export const DEFAULT_GIVE_UP_AFTER_MS = 3 * 86_400_000
const EXPIRE_PAGE = 500
/** How long after a failed read of the queue (the database out of reach) the worker looks again. */
const RETRY_AFTER_FAILURE_MS = 5000

export class DeliveryWorker {
  readonly #d: DeliveryDeps
  #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  /** Renews this process's leases on the messages it has in flight (issue 19 item 2). */
  readonly #leases: LeaseHeartbeat
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
  readonly #circuits: PeerCircuits
  readonly #giveUpAfterMs: number
  /** Probes in flight, so that stop() waits for them. */
  readonly #probes = new Set<Promise<void>>()
  #expiring = false
  /** After a failed expiry pass: not again before this (no loop on a broken database). */
  #expireNotBefore = 0

  constructor(deps: DeliveryDeps) {
    this.#d = deps
    this.#leases = new LeaseHeartbeat(deps)
    this.#refs = deps.sharedRefs ?? new SharedRefs()
    this.#giveUpAfterMs = deps.settings.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS
    this.#circuits = new PeerCircuits({
      probeInitialBackoffMs: deps.settings.probeInitialBackoffMs ?? 1000,
      probeMaxBackoffMs: deps.settings.probeMaxBackoffMs ?? 300_000,
      ...(deps.settings.jitter ? { jitter: deps.settings.jitter } : {}),
    }, deps.random)
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
    this.#leases.start(() => (this.#running ? this.#inFlight.size : 0))
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
    this.#expireDue(now)
    let skipped = false
    // Slots taken in this claim, per origin: added to #perPeer only once the claim committed.
    let taking = new Map<string, number>()
    // Peers whose circuit is open with a probe due, and a recipient there (for its endpoint).
    let probes = new Map<string, string>()
    const accept = (c: ClaimCandidate) => {
      const peer = this.#peerOf(c.recipientAgency)
      // PROTOCOL.md §7.2: nothing but the probe goes to a peer whose circuit is open.
      const admit = this.#circuits.admission(peer, now)
      if (admit !== 'send') {
        if (admit === 'probe' && !probes.has(peer)) probes.set(peer, c.recipientAgency)
        return ((skipped = true), false)
      }
      const used = (this.#perPeer.get(peer) ?? 0) + (taking.get(peer) ?? 0)
      if (used >= maxPerPeer) return ((skipped = true), false)
      taking.set(peer, (taking.get(peer) ?? 0) + 1)
      return true
    }
    let reclaimed = 0
    this.#claim = this.#d.db
      .write(() => {
        taking = new Map() // a retried transaction starts over
        probes = new Map()
        skipped = false
        // Issue 19 item 2: what a stopped process was attempting is due again, in its place.
        reclaimed = this.#d.outbox.reclaimExpired(now)
        // A refusal is the peer's (its slots are full or its circuit open): its other agencies' rows are passed over.
        return this.#d.outbox.claimDue(now, room, accept, (agency) => this.#peerOf(agency))
      })
      .then((claimed) => {
        if (reclaimed > 0) this.#d.log.warn({ event: 'delivery.reclaimed', count: reclaimed }, 'requeued messages whose claim expired: the process attempting them stopped renewing it')
        // Claimed while stopping: leave them 'sending'; the next start requeues them (requeueInFlight).
        if (!this.#running) return 0
        for (const [peer, agency] of probes) this.#probe(peer, agency)
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
        else this.#schedule(skipped ? now : undefined, now)
      })
  }

  /** `after`: only messages due later than this (some due now were passed over); `claimedAt`: the time the claim judged circuits and horizons at. */
  #schedule(after: number | undefined, claimedAt: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#running) return
    // The next message due, probe due, or give-up horizon reached (PROTOCOL.md §7.2).
    // A probe or horizon already due at the claim's time (`after`) is not a reason to wake: that claim
    // saw it (the probe waits for a message to that peer to come up in a claim; the expiry pass in
    // flight notifies when it ends). One due a moment later is: the claim's clock is the reference.
    const now = claimedAt
    const later = (x: number | undefined) => (x !== undefined && x > now ? x : undefined)
    // Another process's lease that runs out is work for this one (issue 19 item 2). Unreadable (the
    // database out of reach): look again in a few seconds, as after a failed claim.
    const next = nextWake(() => {
      const horizon = this.#d.outbox.nextHorizonFrom()
      return [this.#d.outbox.nextDueAt(after), later(this.#circuits.nextProbeAt()), later(horizon === undefined ? undefined : Math.max(horizon + this.#giveUpAfterMs, this.#expireNotBefore)), this.#d.outbox.nextLeaseExpiry()]
        .reduce<number | undefined>((a, b) => (b === undefined ? a : a === undefined ? b : Math.min(a, b)), undefined)
    }, now + RETRY_AFTER_FAILURE_MS, (err) => this.#d.log.error({ err, event: 'delivery.claim-failed' }, 'could not read when outbox work is next due; will try again'))
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
    const startedAt = d.clock.now()
    let outcome: Outcome
    try {
      outcome = await attemptDelivery(d, this.#refs, msg)
    } catch (err) {
      outcome = thrownOutcome(err)
    }
    const now = d.clock.now()
    const peer = this.#peerOf(msg.recipientAgency)
    if (outcome.kind !== 'delivered' && outcome.peer) {
      const endpoint = endpointOf(d.directory(), msg.recipientAgency)
      if (endpoint !== undefined) this.#opened(peer, this.#circuits.failed(peer, endpoint, { startedAt, now, code: outcome.code, detail: outcome.detail, retryAfterMs: outcome.peer.retryAfterMs }))
    } else if (outcome.kind === 'delivered' || outcome.answered) {
      this.#circuits.answered(peer, now, 'message')
    }
    const log = { messageId: msg.messageId, to: msg.recipientAgency, attempt: msg.attempts }
    // Issue 17 item 2: every attempt with its outcome, in the write that records the outcome (no commit of its own).
    const attempt = (kind: AttemptOutcome, detail?: string) => d.outbox.recordAttempt({
      messageId: msg.messageId, attempt: msg.attempts, startedAt, endedAt: now, outcome: kind,
      ...(outcome.kind === 'delivered' ? {} : { errorCode: outcome.code, detail: detail ?? outcome.detail, httpStatus: outcome.httpStatus }),
    })
    const facts = { agency: msg.senderAgency, letterId: msg.letterId, messageId: msg.messageId }
    if (outcome.kind === 'delivered') {
      const receipt = receiptText(msg.profile, outcome.receipt)
      // Its message.delivered entry is built in this write from the stored text (PROTOCOL.md §20.3.2).
      if (outcome.claims) noteVerifiedReceipt(msg.messageId, receipt, outcome.claims)
      // The recipient's proof sent with the receipt, checked outside the write (PROTOCOL.md §20.5).
      const sent = outcome.claims ? d.receivedProofs?.check(outcome.claims, outcome.logProof) : undefined
      let fetchProof = false
      await d.db.write(() => {
        attempt('delivered')
        if (!d.outbox.markDelivered(msg.messageId, receipt, now, sent?.proof)) return
        if (outcome.claims && !sent?.proof) fetchProof = d.receivedProofs?.queue(msg.messageId, outcome.claims, now) ?? false
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
      const checkpoint = outcome.claims?.log?.checkpoint
      // Witnessing never undoes a delivery: a misbehaving log is recorded and raised on its own (§20.6).
      if (checkpoint !== undefined) await d.witness?.observe(checkpoint, msg.recipientAgency, 'receipt', msg.messageId).catch((err: unknown) => d.log.warn({ err, ...log }, 'the receipt\'s log checkpoint could not be kept'))
      // A proof that came checked with the receipt is kept already; only a queued one is asked (§20.7).
      if (fetchProof) void d.receivedProofs?.kick()
      if (sent?.refused) d.log.warn({ event: 'log.received-proof.refused', ...log, detail: sent.refused }, 'the inclusion proof sent with the receipt does not check; it will be asked for instead')
      d.log.info({ event: 'letter.delivered', ...log }, 'letter delivered, receipt verified')
      return
    }
    const next = afterFailure({
      attempts: msg.attempts, maxAttempts: d.settings.maxAttempts, retryable: outcome.kind === 'retry', now,
      horizonFrom: msg.horizonFrom ?? msg.createdAt, giveUpAfterMs: this.#giveUpAfterMs,
    }, d.settings, d.random)
    if (next.status === 'queued') {
      if (outcome.peer) {
        // The peer is down: the message keeps its place and waits on the circuit (PROTOCOL.md §7.2).
        await d.db.write(() => {
          attempt('circuit')
          if (!d.outbox.markWaiting(msg.messageId, outcome.code, outcome.detail, msg.attempts)) this.#leases.lost(msg)
        })
        d.log.warn({ event: 'delivery.waiting', ...log, code: outcome.code, detail: outcome.detail }, 'the peer is unreachable; the letter waits for it')
        return
      }
      await d.db.write(() => {
        attempt('retry')
        if (!d.outbox.markRetry(msg.messageId, next.nextAttemptAt, outcome.code, outcome.detail, msg.attempts)) this.#leases.lost(msg)
      })
      d.log.warn({ event: 'delivery.retry', ...log, code: outcome.code, detail: outcome.detail, retryInMs: next.delayMs }, 'delivery failed, will retry')
      return
    }
    const detail = next.reason === 'horizon' ? gaveUpDetail(this.#giveUpAfterMs, outcome.detail)
      : next.reason === 'attempts' ? `no delivery after ${msg.attempts} attempts (delivery.maxAttempts): ${outcome.detail}` : outcome.detail
    await d.db.write(() => {
      attempt('failed', detail)
      if (d.outbox.markFailed(msg.messageId, outcome.code, detail, msg.attempts)) emitFailed(d.events, msg, outcome.code, detail)
      else this.#leases.lost(msg)
    })
    d.envelopes.delete(msg.messageId)
    d.log.error({ event: 'delivery.failed', ...log, code: outcome.code, detail }, 'delivery failed for good')
  }

  #opened(peer: string, c: Circuit): void {
    if (c.state === 'open' && c.since === this.#d.clock.now()) {
      this.#d.log.warn({ event: 'delivery.circuit-open', peer, failures: c.failures, nextProbeAt: c.nextProbeAt, code: c.lastError?.code }, 'a peer is unreachable: its letters wait, one probe at a time')
    }
  }

  /** One probe of a peer whose circuit is open (PROTOCOL.md §7.2, §4.3). An answer that is not a
   *  peer-level failure closes the circuit, and the claim that follows takes its queue at once. */
  #probe(peer: string, agency: string): void {
    const d = this.#d
    const startedAt = d.clock.now()
    const endpoint = this.#circuits.probeStarted(peer, startedAt) ?? endpointOf(d.directory(), agency)
    if (endpoint === undefined) return
    const p: Promise<void> = d.peers.probe(endpoint, PROBE_PATH).then(
      (res) => {
        const now = d.clock.now()
        if (scopeOfStatus(res.status) === 'peer') {
          this.#circuits.failed(peer, endpoint, { startedAt, now, code: 'ERR_PEER_UNREACHABLE', detail: `the probe was answered HTTP ${res.status}`, retryAfterMs: retryAfterMs(res.retryAfter, now) })
        } else {
          this.#circuits.answered(peer, now, 'probe')
          d.log.info({ event: 'delivery.circuit-closed', peer }, 'a peer answers again: its letters are sent')
        }
      },
      (err: unknown) => {
        this.#circuits.failed(peer, endpoint, { startedAt, now: d.clock.now(), code: 'ERR_PEER_UNREACHABLE', detail: transportReason(err) })
      },
    ).finally(() => {
      this.#probes.delete(p)
      this.notify()
    })
    this.#probes.add(p)
  }

  /** Queued messages whose give-up horizon passed while they waited (an open circuit, a paused
   *  queue) fail with their last reason (PROTOCOL.md §7.2); one pass at a time. */
  #expireDue(now: number): void {
    if (this.#expiring || now < this.#expireNotBefore) return
    let from: number | undefined
    try {
      from = this.#d.outbox.nextHorizonFrom()
    } catch {
      return // the database out of reach: the claim that follows fails and says so; the next one looks again
    }
    if (from === undefined || now < from + this.#giveUpAfterMs) return
    this.#expiring = true
    const d = this.#d
    const cutoff = now - this.#giveUpAfterMs
    const run = async () => {
      for (;;) {
        const rows = d.outbox.expiring(cutoff, EXPIRE_PAGE)
        if (rows.length === 0) return
        const failed = await d.db.write(() => rows.filter((m) => {
          const c = this.#circuits.get(this.#peerOf(m.recipientAgency)).lastError
          const code = m.lastErrorCode ?? c?.code ?? 'ERR_PEER_UNREACHABLE'
          const detail = gaveUpDetail(this.#giveUpAfterMs, m.lastErrorDetail ?? c?.detail)
          if (!d.outbox.markExpired(m.messageId, code, detail)) return false
          emitFailed(d.events, m, code, detail)
          return true
        }))
        for (const m of failed) {
          d.envelopes.delete(m.messageId)
          d.log.error({ event: 'delivery.failed', messageId: m.messageId, to: m.recipientAgency, attempt: m.attempts, code: m.lastErrorCode }, 'delivery failed for good: the give-up horizon passed')
        }
        if (rows.length < EXPIRE_PAGE) return
      }
    }
    run().catch((err: unknown) => {
      this.#expireNotBefore = d.clock.now() + 60_000
      d.log.error({ err, event: 'delivery.expire-failed' }, 'could not fail letters past their give-up horizon; will try again in a minute')
    })
      .finally(() => {
        this.#expiring = false
        this.notify()
      })
  }

  /** Per peer origin with something to show: its circuit (PROTOCOL.md §7.2). */
  circuits(): PeerCircuitView[] {
    return this.#circuits.list()
  }

  /** The delivery origin of an agency (its endpoint's, or its hosting node's): what a circuit is keyed by. */
  peerOf(agency: string): string {
    return this.#peerOf(agency)
  }

  /** Stop claiming; wait for deliveries in flight (bounded), leaving the rest queued for the next start. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#running = false
    this.#leases.stop()
    await this.#deadlines.stop()
    if (this.#timer) clearTimeout(this.#timer)
    await this.#claim
    let t: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#inFlight, ...this.#probes]), new Promise((r) => { t = setTimeout(r, timeoutMs); t.unref() })])
    if (t) clearTimeout(t)
  }

  get inFlight(): number {
    return this.#inFlight.size
  }
}
