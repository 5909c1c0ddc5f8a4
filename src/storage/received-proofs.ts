// The recipients' inclusion proofs of our delivered envelopes (PROTOCOL.md §20.7, migration 019):
// queued in the write that marks the message delivered (enqueue() is synchronous: call it inside
// Db.write), fetched and checked later by services/evidence/received-proofs.ts, read by evidence.
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

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

  constructor(db: Db) {
    this.#db = db
    const p = <R>(sql: string): Database.Statement<unknown[], R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      keepCheckpoint: p('INSERT INTO log_received_checkpoints (sha256, jws) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING'),
      checkpointId: p<number>('SELECT id FROM log_received_checkpoints WHERE sha256 = ?').pluck(),
      insert: p(`INSERT INTO log_received_proofs (message_id, agency, idx, size, entry, checkpoint, checkpoint_id, next_attempt_at)
        VALUES (@messageId, @agency, @index, @size, @entry, '', @checkpointId, @now) ON CONFLICT DO NOTHING`),
      get: p<Raw>(`SELECT ${COLS} FROM log_received_proofs WHERE message_id = ?`),
      due: p<Raw>(`SELECT ${COLS} FROM log_received_proofs INDEXED BY log_received_proofs_due
        WHERE proof IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`),
      save: p('UPDATE log_received_proofs SET proof = ?, attempts = attempts + 1, last_error = NULL WHERE message_id = ?'),
      retry: p('UPDATE log_received_proofs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE message_id = ? AND proof IS NULL'),
      nextDue: p<number | null>('SELECT min(next_attempt_at) FROM log_received_proofs WHERE proof IS NULL').pluck(),
    }
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

  save(messageId: string, proof: readonly Buffer[]): void {
    this.#s.save.run(Buffer.concat(proof), messageId)
  }

  retry(messageId: string, nextAttemptAt: number, error: string): void {
    this.#s.retry.run(nextAttemptAt, error.slice(0, 500), messageId)
  }

  nextDue(): number | undefined {
    return this.#s.nextDue.get() ?? undefined
  }
}
