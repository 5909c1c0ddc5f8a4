// Peers as witnesses (PROTOCOL.md §20.6): every checkpoint a peer sends (in a receipt, an envelope,
// or answering an audit) is verified and kept. Two checkpoints signed by the same peer that cannot
// both be true are kept as the proof of its misbehaviour, raise event `log.inconsistent` for every
// agency hosted here (durable events table → SSE and webhooks) and turn /healthz degraded.
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { EventSink } from '../../domain/events.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Directory } from '../../pki/directory.js'
import type { HeldCheckpoint, MisbehaviourKind, PeerCheckpointStore } from '../../storage/peer-checkpoints.js'
import { checkCheckpointSigner, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoints.js'

export interface WitnessDeps {
  readonly db: Db
  readonly store: PeerCheckpointStore
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly clock: Clock
  readonly logger: Logger
  /** The agencies hosted here: each is told (event log.inconsistent). */
  readonly agencies: () => string[]
  readonly events?: EventSink
}

export type WitnessResult = { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; kind: MisbehaviourKind; detail: string; checkpoint: VerifiedCheckpoint }

/** Checkpoints kept lately: a sender's checkpoint changes only when it signs one, so most envelopes
 *  carry one already held and cost no verification and no write. */
const RECENT_MAX = 1024
/** PROTOCOL.md §20.6: at most about one growing checkpoint per peer log per minute is kept between audits. */
const HOLD_EVERY_MS = 60_000

/** Larger than all held (so neither a fork nor backwards) and soon after the newest: not kept, so
 *  that a busy peer's receipts leave about one checkpoint a minute to audit, not one per batch. */
function notKept(row: HeldCheckpoint, newest: HeldCheckpoint | undefined): boolean {
  return row.source !== 'audit' && newest !== undefined && row.size > newest.size && row.heldAt - newest.heldAt < HOLD_EVERY_MS
}

export class Witness {
  readonly #d: WitnessDeps
  readonly #recent = new Map<string, VerifiedCheckpoint>()
  /** The rows of observe writes not yet committed, per peer log. */
  readonly #writing = new Map<string, HeldCheckpoint[]>()

  constructor(deps: WitnessDeps) {
    this.#d = deps
  }

  /** Verifies a checkpoint of `agency`'s log (throws ERR_CHECKPOINT_INVALID) and keeps it. A
   *  same-size checkpoint with another root, or a smaller one signed later than a larger one held,
   *  is misbehaviour: recorded, and answered { ok: false } (the message that carried it is not refused). */
  async observe(jws: string, agency: string, source: HeldCheckpoint['source'], messageId?: string, field?: string): Promise<WitnessResult> {
    const known = this.#recent.get(jws)
    if (known && known.agency === agency) return { ok: true, checkpoint: known }
    const c = verifyCheckpoint(jws, field)
    await checkCheckpointSigner(c, agency, { anchors: this.#d.anchors, directory: this.#d.directory() }, field)
    const row: HeldCheckpoint = {
      agency, size: c.body.size, root: c.body.root.toString('base64'), time: c.body.time, jws: c.jws, source, messageId: messageId ?? null, heldAt: this.#d.clock.now(),
    }
    // Not kept, and larger than every checkpoint held or being written for this log (so it can
    // contradict none): no write transaction at all (a commit per delivered receipt cost the sender
    // ~10% of its letters/s, issue 14 §6). The rows being written count as held: else, while one was
    // being kept, every receipt arriving meanwhile wrote too (about 100 commits per 1 500 letters).
    const pending = this.#writing.get(agency) ?? []
    const held = this.#d.store.newest(agency)
    const latest = [held, ...pending].reduce<HeldCheckpoint | undefined>((a, b) => (b !== undefined && (a === undefined || b.heldAt > a.heldAt) ? b : a), undefined)
    const skip = pending.every((p) => row.size > p.size) && (held === undefined || row.size > held.size) && notKept(row, latest)
    if (!skip) this.#writing.set(agency, [...pending, row])
    const found = skip ? undefined : await this.#d.db.write(() => {
      const newest = this.#d.store.newest(agency)
      if (notKept(row, newest)) return undefined
      const held = this.#d.store.hold(row)
      if (held.kind === 'fork') return { kind: 'fork' as const, first: held.other.jws, detail: `two checkpoints of size ${row.size} with different roots` }
      // A log only grows: a smaller tree signed later than a larger one means it was truncated or restored.
      if (newest && newest.size > row.size && Date.parse(row.time) > Date.parse(newest.time)) {
        return { kind: 'backwards' as const, first: newest.jws, detail: `size ${row.size} signed at ${row.time}, after size ${newest.size} signed at ${newest.time}` }
      }
      return undefined
    }).finally(() => {
      const rest = (this.#writing.get(agency) ?? []).filter((r) => r !== row)
      if (rest.length === 0) this.#writing.delete(agency)
      else this.#writing.set(agency, rest)
    })
    if (!found) {
      if (this.#recent.size >= RECENT_MAX) this.#recent.delete(this.#recent.keys().next().value!)
      this.#recent.set(c.jws, c)
      return { ok: true, checkpoint: c }
    }
    await this.raise(agency, found.kind, found.first, c.jws, found.detail)
    return { ok: false, kind: found.kind, detail: found.detail, checkpoint: c }
  }

  /** Keeps the two checkpoints as the proof, and tells every hosted agency once per pair. */
  async raise(agency: string, kind: MisbehaviourKind, firstJws: string, secondJws: string, detail: string): Promise<void> {
    const now = this.#d.clock.now()
    const added = await this.#d.db.write(() => {
      const added = this.#d.store.recordMisbehaviour({ agency, kind, firstJws, secondJws, detail, detectedAt: now })
      if (added) {
        for (const a of this.#d.agencies()) this.#d.events?.emit({ agency: a, type: 'log.inconsistent', data: { peer: agency, kind, detail } })
      }
      return added
    })
    if (added) this.#d.logger.error({ event: 'log.inconsistent', peer: agency, kind, detail }, `the log of ${agency} contradicts a checkpoint it signed`)
  }
}
