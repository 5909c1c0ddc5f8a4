// Requests still being processed, by Idempotency-Key (draft-ietf-httpapi-idempotency-key-header §2.6:
// a retry while the first request is still in progress is answered 409). Sealing a letter for many
// recipients takes time and happens outside the database transaction, so a client that times out and
// retries at once would otherwise start sealing the same letter twice; the unique key index would keep
// only one, but the retry would wait for nothing. In memory, per process: another process sharing the
// database file is caught by that index instead (services/send.ts answers it as a replay or a reuse).
import { SarabanError } from '../../errors.js'

export class InFlight {
  readonly #held = new Set<string>()

  /** Marks `key` of `scope` (e.g. the sending agency) as in progress, or refuses with
   *  ERR_IDEMPOTENCY_IN_FLIGHT; the returned release is idempotent. */
  take(scope: string, key: string): () => void {
    const id = `${scope}\u0000${key}`
    if (this.#held.has(id)) {
      throw new SarabanError('ERR_IDEMPOTENCY_IN_FLIGHT', `A request with Idempotency-Key "${key}" is still being processed; retry after a few seconds with the same key to get its answer.`, { field: 'Idempotency-Key' })
    }
    this.#held.add(id)
    let done = false
    return () => {
      if (!done) this.#held.delete(id)
      done = true
    }
  }

  get size(): number {
    return this.#held.size
  }
}
