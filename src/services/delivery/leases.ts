// This process's claims on the messages it attempts (issue 19 item 2; storage/outbox-delivery.ts): they
// are renewed every third of the lease while deliveries are in flight, so two renewals may fail (a busy
// database) before another process of the node may take them; an outcome that finds its lease gone is
// logged, not recorded.
import type { Logger } from '../../log.js'
import type { Clock } from '../../clock.js'
import type { Db } from '../../storage/db.js'
import type { OutboxMessageMeta, OutboxStore } from '../../storage/outbox.js'

interface LeaseDeps { readonly db: Db; readonly outbox: OutboxStore; readonly clock: Clock; readonly log: Logger }

export class LeaseHeartbeat {
  readonly #d: LeaseDeps
  #timer: NodeJS.Timeout | undefined

  constructor(d: LeaseDeps) {
    this.#d = d
  }

  /** Renews on a timer while `inFlight()` says there is something to renew. */
  start(inFlight: () => number): void {
    this.stop()
    this.#timer = setInterval(() => { if (inFlight() > 0) this.#renew() }, Math.max(1, Math.floor(this.#d.outbox.leaseMs / 3)))
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** An outcome not recorded: this attempt's lease ran out and the message was put back or taken by
   *  another process, which records its own attempt's outcome; or it was delivered. */
  lost(msg: OutboxMessageMeta): void {
    this.#d.log.warn({ event: 'delivery.lease-lost', messageId: msg.messageId, attempt: msg.attempts }, 'an attempt ended after its claim expired; its outcome is left to the attempt that holds the message now')
  }

  /** A failure is logged and tried again at the next beat. */
  #renew(): void {
    this.#d.db.write(() => this.#d.outbox.renewLeases(this.#d.clock.now())).catch((err: unknown) => {
      this.#d.log.error({ err, event: 'delivery.lease-renew-failed' }, 'could not renew the claims on messages in flight; another process may attempt them when they expire')
    })
  }
}
