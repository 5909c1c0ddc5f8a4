// The checkpoints held from peers' logs and the misbehaviour proofs (migration 019, PROTOCOL.md
// §20.6). Writers are synchronous and meant to run inside db.write().
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export interface HeldCheckpoint {
  agency: string
  size: number
  /** base64 */
  root: string
  time: string
  jws: string
  source: 'receipt' | 'envelope' | 'audit'
  messageId: string | null
  heldAt: number
}

export type MisbehaviourKind = 'fork' | 'backwards' | 'inconsistent'

export interface Misbehaviour {
  id: number
  agency: string
  kind: MisbehaviourKind
  firstJws: string
  secondJws: string
  detail: string
  detectedAt: number
}

/** `held`: stored (or already held); `fork`: a checkpoint of the same size and another root is held. */
export type HoldResult = { kind: 'held'; added: boolean } | { kind: 'fork'; other: HeldCheckpoint }

const COLS = 'agency, size, root, time, jws, source, message_id AS messageId, held_at AS heldAt'
const MCOLS = 'id, agency, kind, first_jws AS firstJws, second_jws AS secondJws, detail, detected_at AS detectedAt'

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class PeerCheckpointStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insert: p(`INSERT INTO peer_checkpoints (agency, size, root, time, jws, source, message_id, held_at)
        VALUES (@agency, @size, @root, @time, @jws, @source, @messageId, @heldAt) ON CONFLICT DO NOTHING`),
      sameSize: p<HeldCheckpoint>(`SELECT ${COLS} FROM peer_checkpoints WHERE agency = ? AND size = ? AND root <> ? LIMIT 1`),
      held: p<HeldCheckpoint>(`SELECT ${COLS} FROM peer_checkpoints WHERE agency = ? ORDER BY size, held_at`),
      newest: p<HeldCheckpoint>(`SELECT ${COLS} FROM peer_checkpoints WHERE agency = ? ORDER BY size DESC, held_at DESC LIMIT 1`),
      agencies: p<string>('SELECT DISTINCT agency FROM peer_checkpoints ORDER BY agency').pluck(),
      drop: p('DELETE FROM peer_checkpoints WHERE agency = ? AND size = ? AND root = ?'),
      misbehave: p(`INSERT INTO log_misbehaviour (agency, kind, first_jws, second_jws, detail, detected_at)
        VALUES (@agency, @kind, @firstJws, @secondJws, @detail, @detectedAt) ON CONFLICT DO NOTHING`),
      misbehaviour: p<Misbehaviour>(`SELECT ${MCOLS} FROM log_misbehaviour ORDER BY id DESC LIMIT ?`),
      misbehaviourOf: p<Misbehaviour>(`SELECT ${MCOLS} FROM log_misbehaviour WHERE agency = ? ORDER BY id DESC LIMIT ?`),
      count: p<number>('SELECT count(*) FROM log_misbehaviour').pluck(),
    }
  }

  /** Keeps a verified checkpoint of a peer's log; a same-size checkpoint with another root is a fork. */
  hold(c: HeldCheckpoint): HoldResult {
    const other = this.#s.sameSize.get(c.agency, c.size, c.root)
    if (other) return { kind: 'fork', other }
    return { kind: 'held', added: this.#s.insert.run(c).changes === 1 }
  }

  /** The checkpoints held of `agency`'s log, smallest first. */
  held(agency: string): HeldCheckpoint[] {
    return this.#s.held.all(agency)
  }

  newest(agency: string): HeldCheckpoint | undefined {
    return this.#s.newest.get(agency)
  }

  /** The peer agencies whose checkpoints are held. */
  agencies(): string[] {
    return this.#s.agencies.all()
  }

  /** Forgets a checkpoint an audit proved consistent with a newer one held. */
  drop(c: Pick<HeldCheckpoint, 'agency' | 'size' | 'root'>): void {
    this.#s.drop.run(c.agency, c.size, c.root)
  }

  /** Keeps two conflicting checkpoints as the proof; false if that pair was already kept. */
  recordMisbehaviour(m: Omit<Misbehaviour, 'id'>): boolean {
    return this.#s.misbehave.run(m).changes === 1
  }

  misbehaviour(opts: { agency?: string; limit?: number } = {}): Misbehaviour[] {
    const limit = opts.limit ?? 100
    return opts.agency === undefined ? this.#s.misbehaviour.all(limit) : this.#s.misbehaviourOf.all(opts.agency, limit)
  }

  misbehaviourCount(): number {
    return this.#s.count.get() ?? 0
  }
}
