// An operator sends failed recipients again (PROTOCOL.md §7.2 "Requeue"; POST /api/v1/letters/{id}/retry,
// `saraban-node retry`): the same message id and the same stored envelope bytes, due at once, with the
// give-up horizon started afresh. Only `failed` recipients qualify; a cancelled one (the sender's
// withdrawal, §18.4) never does. Every named recipient must qualify, or nothing is requeued.
import { SarabanError, type FieldProblem } from '../../errors.js'
import { shownStatus } from '../../domain/delivery.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { OutboxMessageMeta, OutboxStore } from '../../storage/outbox.js'
import type { EventSink } from '../../domain/events.js'

export interface RequeueDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly events?: EventSink | undefined
  /** Wake the delivery worker: requeued messages are due now. */
  readonly onQueued: () => void
}

export interface RequeueRequest {
  /** Recipient agencies to send again; without it, every failed (not cancelled) recipient. */
  readonly recipients?: readonly string[] | undefined
}

/** Why a recipient cannot be requeued, as an error code; undefined when it can. */
function refusal(m: OutboxMessageMeta): 'ERR_DELIVERY_CANCELLED' | 'ERR_NOT_FAILED' | undefined {
  const shown = shownStatus(m.status, m.lastErrorCode)
  if (shown === 'cancelled') return 'ERR_DELIVERY_CANCELLED'
  return shown === 'failed' ? undefined : 'ERR_NOT_FAILED'
}

/** Requeues the letter's failed recipients (all, or those named); returns their agencies. */
export async function requeueLetter(deps: RequeueDeps, letterId: string, req: RequeueRequest = {}): Promise<string[]> {
  const messages = deps.outbox.messagesForLetter(letterId)
  let chosen: OutboxMessageMeta[]
  if (req.recipients) {
    const problems: Array<FieldProblem & { code: string }> = []
    chosen = req.recipients.map((agency, j) => {
      const m = messages.find((x) => x.recipientAgency === agency)
      if (!m) throw new SarabanError('ERR_REQUEST_INVALID', `"${agency}" is not a recipient of letter ${letterId}.`, { field: `/recipients/${j}` })
      const code = refusal(m)
      if (code) problems.push({ code, field: `/recipients/${j}`, message: `"${agency}" is ${shownStatus(m.status, m.lastErrorCode)}` })
      return m
    })
    if (problems.length > 0) {
      throw new SarabanError(problems[0]!.code as 'ERR_NOT_FAILED', `Nothing was requeued: ${problems.map((p) => p.message).join('; ')}. Only failed recipients can be sent again; a cancelled one was withdrawn by its sender, and a queued one is still being tried (GET the letter for each recipient's status).`, {
        field: problems[0]!.field, errors: problems.map(({ field, message }) => ({ field, message })),
      })
    }
  } else {
    chosen = messages.filter((m) => refusal(m) === undefined)
    if (chosen.length === 0) {
      throw new SarabanError('ERR_NOT_FAILED', `Letter ${letterId} has no failed recipient to send again (a cancelled one was withdrawn by its sender; GET the letter for each recipient's status).`, { field: '/recipients' })
    }
  }
  const requeued = await deps.db.write(() => chosen.filter((m) => {
    if (!deps.outbox.requeueFailed(m.messageId)) return false
    deps.events?.emit({ agency: m.senderAgency, type: 'letter.requeued', letterId, messageId: m.messageId, data: { recipient: m.recipientAgency, previousCode: m.lastErrorCode } })
    return true
  }))
  if (requeued.length < chosen.length && req.recipients) {
    // Changed between the read and the write (another requeue): the rest was requeued, say which was not.
    const missed = chosen.filter((m) => !requeued.includes(m)).map((m) => m.recipientAgency)
    deps.log.warn({ event: 'letter.requeue-raced', letterId, missed }, 'some recipients changed state while being requeued')
  }
  deps.log.info({ event: 'letter.requeued', letterId, recipients: requeued.map((m) => m.recipientAgency) }, 'failed recipients queued again by an operator')
  deps.onQueued()
  return requeued.map((m) => m.recipientAgency)
}
