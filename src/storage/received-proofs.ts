// The recipients' inclusion proofs of our delivered envelopes (PROTOCOL.md §20.7, migration 019):
// queued in the write that marks the message delivered (enqueue() is synchronous: call it inside
// Db.write), fetched and checked later by services/evidence/received-proofs.ts, read by evidence.
// With several processes of one node (issue 19 item 2, migration 045) a fetch is claimed before the
// peer is asked, as a visibility timeout: the claim names its process, counts the attempt and moves
// next_attempt_at to its end, so no other process asks for the same proof meanwhile; a failure is
// recorded only under its claim (owner and attempt count); a checked proof is a fact, kept whoever has it.
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import { uniqueOwner } from './owner.js'

export interface ReceivedProofKey {
  readonly messageId: string
  readonly agency: string
  readonly index: number
  readonly size: number
  readonly entry: Buffer
  readonly checkpoint: string
}

export interface ReceivedProofRow extends ReceivedProofKey {
  /** the hashes, once fetched and checked */
  readonly proof: Buffer[] | undefined
  readonly attempts: number
  readonly lastError: string | null
}

type Raw = Omit<ReceivedProofRow, 'proof'> & { proof: Buffer | null }
// The checkpoint text is kept once per checkpoint (migration 038); rows from before keep their own.
const COLS = `message_id AS messageId, agency, idx AS "index", size, entry,
  coalesce((SELECT c.jws FROM log_received_checkpoints c WHERE c.id = checkpoint_id), checkpoint) AS checkpoint, proof, attempts, last_error AS lastError`
const split = (b: Buffer | null): Buffer[] | undefined => {
  if (b === null) return undefined
  const out: Buffer[] = []
  for (let i = 0; i < b.length; i += 32) out.push(b.subarray(i, i + 32))
  return out
}
const row = (r: Raw | undefined): ReceivedProofRow | undefined => r && { ...r, proof: split(r.proof) }

/** Checkpoint texts whose row is committed, with its id: the receipts of one batch share one checkpoint
 *  (PROTOCOL.md §20.5), so most deliveries find theirs here (issue 14 §6). */
const KNOWN_MAX = 32

export class ReceivedProofStore {
  readonly #s
  readonly #db: Db
  readonly #known = new Map<string, number>()
  readonly #owner: string
  readonly #claim: Database.Transaction<(due: number, limit: number, until: number) => ReceivedProofRow[]>

