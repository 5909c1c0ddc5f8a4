// The log members of a message's entry in an evidence bundle v2 (PROTOCOL.md §20.7): each inclusion
// proof as three parts (the entry's bytes, the proof, the signed checkpoint, shared between the
// messages whose proofs lead to it) and the list of events whose proof the node could not give.
import { parseCheckpointBody } from '../../tlog/index.js'
import { logEntryPath, logProofPath, proofFile, type LogEvent, type ManifestLogGap, type ManifestLogProof } from '../../evidence/log-proof.js'
import type { ManifestMessage } from '../../evidence/manifest.js'
import { sha256, type PartSink } from './parts.js'

/** One proof as the log source gives it (services/evidence/log-source.ts). */
export interface LogProofInput {
  readonly log: string
  readonly type: LogEvent
  readonly index: number
  readonly size: number
  readonly entry: Buffer
  readonly proof: readonly Buffer[]
  /** the checkpoint (compact JWS, §20.4) whose tree of `size` the proof leads to */
  readonly checkpoint: string
}

/** What the node can show of one message's events in the logs. */
export interface MessageLog {
  readonly proofs: readonly LogProofInput[]
  readonly gaps: readonly ManifestLogGap[]
}

export function logMembers(own: PartSink, shared: PartSink, dir: string, log: MessageLog): Pick<ManifestMessage, 'log' | 'logGaps'> {
  const out: Pick<ManifestMessage, 'log' | 'logGaps'> = {}
  if (log.proofs.length > 0) {
    out.log = log.proofs.map((p): ManifestLogProof => ({
      log: p.log,
      type: p.type,
      index: p.index,
      size: p.size,
      entry: own.add(logEntryPath(dir, p.type), 'log-entry', p.entry),
      proof: own.add(logProofPath(dir, p.type), 'log-proof', proofFile(p.proof)),
      checkpoint: shared.add(`checkpoints/${sha256(p.checkpoint).slice(0, 16)}.jws`, 'log-checkpoint', Buffer.from(p.checkpoint, 'latin1')),
    }))
  }
  if (log.gaps.length > 0) out.logGaps = log.gaps.map((g) => ({ ...g }))
  return out
}

/** The times the checkpoints claim: the CRLs in force then join the bundle (their signers are judged then). */
export function checkpointTimes(log: MessageLog | undefined): Date[] {
  const times: Date[] = []
  for (const p of log?.proofs ?? []) {
    try {
      const payload = Buffer.from(p.checkpoint.split('.')[1] ?? '', 'base64url').toString('utf8')
      times.push(new Date(parseCheckpointBody(payload).time))
    } catch {
      // written as given; the verifier reports a checkpoint it cannot read
    }
  }
  return times
}
