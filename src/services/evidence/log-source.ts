// Where the evidence bundle's log proofs come from (PROTOCOL.md §20.7): the sender's entries of a
// message rebuilt from its rows as the appender built them and found in our log by their bytes, proved
// against a checkpoint that covers them (signed now if the log grew since the last one); the
// recipient's entry with the proof fetched after delivery (received-proofs.ts), or the reason it is
// missing.
import type { OutboxMessage } from '../../storage/outbox.js'
import type { LogRows } from '../../storage/log-rows.js'
import type { ReceivedProofStore } from '../../storage/received-proofs.js'
import { buildEntry, entryBytes, leavesOf } from '../log/leaves.js'
import { verifyCheckpoint } from '../log/checkpoints.js'
import type { LocalLog } from '../log/local-log.js'
import type { LogProofs } from '../log/proofs.js'
import type { ManifestLogGap } from '../../evidence/log-proof.js'
import type { LogProofInput, MessageLog } from './log-parts.js'

export interface LogSourceDeps {
  readonly rows: LogRows
  readonly local: LocalLog
  readonly proofs: Pick<LogProofs, 'inclusion'>
  /** a checkpoint of `agency`'s log whose tree includes entry `index` */
  readonly covering: (agency: string, index: number) => Promise<string>
  readonly received: Pick<ReceivedProofStore, 'get'>
}

const SENDER_EVENTS = [['message.sent', 'outbox-message'], ['message.delivered', 'outbox-delivered']] as const

export function logEvidenceSource(d: LogSourceDeps): (m: OutboxMessage) => Promise<MessageLog> {
  return async (m) => {
    const gaps: ManifestLogGap[] = []
    const found: Array<{ type: LogProofInput['type']; index: number; entry: Buffer }> = []
    for (const [type, source] of SENDER_EVENTS) {
      if (type === 'message.delivered' && m.receipt === null) continue
      const row = d.rows.one(source, [m.messageId])
      const leaf = leavesOf(source).find((l) => l.type === type)!
      const entry = row && entryBytes(buildEntry(leaf, row))
      const index = entry && d.local.indexOf(m.senderAgency, entry)
      if (entry === undefined || index === undefined) {
        gaps.push({ log: m.senderAgency, type, reason: 'the entry is not in the sender\'s log (sent before the log was kept, or the log differs from the database: run saraban-node log verify)' })
      } else {
        found.push({ type, index, entry })
      }
    }
    const proofs: LogProofInput[] = []
    if (found.length > 0) {
      const checkpoint = await d.covering(m.senderAgency, Math.max(...found.map((f) => f.index)))
      const size = verifyCheckpoint(checkpoint).body.size
      for (const f of found) {
        const proof = d.proofs.inclusion(m.senderAgency, f.index, size).proof.map((h) => Buffer.from(h, 'base64'))
        proofs.push({ log: m.senderAgency, type: f.type, index: f.index, size, entry: f.entry, proof, checkpoint })
      }
    }
    if (m.receipt !== null) {
      const r = d.received.get(m.messageId)
      if (r?.proof !== undefined) {
        proofs.push({ log: r.agency, type: 'message.received', index: r.index, size: r.size, entry: r.entry, proof: r.proof, checkpoint: r.checkpoint })
      } else {
        const reason = r === undefined
          ? 'the receipt carries no log checkpoint (a recipient node before PROTOCOL.md §20)'
          : `the recipient's inclusion proof is not fetched yet (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${r.lastError ? `; last: ${r.lastError}` : ''})`
        gaps.push({ log: m.recipientAgency, type: 'message.received', reason })
      }
    }
    return { proofs, gaps }
  }
}
