// manifest.json of an evidence bundle v2 (PROTOCOL.md §8.5): what every other file of the archive
// is, in archive order, with its size and SHA-256, and which files belong to which message. It is
// written in one canonical form (sorted members, two-space indentation, final newline) and carries
// its own digest, so that a change to any byte of it is found and blamed on it, not on another part.
import { createHash } from 'node:crypto'
import { logShapeProblem, type ManifestLogGap, type ManifestLogProof } from './log-proof.js'

export const EVIDENCE_FORMAT = 'saraban-evidence'
export const EVIDENCE_V2 = 2
export const MANIFEST_PATH = 'manifest.json'
const ZERO_DIGEST = '0'.repeat(64)

export const PART_ROLES = [
  'readme', 'checksums', 'directory', 'crl', 'attachment', 'envelope', 'auditor-prefix', 'content-key', 'signed-letter',
  'signer-chain', 'letter-timestamp', 'receipt', 'receipt-signer-chain', 'receipt-timestamp', 'tsa-chain',
  'signed-notice', 'notice-timestamp', // PROTOCOL.md §18.6
  'log-entry', 'log-proof', 'log-checkpoint', // PROTOCOL.md §20.7
] as const
export type PartRole = (typeof PART_ROLES)[number]

export interface ManifestPart {
  path: string
  role: PartRole
  size: number
  sha256: string
}

/** Paths (into `parts`) of one message's files; optional members are absent when there is nothing. */
export interface ManifestMessage {
  messageId: string
  recipient: string
  profile: string
  status: string
  deliveredAt: string | null
  envelope: string
  /** cms-v1: see src/evidence/cms-auditor.ts; with the offset in `envelope` where its tail starts */
  auditorPrefix?: string
  auditorTailOffset?: number
  contentKey: string
  letter: string
  letterSigner: string
  letterTimestamp?: string
  letterTsa?: string
  receipt?: string
  receiptSigner?: string
  receiptTimestamp?: string
  receiptTsa?: string
  attachments: string[]
  directory: string
  crls: string[]
  /** The time at which the signer's certificate is judged: the time-stamp's genTime, or the signed claim. */
  letterTime: string
  letterTimeProof: TimeProof
  /** SHA-256 (hex) of the letter's raw signature value: the message imprint of its time-stamp. */
  letterImprint: string
  receiptTime?: string
  receiptTimeProof?: TimeProof
  receiptImprint?: string
  /** PROTOCOL.md §20.7: inclusion proofs of the letter's events in the sender's and the recipient's logs */
  log?: ManifestLogProof[]
  /** PROTOCOL.md §20.7: the events whose proof the bundle lacks, and why */
  logGaps?: ManifestLogGap[]
}

/** 'time-stamp': proven by an RFC 3161 token in the bundle; 'claimed': only the signer's own claim. */
export type TimeProof = 'time-stamp' | 'claimed'

export const MESSAGE_PATH_MEMBERS = [
  'envelope', 'auditorPrefix', 'contentKey', 'letter', 'letterSigner', 'letterTimestamp', 'letterTsa', 'receipt', 'receiptSigner',
  'receiptTimestamp', 'receiptTsa', 'directory',
] as const satisfies readonly (keyof ManifestMessage)[]

/** A notice about one of the messages (PROTOCOL.md §18.6): `sent` by the bundle's sender (a
 *  withdrawal: its content key and the recipient's receipt), or `received` from a recipient (an
 *  answer: its signed notice as received and our receipt; no content key). */
export interface ManifestNotice {
  messageId: string
  type: 'accepted' | 'rejected' | 'withdrawn' | 'disputed'
  direction: 'sent' | 'received'
  /** the message id of the letter envelope it is about (one of `messages`) */
  about: string
  from: string
  to: string
  profile: string
  envelope: string
  contentKey?: string
  notice: string
  noticeSigner: string
  noticeTimestamp?: string
  noticeTsa?: string
  receipt?: string
  receiptSigner?: string
  receiptTimestamp?: string
  receiptTsa?: string
  directory: string
  /** the CRLs in force at noticeTime and receiptTime; absent in bundles of earlier nodes (then the message's) */
  crls?: string[]
  /** As for messages: the time the signer is judged at, its proof, and the imprint of the notice's signature. */
  noticeTime: string
  noticeTimeProof: TimeProof
  noticeImprint: string
  receiptTime?: string
  receiptTimeProof?: TimeProof
  receiptImprint?: string
  /** PROTOCOL.md §20.7: the recipient's message.received proof of the notice (with a receipt), or why not */
  log?: ManifestLogProof[]
  logGaps?: ManifestLogGap[]
}

