// The console's searches over its own mail (issue 17 item 2: outbox and inbox by subject, ที่,
// agency, date, state), the recipients whose delivery fails (dashboard), and a letter's recorded
// events (its timeline). Always scoped to the agencies the caller's key acts for.
import type { ConsoleStore, MailSearch, SentRow, ReceivedRow, FailingRow, LetterEventRow } from '../../storage/console.js'

export type { MailSearch, SentRow, ReceivedRow, FailingRow, LetterEventRow }

export const OUTBOX_STATES = ['queued', 'sending', 'delivered', 'failed', 'cancelled'] as const
export const INBOX_STATES = ['open', 'accepted', 'rejected', 'withdrawn'] as const

export class MailSearchService {
  readonly #store: ConsoleStore
  constructor(store: ConsoleStore) { this.#store = store }

  sent(q: MailSearch): SentRow[] {
    return this.#store.searchSent({ ...q, state: (OUTBOX_STATES as readonly string[]).includes(q.state ?? '') ? q.state : undefined })
  }

  received(q: MailSearch): ReceivedRow[] {
    return this.#store.searchReceived({ ...q, state: (INBOX_STATES as readonly string[]).includes(q.state ?? '') ? q.state : undefined })
  }

  failing(agencies: readonly string[], limit = 50): FailingRow[] { return this.#store.failing(agencies, limit) }

  eventsOfLetter(agencies: readonly string[], letterId: string): LetterEventRow[] { return this.#store.eventsOf(agencies, { letterId }) }

  eventsOfReceived(agencies: readonly string[], messageId: string): LetterEventRow[] { return this.#store.eventsOf(agencies, { messageId }) }
}
