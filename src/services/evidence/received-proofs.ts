// The recipient's inclusion proof of each delivered envelope (PROTOCOL.md §20.7): sent with the receipt
// (Saraban-Log-Proof, §20.5) and kept in the delivery's write once it checks; otherwise asked from the
// recipient's node over the federation listener once the receipt is stored, for the receipt's index
// and its checkpoint's size, checked against that checkpoint's root with the entry rebuilt from the
// receipt's claims, and kept, so that the evidence bundle is complete offline later. A proof that
// cannot be had is asked again with backoff; the bundle says why while it is missing. With several
// processes of one node (issue 19 item 2, migration 045) each fetch is claimed before the peer is asked
// (a visibility timeout, as webhooks'), so two processes do not ask for the same proof.
import type { Clock } from '../../clock.js'
import { isSarabanError } from '../../errors.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { ReceivedProofRow, ReceivedProofStore } from '../../storage/received-proofs.js'
import type { ReceiptClaims } from '../../crypto/types.js'
import { leafHash, verifyInclusion } from '../../tlog/index.js'
import { verifyCheckpoint } from '../log/checkpoints.js'
import type { CheckpointBody } from '../../tlog/checkpoint.js'
import { checkLogProofHeader } from '../../federation/log-proof-header.js'
import { storedReceiptClaims } from '../log/receipt-claims.js'
import type { OutboxStore } from '../../storage/outbox.js'
import { receivedEntry } from '../log/received-entry.js'
import type { PeerLog } from '../log/audit.js'
import { nextWake } from '../next-wake.js'

export interface ReceivedProofDeps {
  readonly db: Db
  readonly store: ReceivedProofStore
  readonly peer: Pick<PeerLog, 'inclusion' | 'inclusions'>
  readonly clock: Clock
  readonly logger: Logger
  /** How long a claimed fetch is hidden from other processes: past the longest a run's requests can
   *  take (a batch, then one by one). Default CLAIM_MS. */
  readonly claimMs?: number
}

/** Twice the peer client's default request timeout (60 s: a batch, then one by one) and 30 s more. */
export const CLAIM_MS = 2 * 60_000 + 30_000

const BATCH = 64
/** A proof is asked this long after its receipt is stored, so that the proofs of the receipts that
 *  arrive meanwhile are asked together and stored in one write (issue 14 §6: at 1 500 letters the
 *  sender made about one extra commit per 10 letters when each delivery kicked a fetch of its own). */
export const GATHER_MS = 500
const FIRST_RETRY_MS = 30_000
const MAX_RETRY_MS = 6 * 3600_000

/** The retry delay after `attempts` failed attempts: doubling from 30 s, at most 6 h. */
export function retryDelay(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempts, 20))
}

/** Before the delivery's write: the proof that came with the receipt (the Saraban-Log-Proof header,
 *  PROTOCOL.md §20.5), once it leads from the rebuilt entry to the root of the receipt's checkpoint; it
 *  is then kept in the outbox row with the receipt (migration 039) and nothing is asked later. A header
 *  that does not check never costs the delivery (the receipt does not depend on it): `refused` says why,
 *  and the proof is queued as without one. */
export function checkSentProof(claims: ReceiptClaims, logProof: string | undefined): SentProof {
  if (claims.log === undefined || logProof === undefined) return {}
  let checkpoint: CheckpointBody
  try {
    checkpoint = verifyCheckpoint(claims.log.checkpoint).body
  } catch {
    return {} // the witness reports a bad checkpoint; the bundle shows the gap
  }
  const r = checkLogProofHeader(logProof, { index: claims.log.index, size: checkpoint.size, root: checkpoint.root, leafHash: leafHash(receivedEntry(claims)) })
  return 'proof' in r ? { proof: r.proof } : { refused: r.error }
}

/** `proof`: the checked proof sent with the receipt; `refused`: why the one sent was not kept. */
export interface SentProof { readonly proof?: Buffer[]; readonly refused?: string }

