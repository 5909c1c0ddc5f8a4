// deliverBy (ด่วนภายใน) deadlines on the sender side (PROTOCOL.md §7.3, issue 5 §5): for each
// recipient not delivered, letter.deadline-at-risk once the at-risk window opens and
// letter.deadline-missed once the deadline passes, each raised once (outbox deadline_state) and
// recorded in the same transaction as its event.
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { DeadlineRow, OutboxStore } from '../storage/outbox.js'
import type { EventSink } from '../domain/events.js'
import { deadlineEventDue } from '../domain/delivery.js'
import { isoTime } from '../clock.js'
import { nextWake } from './next-wake.js'

export interface DeadlineWatchDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly events?: EventSink
  /** How long before deliverBy an undelivered recipient is at risk. */
  readonly atRiskMs: number
}

/** Longest sleep between checks: a clock jump or a deadline stored by another process is seen by then. */
const MAX_SLEEP_MS = 60_000
/** After a failed read of the next deadline (the database out of reach): when to look again. */
const RETRY_MS = 10_000

export function emitDeadline(events: EventSink | undefined, r: Pick<DeadlineRow, 'senderAgency' | 'letterId' | 'messageId' | 'recipientAgency' | 'deadlineAt'>, kind: 'at-risk' | 'missed'): void {
  events?.emit({
    agency: r.senderAgency,
    type: kind === 'at-risk' ? 'letter.deadline-at-risk' : 'letter.deadline-missed',
    letterId: r.letterId,
    messageId: r.messageId,
    data: { recipient: r.recipientAgency, deliverBy: isoTime(r.deadlineAt) },
  })
}

export class DeadlineWatch {
  readonly #d: DeadlineWatchDeps
  #timer: NodeJS.Timeout | undefined
  #wakeAt = Number.POSITIVE_INFINITY
  #running = false
  #checking: Promise<void> = Promise.resolve()

  constructor(deps: DeadlineWatchDeps) {
    this.#d = deps
  }

  start(): void {
    this.#running = true
    this.#checking = this.check()
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#checking
  }

  /** Deadlines may have changed (a letter was queued or delivered): wake at the next event. */
  poke(): void {
    if (!this.#running) return
    const next = this.#d.outbox.nextDeadlineEventAt(this.#d.atRiskMs)
    if (next !== undefined && next < this.#wakeAt) this.#sleepUntil(next)
  }

  /** Raises every deadline event due now; then sleeps until the next one. */
  async check(): Promise<void> {
    const d = this.#d
    const now = d.clock.now()
    try {
      for (;;) {
        const rows = d.outbox.deadlinesDue(now, d.atRiskMs, 500)
        const due = rows.flatMap((r) => {
          const kind = deadlineEventDue({ deadlineAt: r.deadlineAt, raised: r.deadlineState }, now, d.atRiskMs)
          return kind ? [{ r, kind }] : []
        })
        if (due.length > 0) {
          const raised = await d.db.write(() => due.filter(({ r, kind }) => d.outbox.raiseDeadline(r.messageId, kind) && (emitDeadline(d.events, r, kind), true)))
          for (const { r, kind } of raised) d.log.warn({ event: `letter.deadline-${kind}`, letterId: r.letterId, to: r.recipientAgency, deliverBy: isoTime(r.deadlineAt) }, 'a deliverBy deadline is at risk or missed')
        }
        // Raised rows leave the set; a full page means there may be more (a circular's 2,000).
        if (rows.length < 500 || due.length === 0) break
      }
    } catch (err) {
      d.log.error({ err, event: 'deadline.check-failed' }, 'could not check deliverBy deadlines; will try again')
    }
    if (!this.#running) return
    this.#wakeAt = Number.POSITIVE_INFINITY
    // The database out of reach: the check above logged it; look again soon.
    const next = nextWake(() => d.outbox.nextDeadlineEventAt(d.atRiskMs), now + RETRY_MS)
    this.#sleepUntil(Math.min(next ?? Number.POSITIVE_INFINITY, now + MAX_SLEEP_MS))
  }

  #sleepUntil(at: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#wakeAt = at
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#wakeAt = Number.POSITIVE_INFINITY
      this.#checking = this.check()
    }, Math.max(0, Math.min(at - this.#d.clock.now(), MAX_SLEEP_MS)))
    this.#timer.unref()
  }
}