  /** `owner`: the name this process claims under (storage/owner.ts); by default one unique to it. */
  constructor(db: Db, owner: string = uniqueOwner()) {
    this.#db = db
    this.#owner = owner
    const p = <R>(sql: string): Database.Statement<unknown[], R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      keepCheckpoint: p('INSERT INTO log_received_checkpoints (sha256, jws) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING'),
      checkpointId: p<number>('SELECT id FROM log_received_checkpoints WHERE sha256 = ?').pluck(),
      insert: p(`INSERT INTO log_received_proofs (message_id, agency, idx, size, entry, checkpoint, checkpoint_id, next_attempt_at)
        VALUES (@messageId, @agency, @index, @size, @entry, '', @checkpointId, @now) ON CONFLICT DO NOTHING`),
      get: p<Raw>(`SELECT ${COLS} FROM log_received_proofs WHERE message_id = ?`),
      due: p<Raw>(`SELECT ${COLS} FROM log_received_proofs INDEXED BY log_received_proofs_due
        WHERE proof IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`),
      claim: p(`UPDATE log_received_proofs SET claimed_by = @owner, next_attempt_at = @until, attempts = attempts + 1
        WHERE message_id = @messageId AND proof IS NULL AND next_attempt_at <= @due AND attempts = @attempts`),
      save: p('UPDATE log_received_proofs SET proof = ?, last_error = NULL, claimed_by = NULL WHERE message_id = ?'),
      retry: p(`UPDATE log_received_proofs SET next_attempt_at = @nextAttemptAt, last_error = @error, claimed_by = NULL
        WHERE message_id = @messageId AND proof IS NULL AND claimed_by = @owner AND attempts = @attempts`),
      // At start: this process's claims from its earlier life (their fetches ended with it) are due now.
      release: p(`UPDATE log_received_proofs SET claimed_by = NULL, next_attempt_at = CASE WHEN next_attempt_at > @now THEN @now ELSE next_attempt_at END
        WHERE proof IS NULL AND claimed_by = @owner`),
      nextDue: p<number | null>('SELECT min(next_attempt_at) FROM log_received_proofs WHERE proof IS NULL').pluck(),
    }
    this.#claim = db.sqlite.transaction((due: number, limit: number, until: number) => {
      const owner = this.#owner
      // Only a row this UPDATE took is claimed (one IMMEDIATE transaction on SQLite; the check keeps it true elsewhere).
      return this.#s.due.all(due, limit).filter((r) => this.#s.claim.run({ messageId: r.messageId, attempts: r.attempts, owner, due, until }).changes === 1)
        .map((r) => row({ ...r, attempts: r.attempts + 1 })!)
    })
  }

  /** Queues the fetch (idempotent per message). Synchronous: call inside a Db.write fn. A proof that
   *  came with its receipt is kept in the outbox row instead (PROTOCOL.md §20.5, migration 039). */
  enqueue(k: ReceivedProofKey, now: number): void {
    const checkpointId = this.#known.get(k.checkpoint) ?? this.#keep(k.checkpoint)
    this.#s.insert.run({ messageId: k.messageId, agency: k.agency, index: k.index, size: k.size, entry: k.entry, checkpointId, now })
  }

  #keep(checkpoint: string): number {
    const sha256 = createHash('sha256').update(checkpoint).digest()
    this.#s.keepCheckpoint.run(sha256, checkpoint)
    const id = this.#s.checkpointId.get(sha256)!
    // Remembered once committed (a rolled-back row's id could be another checkpoint's later); rows are never deleted.
    this.#db.afterCommit(() => {
      if (this.#known.size >= KNOWN_MAX) this.#known.delete(this.#known.keys().next().value!)
      this.#known.set(checkpoint, id)
    })
    return id
  }

  get(messageId: string): ReceivedProofRow | undefined {
    return row(this.#s.get.get(messageId))
  }

  due(now: number, limit: number): ReceivedProofRow[] {
    return this.#s.due.all(now, limit).map((r) => row(r)!)
  }

  /** Claims up to `limit` proofs due by `due` until `until` (a visibility timeout, migration 045): no
   *  other process finds them due meanwhile. Each returned row's `attempts` counts this claim. */
  claimDue(due: number, limit: number, until: number): ReceivedProofRow[] {
    if (limit <= 0) return []
    return this.#claim.immediate(due, limit, until)
  }

  /** A proof checked against the receipt's checkpoint: a fact, kept whichever process fetched it. */
  save(messageId: string, proof: readonly Buffer[]): void {
    this.#s.save.run(Buffer.concat(proof), messageId)
  }

  /** A failed fetch, under the claim it ran under (this store's owner, the attempt count claimed);
   *  false when that claim is no longer held (it ran out, and another process may hold the row). */
  retry(claim: { readonly messageId: string; readonly attempts: number }, nextAttemptAt: number, error: string): boolean {
    return this.#s.retry.run({ messageId: claim.messageId, attempts: claim.attempts, owner: this.#owner, nextAttemptAt, error: error.slice(0, 500) }).changes === 1
  }

  /** Inside a Db.write fn, at start: this owner's claims left by its earlier life are due now. Returns how many. */
  releaseClaims(now: number): number {
    return this.#s.release.run({ owner: this.#owner, now }).changes
  }

  nextDue(): number | undefined {
    return this.#s.nextDue.get() ?? undefined
  }
}
