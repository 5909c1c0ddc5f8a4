// The transparency-log members of an evidence bundle v2 (PROTOCOL.md §20.7): per message, the
// inclusion proofs of the letter's events (`message.sent`, `message.delivered` in the sender's log,
// `message.received` in the recipient's) with the checkpoints they lead to, and what is missing when a
// proof could not be had. The files are plain so that an auditor needs nothing but SHA-256: the entry's
// exact bytes, and the proof as one lowercase hex hash per line.

/** The events of a letter envelope a bundle proves, and whose log holds each. */
export const LOG_EVENTS = ['message.sent', 'message.delivered', 'message.received'] as const
export type LogEvent = (typeof LOG_EVENTS)[number]
export type LogSide = 'sender' | 'recipient'

export const EVENT_SIDE: Readonly<Record<LogEvent, LogSide>> = {
  'message.sent': 'sender',
  'message.delivered': 'sender',
  'message.received': 'recipient',
}

/** One inclusion proof, as the manifest lists it: paths into `parts` and the numbers. */
export interface ManifestLogProof {
  /** the agency whose log it is (the sender for sent/delivered, the recipient for received) */
  log: string
  type: LogEvent
  /** the entry's index in that log */
  index: number
  /** the size of the tree the checkpoint signs */
  size: number
  /** role `log-entry`: the entry's exact bytes (canonical JSON, §20.3) */
  entry: string
  /** role `log-proof`: the inclusion proof (RFC 9162 §2.1.3), one hex hash per line */
  proof: string
  /** role `log-checkpoint`: the signed checkpoint (§20.4) whose root the proof leads to */
  checkpoint: string
}

/** An event whose proof the bundle lacks, and why (PROTOCOL.md §20.7): a weaker claim, not a failure. */
export interface ManifestLogGap {
  log: string
  type: LogEvent
  reason: string
}

/** `messages/<mid>/log/<type>.entry` and `.proof`; checkpoints are shared: `checkpoints/<16 hex>.jws`. */
export const logEntryPath = (dir: string, type: LogEvent) => `${dir}log/${type}.entry`
export const logProofPath = (dir: string, type: LogEvent) => `${dir}log/${type}.proof`

const HASH_LINE = /^[0-9a-f]{64}$/

/** The proof file: each hash as 64 lowercase hex digits and a line feed (an empty file for none). */
export function proofFile(proof: readonly Buffer[]): Buffer {
  return Buffer.from(proof.map((h) => `${h.toString('hex')}\n`).join(''), 'ascii')
}

/** Reads a proof file strictly; undefined when it is not in the one form proofFile() writes. */
export function parseProofFile(bytes: Buffer): Buffer[] | undefined {
  const text = bytes.toString('latin1')
  if (text === '') return []
  if (!text.endsWith('\n')) return undefined
  const lines = text.slice(0, -1).split('\n')
  if (!lines.every((l) => HASH_LINE.test(l))) return undefined
  return lines.map((l) => Buffer.from(l, 'hex'))
}

const isStr = (v: unknown): v is string => typeof v === 'string'
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** The shape of `log` and `logGaps` of one manifest message; a reason, or undefined when well formed. */
export function logShapeProblem(log: unknown, gaps: unknown, where: string): string | undefined {
  if (log !== undefined) {
    if (!Array.isArray(log)) return `${where}.log is not an array`
    for (const [i, p] of (log as ManifestLogProof[]).entries()) {
      if (p === null || typeof p !== 'object' || !isStr(p.log) || !(LOG_EVENTS as readonly string[]).includes(p.type)
        || !isCount(p.index) || !isCount(p.size) || !isStr(p.entry) || !isStr(p.proof) || !isStr(p.checkpoint)) return `${where}.log[${i}] is malformed`
    }
  }
  if (gaps !== undefined) {
    if (!Array.isArray(gaps)) return `${where}.logGaps is not an array`
    for (const [i, g] of (gaps as ManifestLogGap[]).entries()) {
      if (g === null || typeof g !== 'object' || !isStr(g.log) || !(LOG_EVENTS as readonly string[]).includes(g.type) || !isStr(g.reason)) return `${where}.logGaps[${i}] is malformed`
    }
  }
  return undefined
}