export const NOTICE_PATH_MEMBERS = [
  'envelope', 'contentKey', 'notice', 'noticeSigner', 'noticeTimestamp', 'noticeTsa', 'receipt', 'receiptSigner', 'receiptTimestamp', 'receiptTsa', 'directory',
] as const satisfies readonly (keyof ManifestNotice)[]

export interface Manifest {
  format: typeof EVIDENCE_FORMAT
  version: typeof EVIDENCE_V2
  generatedAt: string
  letterId: string
  sender: string
  parts: ManifestPart[]
  messages: ManifestMessage[]
  /** absent when no notice is about the letter */
  notices?: ManifestNotice[]
  /** SHA-256 of this manifest's canonical form with this member set to 64 zeros. */
  manifestSha256: string
}

/** Canonical JSON: members sorted by code unit, two-space indentation, a final newline. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort)
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sort((v as Record<string, unknown>)[k])]))
    }
    return v
  }
  return JSON.stringify(sort(value), null, 2) + '\n'
}

export function manifestDigest(m: Manifest): string {
  return createHash('sha256').update(canonicalJson({ ...m, manifestSha256: ZERO_DIGEST })).digest('hex')
}

/** The manifest's bytes, with its own digest filled in. */
export function encodeManifest(m: Omit<Manifest, 'manifestSha256'>): Buffer {
  const full = { ...m, manifestSha256: ZERO_DIGEST } as Manifest
  full.manifestSha256 = manifestDigest(full)
  return Buffer.from(canonicalJson(full), 'utf8')
}

export type Decoded = { ok: true; manifest: Manifest } | { ok: false; reason: string }

/** Strict reading: UTF-8, JSON, the shape below, canonical form, and its own digest. */
export function decodeManifest(bytes: Buffer): Decoded {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (e) {
    return { ok: false, reason: `not UTF-8 JSON: ${(e as Error).message}` }
  }
  const shape = checkShape(value)
  if (shape !== undefined) return { ok: false, reason: shape }
  const m = value as Manifest
  if (canonicalJson(m) !== bytes.toString('utf8')) return { ok: false, reason: 'not in canonical form (sorted members, two-space indentation, final newline)' }
  if (manifestDigest(m) !== m.manifestSha256) return { ok: false, reason: 'its content does not match its own manifestSha256' }
  return { ok: true, manifest: m }
}

const HEX64 = /^[0-9a-f]{64}$/
const PROOFS: readonly unknown[] = ['time-stamp', 'claimed']
const isStr = (v: unknown): v is string => typeof v === 'string'

