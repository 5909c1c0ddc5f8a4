// The audit of peers' logs (PROTOCOL.md §20.6): for every peer log whose checkpoints this node holds,
// fetch the peer's current checkpoint and ask for a consistency proof from every older checkpoint
// held to the newest. A log that went backwards (smaller than a checkpoint the peer signed before: a
// truncation or a restored backup), a fork, or a proof that fails is misbehaviour: the two
// checkpoints are kept, event log.inconsistent is raised, /healthz turns degraded. Checkpoints
// proved consistent are forgotten, except the oldest and the newest of each peer log.
import { isSarabanError } from '../../errors.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { HeldCheckpoint, PeerCheckpointStore } from '../../storage/peer-checkpoints.js'
import { verifyConsistency } from '../../tlog/verify.js'
import type { Witness } from './witness.js'
import type { LeaderGate } from '../leadership/index.js'

/** A peer's log, over the federation listener (services/log/peer-log-client.ts). */
export interface PeerLog {
  checkpoint(agency: string): Promise<string>
  /** The proof hashes; throws a SarabanError with the peer's code (ERR_LOG_RANGE …) when it refuses. */
  consistency(agency: string, from: number, to: number): Promise<Buffer[]>
  /** The inclusion proof of entry `index` in the tree of `size` (PROTOCOL.md §20.5, §20.7). */
  inclusion(agency: string, index: number, size: number): Promise<Buffer[]>
  /** Several at once, in the order asked (`proof/inclusions`, §20.5); a peer without it answers 404
   *  (ERR_NOT_FOUND): ask them one by one. */
  inclusions?(agency: string, pairs: readonly { index: number; size: number }[]): Promise<Buffer[][]>
}

export interface AuditDeps {
  readonly db: Db
  readonly store: PeerCheckpointStore
  readonly witness: Witness
  readonly peer: PeerLog
  readonly logger: Logger
}

export type PeerAudit =
  | { agency: string; outcome: 'consistent'; size: number; checked: number }
  | { agency: string; outcome: 'inconsistent'; kind: string; detail: string }
  | { agency: string; outcome: 'unreachable'; code: string; detail: string }

const failure = (e: unknown): { code: string; detail: string } =>
  isSarabanError(e) ? { code: e.code, detail: e.detail ?? e.message } : { code: 'ERR_PEER_UNREACHABLE', detail: (e as Error).message }

export async function auditPeer(d: AuditDeps, agency: string): Promise<PeerAudit> {
  let current: string
  try {
    current = await d.peer.checkpoint(agency)
  } catch (e) {
    return { agency, outcome: 'unreachable', ...failure(e) }
  }
  let seen
  try {
    seen = await d.witness.observe(current, agency, 'audit')
  } catch (e) {
    return { agency, outcome: 'unreachable', ...failure(e) }
  }
  if (!seen.ok) return { agency, outcome: 'inconsistent', kind: seen.kind, detail: seen.detail }
  const held = d.store.held(agency)
  const size = seen.checkpoint.body.size
  // Larger than what the peer serves now: the log went backwards, whatever the times say.
  const larger = held.filter((h) => h.size > size)
  if (larger.length > 0) {
    const first = larger[larger.length - 1]!
    const detail = `the peer serves size ${size}, smaller than size ${first.size} it signed at ${first.time}`
    await d.witness.raise(agency, 'backwards', first.jws, current, detail)
    return { agency, outcome: 'inconsistent', kind: 'backwards', detail }
  }
  const newest = held.find((h) => h.size === size && h.root === seen.checkpoint.body.root.toString('base64'))!
  const older = held.filter((h) => h.size < size)
  for (const h of older) {
    let proof: Buffer[]
    try {
      proof = await d.peer.consistency(agency, h.size, size)
    } catch (e) {
      const f = failure(e)
      // Only a refusal of a range the peer's own checkpoint covers is its word against itself.
      if (f.code !== 'ERR_LOG_RANGE') return { agency, outcome: 'unreachable', ...f }
      const detail = `the peer refused a consistency proof from size ${h.size} to ${size} (${f.code}: ${f.detail})`.slice(0, 600)
      await d.witness.raise(agency, 'inconsistent', h.jws, newest.jws, detail)
      return { agency, outcome: 'inconsistent', kind: 'inconsistent', detail }
    }
    if (!verifyConsistency(h.size, size, Buffer.from(h.root, 'base64'), seen.checkpoint.body.root, proof)) {
      const detail = `no consistency between size ${h.size} (signed ${h.time}) and size ${size} (signed ${seen.checkpoint.body.time})`
      await d.witness.raise(agency, 'inconsistent', h.jws, newest.jws, detail)
      return { agency, outcome: 'inconsistent', kind: 'inconsistent', detail }
    }
  }
  await forgetProved(d, older.slice(1))
  return { agency, outcome: 'consistent', size, checked: older.length }
}

async function forgetProved(d: AuditDeps, rows: readonly HeldCheckpoint[]): Promise<void> {
  if (rows.length > 0) await d.db.write(() => { for (const r of rows) d.store.drop(r) })
}

/** Audits every peer log held (`saraban-node log audit`, and the background task). */
export async function auditAll(d: AuditDeps): Promise<PeerAudit[]> {
  const out: PeerAudit[] = []
  for (const agency of d.store.agencies()) {
    const r = await auditPeer(d, agency)
    if (r.outcome === 'unreachable') d.logger.warn({ event: 'log.audit', peer: agency, code: r.code }, `the log of ${agency} could not be audited: ${r.detail}`)
    out.push(r)
  }
  return out
}

/** The background audit (config transparencyLog.auditSeconds; 0 = off). Returns a stop function.
 *  With a `leader` gate (issue 19 item 2, PROTOCOL.md implementation note "One process only"), only
 *  the process that leads audits: the held checkpoints are the node's, one audit covers them all, and
 *  two processes proving and forgetting the same rows at once would only repeat each other's requests. */
export function startAudits(d: AuditDeps, seconds: number, leader?: LeaderGate): () => void {
  if (seconds <= 0) return () => {}
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    ;(leader?.leads() ?? Promise.resolve(true))
      .then((leads) => (leads ? auditAll(d) : undefined))
      .catch((err: unknown) => d.logger.error({ err }, 'the log audit failed')).finally(() => { running = false })
  }, seconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