/** In the delivery's write, for a receipt whose proof did not come with it: queues the fetch (true), or
 *  nothing when the receipt carries no log (false). Kick the fetcher after the commit. */
export function queueReceivedProof(store: ReceivedProofStore, messageId: string, claims: ReceiptClaims, now: number): boolean {
  if (claims.log === undefined) return false
  let size: number
  try {
    size = verifyCheckpoint(claims.log.checkpoint).body.size
  } catch {
    return false // the witness reports a bad checkpoint; the bundle shows the gap
  }
  store.enqueue({ messageId, agency: claims.to, index: claims.log.index, size, entry: receivedEntry(claims), checkpoint: claims.log.checkpoint }, now + GATHER_MS)
  return true
}

/** The recipient's proof of a delivered message for evidence (§20.7): the one kept with the receipt
 *  (migration 039), its row's facts read from the receipt itself; else the queued row, fetched or not. */
export function receivedProofOf(store: Pick<ReceivedProofStore, 'get'>, outbox: Pick<OutboxStore, 'deliveredProof'>): (messageId: string) => ReceivedProofRow | undefined {
  return (messageId) => {
    const kept = outbox.deliveredProof(messageId)
    if (kept === undefined) return store.get(messageId)
    const claims = storedReceiptClaims(kept.receipt, messageId)
    const log = claims.log!
    return {
      messageId, agency: kept.recipientAgency, index: log.index, size: verifyCheckpoint(log.checkpoint).body.size,
      entry: receivedEntry(claims), checkpoint: log.checkpoint, proof: kept.proof, attempts: 0, lastError: null,
    }
  }
}

type Outcome = { proof: Buffer[]; error?: undefined } | { proof?: undefined; error: string }

export class ReceivedProofFetcher {
  readonly #d: ReceivedProofDeps
  #timer: NodeJS.Timeout | undefined
  /** Peer agencies whose node answered 404 to proof/inclusions (a node before it): asked one by one. */
  readonly #oneByOne = new Set<string>()
  #running: Promise<void> | undefined
  #closed = false

  constructor(d: ReceivedProofDeps) {
    this.#d = d
  }

  /** Fetches what is due now (after a delivery, and from the timer); one run at a time. */
  kick(): Promise<void> {
    return this.#kick(0)
  }

