// Every delivery attempt of a sent letter with its error (issue 17 item 2), per recipient message,
// for the console's letter page. The caller checks the letter is its agencies' (console/routes/letter.ts).
import type { OutboxStore, DeliveryAttemptRow } from '../../storage/outbox.js'

export type { DeliveryAttemptRow }

/** Most attempt rows one letter page reads: a circular of many recipients retried for days. */
const LETTER_LIMIT = 5000

export class DeliveryAttempts {
  readonly #outbox: OutboxStore
  constructor(outbox: OutboxStore) { this.#outbox = outbox }

  /** The letter's attempts by message id, oldest first. */
  ofLetter(letterId: string): Map<string, DeliveryAttemptRow[]> {
    const out = new Map<string, DeliveryAttemptRow[]>()
    for (const a of this.#outbox.attemptsOfLetter(letterId, LETTER_LIMIT)) {
      let list = out.get(a.messageId)
      if (!list) out.set(a.messageId, (list = []))
      list.push(a)
    }
    return out
  }
}
