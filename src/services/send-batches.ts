// Envelopes sealed one per recipient (a profile without sealMany, e.g. jose-v1), gathered as they
// come (issue 5 §4: a circular's memory is bounded by the concurrency, not by the recipients).
// While they stay under a byte budget they are held and stored with the letter in its one
// transaction, as before (a letter to one or a few agencies pays no extra commit). Past it, they
// are stored in batches, each its own db.write(), as envelopes no letter owns yet
// (OutboxStore.stageEnvelope): no listing, claim or register sees them, and the letter's final
// transaction adopts them all or stores nothing. discard() drops them when the letter will not be
// stored; the startup drops those of a process that died while sealing (OutboxStore.dropSealing).
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { NewOutboxMessage, OutboxStore } from '../storage/outbox.js'

/** Bytes of sealed envelopes one send holds before storing them: 12 jose-v1 envelopes of a 1 MB PDF
 *  per commit. 1 MB PDF to 500 agencies (npm run bench -- --case circular --paths per-recipient):
 *  sender peak RSS 449 MB until all delivered, was 906 MB with every envelope held. */
export const SEAL_BATCH_BYTES = 16 * 1024 * 1024

const EMPTY = Buffer.alloc(0)

export interface EnvelopeBatchDeps {
  readonly db: Db
  readonly outbox: Pick<OutboxStore, 'stageEnvelope' | 'dropSealing'>
  readonly log: Logger
}

export class EnvelopeBatches {
  readonly #d: EnvelopeBatchDeps
  readonly #letterId: string
  readonly #budget: number
  #pending: NewOutboxMessage[] = []
  #pendingBytes = 0
  #staged = 0
  #batches = 0

  constructor(deps: EnvelopeBatchDeps, letterId: string, budget = SEAL_BATCH_BYTES) {
    this.#d = deps
    this.#letterId = letterId
    this.#budget = budget
  }

  /** How many envelopes are stored ahead of the letter: insertLetter() must adopt as many. */
  get staged(): number {
    return this.#staged
  }

  get batches(): number {
    return this.#batches
  }

  /** A message whose `envelope` is the whole sealed envelope. Once stored, the row keeps its place
   *  in the caller's list with an empty head and the stored bytes' contentId instead. */
  async add(row: NewOutboxMessage): Promise<void> {
    this.#pending.push(row)
    this.#pendingBytes += row.envelope.length
    if (this.#pendingBytes > this.#budget) await this.#flush()
  }

  /** An envelope staged for this letter another way (sealed from spooled files, uploads/seal-from-files.ts):
   *  counted before it is staged, so that insertLetter() adopts it and discard() drops it. */
  stagedApart(): void {
    this.#staged++
  }

  /** After the last add(): once anything was stored ahead, the rest is too (one way to read them). */
  async finish(): Promise<void> {
    if (this.#staged > 0) await this.#flush()
  }

  /** The letter will not be stored: delete what was stored ahead. Never throws (the next startup
   *  deletes what this could not). */
  async discard(): Promise<void> {
    if (this.#staged === 0) return
    try {
      await this.#d.db.write(() => this.#d.outbox.dropSealing(this.#letterId))
    } catch (err) {
      this.#d.log.warn({ event: 'letter.sealing.discard-failed', letterId: this.#letterId, err }, 'sealed envelopes of a letter not stored are left for the next start to delete')
    }
    this.#staged = 0
  }

  async #flush(): Promise<void> {
    const rows = this.#pending
    this.#pending = []
    this.#pendingBytes = 0
    if (rows.length === 0) return
    const ids = await this.#d.db.write(() => rows.map((r) => this.#d.outbox.stageEnvelope(this.#letterId, r.profile, r.envelope)))
    rows.forEach((r, i) => {
      r.contentId = ids[i]!
      r.envelope = EMPTY
    })
    this.#staged += rows.length
    this.#batches++
  }
}
