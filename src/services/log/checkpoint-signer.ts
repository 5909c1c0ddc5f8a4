// When checkpoints are signed (PROTOCOL.md §20.4): every transparencyLog.checkpointSeconds while the log grew,
// and for every receipt, a checkpoint whose tree includes the receipt's `message.received` entry.
// Letters' and notices' receipts are signed in the transaction that stores them, with one checkpoint
// of the head it commits (signUncommitted, released by adopt() only after COMMIT: a rolled-back
// transaction leaves no signed tree outside the process). Other receipts are signed after their entry
// is committed; the receipts waiting at one moment share one checkpoint (coalescing: with c receives
// in flight, about 1/c checkpoint signatures per letter).
import { isoTime, type Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { SignerIdentity } from '../../crypto/types.js'
import { SarabanError } from '../../errors.js'
import { signCheckpoint } from './checkpoints.js'
import type { LocalLog } from './local-log.js'
import type { LeaderGate } from '../leadership/index.js'

export interface CheckpointSignerDeps {
  readonly log: LocalLog
  readonly signer: (agency: string) => SignerIdentity | undefined
  readonly clock: Clock
  readonly logger: Logger
  /** Issue 17 item 4 (PROTOCOL.md §15.2): the agency's signing certificate in use is revoked, so no
   *  checkpoint is signed with it until a new one is in use (its expiry watch's finding). */
  readonly revoked?: (agency: string) => boolean
}

interface Waiter { index: number; resolve: (jws: string) => void; reject: (e: unknown) => void }
interface AgencyState { latest?: { size: number; jws: string }; waiters: Waiter[]; scheduled: boolean }

export class CheckpointSigner {
  readonly #deps: CheckpointSignerDeps
  readonly #state = new Map<string, AgencyState>()
  /** The time of the last checkpoint signed here, per log (ms). */
  readonly #lastAt = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  readonly #identities = new Map<string, SignerIdentity>()
  /** Checkpoints signed since start (for the bench and tests). */
  signatures = 0

  constructor(deps: CheckpointSignerDeps) {
    this.#deps = deps
  }

  #of(agency: string): AgencyState {
    let s = this.#state.get(agency)
    if (!s) {
      const held = this.#deps.log.latestCheckpoint(agency)
      s = { ...(held ? { latest: held } : {}), waiters: [], scheduled: false }
      this.#state.set(agency, s)
    }
    return s
  }

  /** The checkpoint an envelope carries (PROTOCOL.md §5.4, §20.5): the latest signed, or one signed
   *  now if none is yet (at most once per log; then the periodic signer keeps it recent). Undefined
   *  while the log is empty. */
  latest(agency: string): string | undefined {
    const s = this.#of(agency)
    return s.latest?.jws ?? this.#sign(agency, s)?.jws
  }

  /** A checkpoint whose tree includes the committed entry `index` (PROTOCOL.md §20.5). */
  covering(agency: string, index: number): Promise<string> {
    const s = this.#of(agency)
    if (s.latest && s.latest.size > index) return Promise.resolve(s.latest.jws)
    return new Promise<string>((resolve, reject) => {
      s.waiters.push({ index, resolve, reject })
      if (!s.scheduled) {
        s.scheduled = true
        // Let every receive whose transaction committed in this turn join the same signature.
        setImmediate(() => this.#run(agency, s))
      }
    })
  }

  #run(agency: string, s: AgencyState): void {
    s.scheduled = false
    const waiters = s.waiters
    s.waiters = []
    try {
      const latest = this.#sign(agency, s)
      for (const w of waiters) {
        if (latest && latest.size > w.index) w.resolve(latest.jws)
        else w.reject(new Error(`log of ${agency}: entry ${w.index} is not committed (head ${latest?.size ?? 0})`))
      }
    } catch (e) {
      for (const w of waiters) w.reject(e)
    }
  }

  #signer(agency: string): SignerIdentity {
    if (this.#deps.revoked?.(agency)) throw new SarabanError('ERR_SIGNING_CERT_REVOKED', `log of ${agency}: its signing certificate in use is revoked; no checkpoint is signed until a new one is in use`)
    const signer = this.#deps.signer(agency)
    if (!signer) throw new Error(`log of ${agency}: the agency is not hosted here`)
    // The same key and chain as last time: the same identity, whose encoded JWS header is cached
    // (crypto/jose/jws.ts); the hosted agency hands out a new object at each use (§16.4).
    const held = this.#identities.get(agency)
    if (held && held.key === signer.key && held.chain.length === signer.chain.length && held.chain.every((c, i) => c === signer.chain[i])) return held
    this.#identities.set(agency, signer)
    return signer
  }

  /** Signs the committed head if it grew since the last checkpoint; returns the latest. */
  #sign(agency: string, s: AgencyState): { size: number; jws: string } | undefined {
    const head = this.#deps.log.head(agency)
    if (head.size === 0 || (s.latest && s.latest.size >= head.size)) return s.latest
    const signer = this.#signer(agency)
    const jws = signCheckpoint({ size: head.size, root: head.root, time: this.#time(agency) }, signer)
    this.signatures++
    s.latest = { size: head.size, jws }
    this.#deps.log.saveCheckpoint(agency, head.size, jws).catch((err: unknown) => {
      // The checkpoint was handed out (in a receipt); keeping our copy is for audit convenience only.
      this.#deps.logger.warn({ err, agency }, 'a signed checkpoint could not be kept')
    })
    return s.latest
  }

  /** The `time` of a checkpoint signed now (PROTOCOL.md §20.4): this process's clock, but never
   *  earlier than the newest checkpoint of the log kept in the database or signed here before, so
   *  that a larger tree never carries an earlier time, which a witness reports as a log going
   *  backwards (§20.6), whether the clock was stepped back or another process of the node, whose
   *  clock is behind, signed last (issue 19 item 2). Inside a write() the kept one is read under
   *  the write lock, so the processes' checkpoints are ordered by it. */
  #time(agency: string): string {
    const kept = this.#deps.log.latestTime ? this.#deps.log.latestTime(agency) : this.#deps.log.latestCheckpoint(agency)?.time
    const floor = Math.max(this.#lastAt.get(agency) ?? 0, kept === undefined ? 0 : Date.parse(kept) || 0)
    const at = Math.max(this.#deps.clock.now(), floor)
    this.#lastAt.set(agency, at)
    return isoTime(at)
  }

  /** Inside the write() whose transaction appended the entries (a db.beforeCommit hook, PROTOCOL.md
   *  §20.4): signs the head that transaction is about to commit and keeps it in the same transaction.
   *  Not handed to anyone before adopt(): if COMMIT fails, the signature never leaves the process. */
  signUncommitted(agency: string): { size: number; jws: string } {
    const head = this.#deps.log.head(agency)
    if (head.size === 0) throw new Error(`log of ${agency}: nothing to sign`)
    const signer = this.#signer(agency)
    const time = this.#time(agency)
    const jws = signCheckpoint({ size: head.size, root: head.root, time }, signer)
    this.signatures++
    this.#deps.log.keepCheckpoint(agency, head.size, jws, { root: head.root, time })
    return { size: head.size, jws }
  }

  /** A checkpoint of signUncommitted() whose transaction committed: the latest one, if it is larger. */
  adopt(agency: string, c: { size: number; jws: string }): void {
    const s = this.#of(agency)
    if (!s.latest || s.latest.size < c.size) s.latest = c
  }

  /** The latest checkpoint of `agency`'s log, signed now if it grew since the last one (a peer's audit). */
  current(agency: string): string | undefined {
    return this.#sign(agency, this.#of(agency))?.jws
  }

  /** Signs a checkpoint of every log that grew since its last one (the periodic signer). */
  signGrown(): number {
    let n = 0
    for (const agency of this.#deps.log.agencies()) {
      if (this.#deps.revoked?.(agency)) continue // already logged at fatal by the expiry watch
      const s = this.#of(agency)
      const before = s.latest?.size
      try {
        if (this.#sign(agency, s)?.size !== before) n++
      } catch (err) {
        this.#deps.logger.error({ err, agency }, 'the periodic checkpoint could not be signed')
      }
    }
    return n
  }

  /** The checkpoints another process of this node signed and kept (log_checkpoints), where they are
   *  larger than the latest this process knows: what latest() hands out in envelopes stays as recent
   *  as the leader's periodic signing keeps it (issue 19 item 2). Returns how many logs moved on. */
  adoptKept(): number {
    let n = 0
    for (const agency of this.#deps.log.agencies()) {
      const kept = this.#deps.log.latestCheckpoint(agency)
      const s = this.#of(agency)
      if (kept && (!s.latest || s.latest.size < kept.size)) {
        s.latest = kept
        n++
      }
    }
    return n
  }

  /** Every `seconds` (config transparencyLog.checkpointSeconds; 0 = only with receipts). With a
   *  `leader` gate (issue 19 item 2, PROTOCOL.md implementation note "One process only"), only the
   *  process that leads signs; the others take up the checkpoints it kept. Receipts' checkpoints are
   *  signed by whichever process stores the receipt, as before. */
  start(seconds: number, leader?: LeaderGate): void {
    if (seconds <= 0 || this.#timer) return
    // A beat that fails (the database out of reach) is logged and ends, not the process: the next beat tries again.
    const beat = async () => (leader === undefined || (await leader.leads()) ? this.signGrown() : this.adoptKept())
    const tick = () => void beat().catch((err: unknown) => this.#deps.logger.error({ err }, 'the periodic checkpoint signer failed'))
    this.#timer = setInterval(tick, seconds * 1000)
    this.#timer.unref()
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}
