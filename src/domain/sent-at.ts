// The window of a signed sentAt (PROTOCOL.md §5.4): what a receiver accepts, judged against its own
// clock and the signer certificate's validity. A sender's clock may run ahead by the skew; a letter
// may wait in the sender's queue and be requeued (§7.2), up to the age bound.

/** How far a signed time may lie ahead of the receiver's clock (§5.4, §6.3 step 3). */
export const CLOCK_SKEW_MS = 5 * 60_000
/** How old a sentAt may be when its envelope arrives (§5.4): a sender's give-up horizon and requeues stay within it. */
export const MAX_SENT_AT_AGE_MS = 30 * 24 * 3_600_000

/** Why `sentAt` (a valid UTC time, §5.4) is outside the window at `now`, or undefined. */
export function sentAtProblem(sentAt: string, signer: { readonly from: Date; readonly to: Date }, now: number): string | undefined {
  const t = Date.parse(sentAt)
  if (t > now + CLOCK_SKEW_MS) return `(${sentAt}) is more than ${CLOCK_SKEW_MS / 60_000} minutes ahead of the receiver's clock`
  if (t < now - MAX_SENT_AT_AGE_MS) return `(${sentAt}) is more than ${MAX_SENT_AT_AGE_MS / 86_400_000} days old`
  if (t < signer.from.getTime() || t > signer.to.getTime()) return `(${sentAt}) is outside the signer certificate's validity (${signer.from.toISOString()} to ${signer.to.toISOString()})`
  return undefined
}