function checkShape(v: unknown): string | undefined {
  const o = v as Record<string, unknown>
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object'
  if (o.format !== EVIDENCE_FORMAT || o.version !== EVIDENCE_V2) return `not a ${EVIDENCE_FORMAT} version ${EVIDENCE_V2} manifest`
  for (const k of ['generatedAt', 'letterId', 'sender'] as const) if (!isStr(o[k])) return `"${k}" is not a string`
  if (Number.isNaN(Date.parse(o.generatedAt as string))) return '"generatedAt" is not a time'
  if (!isStr(o.manifestSha256) || !HEX64.test(o.manifestSha256)) return '"manifestSha256" is not 64 lowercase hex digits'
  if (!Array.isArray(o.parts) || !Array.isArray(o.messages)) return '"parts" and "messages" must be arrays'
  for (const [i, p] of (o.parts as ManifestPart[]).entries()) {
    if (p === null || typeof p !== 'object' || !isStr(p.path) || !(PART_ROLES as readonly string[]).includes(p.role)
      || !Number.isSafeInteger(p.size) || p.size < 0 || !isStr(p.sha256) || !HEX64.test(p.sha256)) return `parts[${i}] is malformed`
  }
  for (const [i, m] of (o.messages as ManifestMessage[]).entries()) {
    if (m === null || typeof m !== 'object') return `messages[${i}] is not an object`
    for (const k of ['messageId', 'recipient', 'profile', 'status', 'envelope', 'contentKey', 'letter', 'letterSigner', 'directory'] as const) {
      if (!isStr(m[k])) return `messages[${i}].${k} is not a string`
    }
    for (const k of MESSAGE_PATH_MEMBERS) if (m[k] !== undefined && !isStr(m[k])) return `messages[${i}].${k} is not a string`
    if (m.deliveredAt !== null && !isStr(m.deliveredAt)) return `messages[${i}].deliveredAt is not a string or null`
    if (!Array.isArray(m.attachments) || !m.attachments.every(isStr)) return `messages[${i}].attachments is not an array of paths`
    if (!Array.isArray(m.crls) || !m.crls.every(isStr)) return `messages[${i}].crls is not an array of paths`
    if (!isStr(m.letterTime) || !PROOFS.includes(m.letterTimeProof) || !isStr(m.letterImprint)) return `messages[${i}] lacks letterTime, letterTimeProof or letterImprint`
    for (const k of ['receiptTime', 'receiptImprint'] as const) if (m[k] !== undefined && !isStr(m[k])) return `messages[${i}].${k} is not a string`
    if (m.auditorTailOffset !== undefined && (!Number.isSafeInteger(m.auditorTailOffset) || m.auditorTailOffset < 0)) return `messages[${i}].auditorTailOffset is not an offset`
    if (m.receiptTimeProof !== undefined && !PROOFS.includes(m.receiptTimeProof)) return `messages[${i}].receiptTimeProof is not a known proof`
    const log = logShapeProblem(m.log, m.logGaps, `messages[${i}]`)
    if (log !== undefined) return log
  }
  if (o.notices !== undefined) {
    if (!Array.isArray(o.notices)) return '"notices" must be an array'
    for (const [i, n] of (o.notices as ManifestNotice[]).entries()) {
      if (n === null || typeof n !== 'object') return `notices[${i}] is not an object`
      for (const k of ['messageId', 'about', 'from', 'to', 'profile', 'envelope', 'notice', 'noticeSigner', 'directory'] as const) {
        if (!isStr(n[k])) return `notices[${i}].${k} is not a string`
      }
      for (const k of NOTICE_PATH_MEMBERS) if (n[k] !== undefined && !isStr(n[k])) return `notices[${i}].${k} is not a string`
      if (!['accepted', 'rejected', 'withdrawn', 'disputed'].includes(n.type) || !['sent', 'received'].includes(n.direction)) return `notices[${i}] has an unknown type or direction`
      if (n.crls !== undefined && (!Array.isArray(n.crls) || !n.crls.every(isStr))) return `notices[${i}].crls is not an array of paths`
      if (!isStr(n.noticeTime) || !PROOFS.includes(n.noticeTimeProof) || !isStr(n.noticeImprint)) return `notices[${i}] lacks noticeTime, noticeTimeProof or noticeImprint`
      for (const k of ['receiptTime', 'receiptImprint'] as const) if (n[k] !== undefined && !isStr(n[k])) return `notices[${i}].${k} is not a string`
      if (n.receiptTimeProof !== undefined && !PROOFS.includes(n.receiptTimeProof)) return `notices[${i}].receiptTimeProof is not a known proof`
      const log = logShapeProblem(n.log, n.logGaps, `notices[${i}]`)
      if (log !== undefined) return log
    }
  }
  return undefined
}

/** SHA256SUMS: `sha256sum -c SHA256SUMS` in the extracted folder checks every part but the manifest. */
export function checksumsFile(parts: readonly ManifestPart[]): Buffer {
  return Buffer.from(parts.map((p) => `${p.sha256}  ${p.path}\n`).join(''), 'ascii')
}
