// Small pieces of the delivery worker (worker.ts) that need none of its state: which peer a
// message goes to, how a message that failed for good is told (PROTOCOL.md §7.2, §18.5, §19.5).
import type { EventSink } from '../../domain/events.js'
import type { OutboxMessageMeta } from '../../storage/outbox.js'

/** "3 d", "2 h", "90 s": a horizon as operators configure it. */
export function span(ms: number): string {
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000]] as const) if (ms >= n && ms % n === 0) return `${ms / n} ${unit}`
  return `${Math.round(ms / 1000)} s`
}

/** The failure text of a message whose give-up horizon passed (PROTOCOL.md §7.2). */
export function gaveUpDetail(giveUpAfterMs: number, last: string | null | undefined): string {
  return `no delivery within ${span(giveUpAfterMs)} (delivery.giveUpAfter); last error: ${last ?? 'none'}`
}

/** The circuit key of a peer: the origin of its endpoint (a hosting node's agencies share one). */
export function originOf(endpoint: string | undefined, agency: string): string {
  if (endpoint === undefined) return `agency:${agency}` // unknown: its own slot group, fails fast anyway
  try {
    return new URL(endpoint).origin
  } catch {
    return endpoint
  }
}

/** letter.failed, or notice.failed for a notice (PROTOCOL.md §18.5), in the caller's transaction.
 *  A classified message raises no event: its item's status shows the failure (PROTOCOL.md §19.5). */
export function emitFailed(events: EventSink | undefined, msg: OutboxMessageMeta, code: string, detail: string): void {
  if (msg.classified) return
  if (msg.kind === 'notice') events?.emit({ agency: msg.senderAgency, type: 'notice.failed', messageId: msg.messageId, data: { to: msg.recipientAgency, code, detail } })
  else events?.emit({ agency: msg.senderAgency, letterId: msg.letterId, messageId: msg.messageId, type: 'letter.failed', data: { recipient: msg.recipientAgency, code, detail } })
}
