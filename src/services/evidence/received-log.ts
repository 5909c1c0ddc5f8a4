// The recipient's inclusion proof of one message's `message.received` entry (PROTOCOL.md §20.7), for
// the evidence of notices (§18.6) and of classified letters (§19.10) as for letters: the entry rebuilt
// from the receipt's claims, under the checkpoint the receipt carries. When the recipient is an agency
// of this node, the proof comes from our own log; else it is the one fetched from the recipient after
// delivery (received-proofs.ts). Without one, the reason (a weaker claim, never a failure).
import type { ReceiptClaims } from '../../crypto/types.js'
import type { ReceivedProofStore } from '../../storage/received-proofs.js'
import { verifyCheckpoint } from '../log/checkpoints.js'
import type { LogProofs } from '../log/proofs.js'
import { receivedEntry } from '../log/received-entry.js'
import type { MessageLog } from './log-parts.js'

export interface ReceivedLogDeps {
  readonly received: Pick<ReceivedProofStore, 'get'>
  readonly proofs: Pick<LogProofs, 'inclusion'>
  /** Whether `agency`'s log is kept by this node. */
  readonly ownLog: (agency: string) => boolean
}

/** The `message.received` proof (or gap) of message `mid` whose verified receipt says `claims`. */
export type ReceivedLog = (mid: string, claims: ReceiptClaims) => MessageLog

export function receivedLogSource(d: ReceivedLogDeps): ReceivedLog {
  return (mid, c) => {
    const gap = (reason: string): MessageLog => ({ proofs: [], gaps: [{ log: c.to, type: 'message.received', reason }] })
    if (c.log === undefined) return gap('the receipt carries no log checkpoint (a recipient node before PROTOCOL.md §20.5)')
    if (d.ownLog(c.to)) {
      try {
        const size = verifyCheckpoint(c.log.checkpoint).body.size
        const proof = d.proofs.inclusion(c.to, c.log.index, size).proof.map((h) => Buffer.from(h, 'base64'))
        return { proofs: [{ log: c.to, type: 'message.received', index: c.log.index, size, entry: receivedEntry(c), proof, checkpoint: c.log.checkpoint }], gaps: [] }
      } catch (e) {
        return gap(`our own log cannot prove entry ${c.log.index} (${(e as Error).message}): run saraban-node log verify`)
      }
    }
    const r = d.received.get(mid)
    if (r?.proof !== undefined) return { proofs: [{ log: r.agency, type: 'message.received', index: r.index, size: r.size, entry: r.entry, proof: r.proof, checkpoint: r.checkpoint }], gaps: [] }
    return gap(r === undefined
      ? 'the recipient\'s inclusion proof was never queued (delivered before this node kept received proofs)'
      : `the recipient's inclusion proof is not fetched yet (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${r.lastError ? `; last: ${r.lastError}` : ''})`)
  }
}