  /** `horizon`: also what falls due within that many ms (the timer gathers the proofs queued meanwhile). */
  #kick(horizon: number): Promise<void> {
    if (this.#closed) return Promise.resolve()
    // Never rejects: a failure here (e.g. the node closing mid-run) waits for the next kick or timer.
    this.#running ??= this.#run(horizon)
      .catch((err: unknown) => { if (!this.#closed) this.#d.logger.warn({ err, event: 'log.received-proof.error' }, 'fetching the recipients\' inclusion proofs failed; will try again') })
      .finally(() => { this.#running = undefined; this.#schedule() })
    return this.#running
  }

  /** Before an evidence bundle is built (PROTOCOL.md §20.7): the proofs queued within the gathering
   *  window (GATHER_MS) are asked now rather than when it ends; a run in progress is waited for first.
   *  A proof that cannot be had stays a gap with its reason, as from the timer. Never rejects. */
  async settle(): Promise<void> {
    await this.#running
    await this.#kick(GATHER_MS)
  }

  start(): void {
    // What this process claimed in its earlier life (its fetches ended with it) is due at once.
    void this.#d.db.write(() => this.#d.store.releaseClaims(this.#d.clock.now()))
      .catch((err: unknown) => this.#d.logger.warn({ err, event: 'log.received-proof.release-failed' }, 'could not release this process\'s earlier claims; they wait for their end'))
      .finally(() => this.#schedule())
  }

  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
  }

  #schedule(): void {
    if (this.#closed) return
    if (this.#timer) clearTimeout(this.#timer)
    // Unreadable (the database out of reach): look again soon; the run says why it failed.
    const next = nextWake(() => this.#d.store.nextDue(), this.#d.clock.now() + 10_000)
    if (next === undefined) return
    this.#timer = setTimeout(() => void this.#kick(GATHER_MS), Math.max(0, next - this.#d.clock.now()) + 10)
    this.#timer.unref()
  }

  // A batch of due proofs is asked at once and its outcomes stored in one write: a commit per letter
  // (each waiting for its fsync) cost the sender ~5% of its letters/s in `npm run bench` (issue 14 §6).
  async #run(horizon: number): Promise<void> {
    while (!this.#closed) {
      const now = this.#d.clock.now()
      const due = this.#d.store.claimDue(now + horizon, BATCH, now + (this.#d.claimMs ?? CLAIM_MS))
      if (due.length === 0) return
      const byAgency = new Map<string, ReceivedProofRow[]>()
      for (const r of due) {
        const rows = byAgency.get(r.agency)
        if (rows) rows.push(r)
        else byAgency.set(r.agency, [r])
      }
      const outcomes = (await Promise.all([...byAgency].map(([agency, rows]) => this.#fetchAll(agency, rows)))).flat()
      if (this.#closed) return
      const next = this.#d.clock.now()
      await this.#d.db.write(() => {
        for (const o of outcomes) {
          if (o.proof) this.#d.store.save(o.r.messageId, o.proof)
          // attempts counts this claim; a claim that ran out meanwhile records nothing (another process may hold it)
          else this.#d.store.retry(o.r, next + retryDelay(o.r.attempts - 1), o.error)
        }
      })
      for (const o of outcomes) {
        if (o.proof) continue
        this.#d.logger.warn({ event: 'log.received-proof.retry', messageId: o.r.messageId, agency: o.r.agency, detail: o.error }, 'the recipient\'s inclusion proof could not be had; asking again later')
      }
    }
  }

  /** The proofs of one recipient agency's log, asked in one request (`proof/inclusions`, PROTOCOL.md §20.5:
   *  a request per letter cost the sender about half of the log's CPU in `npm run bench`, issue 14 §6),
   *  or one by one from a node that does not serve it (404) or that refused the batch (so that one
   *  proof it cannot give does not hold back the others). An unreachable node fails them all. */
  async #fetchAll(agency: string, rows: ReceivedProofRow[]): Promise<Array<{ r: ReceivedProofRow } & Outcome>> {
    const peer = this.#d.peer
    if (peer.inclusions && !this.#oneByOne.has(agency) && rows.length > 1) {
      try {
        const proofs = await peer.inclusions(agency, rows.map((r) => ({ index: r.index, size: r.size })))
        return rows.map((r, i) => ({ r, ...this.#check(r, proofs[i]!) }))
      } catch (e) {
        if (isSarabanError(e) && e.code === 'ERR_PEER_UNREACHABLE') return rows.map((r) => ({ r, error: e.detail ?? e.message }))
        if (isSarabanError(e) && e.code === 'ERR_NOT_FOUND') this.#oneByOne.add(agency)
      }
    }
    return Promise.all(rows.map(async (r) => ({ r, ...(await this.#fetch(r)) })))
  }

  /** One proof, asked and checked against the receipt's checkpoint. */
  async #fetch(r: ReceivedProofRow): Promise<Outcome> {
    try {
      return this.#check(r, await this.#d.peer.inclusion(r.agency, r.index, r.size))
    } catch (e) {
      return { error: (e as Error).message }
    }
  }

  #check(r: ReceivedProofRow, proof: Buffer[]): Outcome {
    const root = verifyCheckpoint(r.checkpoint).body.root
    if (verifyInclusion(leafHash(r.entry), r.index, r.size, proof, root)) return { proof }
    return { error: `the node of ${r.agency} answered a proof that does not lead to the root of the checkpoint in the receipt` }
  }
}
