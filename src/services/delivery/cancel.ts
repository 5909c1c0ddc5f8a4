// An operator cancels a recipient's queued delivery (issue 17 item 2, the console's "cancel queued
// recipient"): the message becomes final as cancelled (the same mark a withdrawal leaves, PROTOCOL.md
// §18.4), is never claimed again, and raises letter.cancelled. Only a queued message qualifies: one in
// flight may already be with the peer, and a delivered or failed one has nothing left to stop.
import { SarabanError } from '../../errors.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { OutboxStore } from '../../storage/outbox.js'
import type { EventSink } from '../../domain/events.js'

export interface CancelDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly events?: EventSink | undefined
}

/** Cancels the queued delivery of `letterId` to `recipient`; ERR_NOT_QUEUED (409) when it is not queued. */
export async function cancelQueuedRecipient(deps: CancelDeps, letterId: string, recipient: string, reason: string, by: string): Promise<void> {
  const m = deps.outbox.messagesForLetter(letterId).find((x) => x.recipientAgency === recipient)
  if (!m) throw new SarabanError('ERR_REQUEST_INVALID', `"${recipient}" is not a recipient of letter ${letterId}.`, { field: '/recipient' })
  const done = await deps.db.write(() => {
    if (!deps.outbox.cancelQueued(m.messageId, reason)) return false
    deps.events?.emit({ agency: m.senderAgency, type: 'letter.cancelled', letterId, messageId: m.messageId, data: { recipient, reason } })
    return true
  })
  if (!done) {
    throw new SarabanError('ERR_NOT_QUEUED', `The delivery to "${recipient}" is not queued (it is in flight, delivered or failed); only a queued delivery can be cancelled.`, { field: '/recipient' })
  }
  deps.log.info({ event: 'letter.cancelled-by-operator', letterId, recipient, by }, 'a queued delivery was cancelled by an operator')
}
