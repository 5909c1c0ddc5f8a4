// jose-v1 receipts (PROTOCOL.md §6): a compact JWS, header {"alg","typ":"saraban-receipt+jws","x5c"},
// payload {"v":1,"mid","from","to","receivedAt","envelopeSha256","profile","log"} where "from" is the
// letter's sender, "to" the receiving agency (the signer), envelopeSha256 the lowercase hex SHA-256 of
// the exact envelope bytes received, and "log" {"checkpoint","index"} the receiver's log checkpoint
// that includes the message.received entry (PROTOCOL.md §20.5; absent from pre-log receipts, §11).
import { isSarabanError, SarabanError } from '../../errors.js'
import type { ReceiptClaims, SignerIdentity, VerifiedReceipt } from '../types.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { signCompact, verifyCompact } from './jws.js'
import { AGENCY_ID, MESSAGE_ID, V1 } from './v1-header.js'
import { isUtcTime } from './v1-payload.js'

/** Longest receipt accepted (bytes), checked before parsing. */
export const MAX_RECEIPT_BYTES = 64 * 1024
const MEMBERS = ['v', 'mid', 'from', 'to', 'receivedAt', 'envelopeSha256', 'profile'] as const
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
/** Longest checkpoint carried in a receipt or envelope (characters; PROTOCOL.md §20.4). */
export const MAX_CHECKPOINT_CHARS = 24 * 1024

/** The reason the claims are not well-formed, or undefined. */
export function claimsProblem(c: Record<string, unknown>): string | undefined {
  const keys = Object.keys(c)
  const withLog = 'log' in c ? 1 : 0
  if (keys.length !== MEMBERS.length + withLog || !MEMBERS.every((k) => k in c)) return `members must be exactly ${MEMBERS.join(', ')} and optionally log`
  if (c['v'] !== 1) return 'v must be 1'
  if (typeof c['mid'] !== 'string' || !MESSAGE_ID.test(c['mid'])) return 'mid must be a lowercase UUID'
  if (typeof c['from'] !== 'string' || !AGENCY_ID.test(c['from'])) return 'from must be an agency id'
  if (typeof c['to'] !== 'string' || !AGENCY_ID.test(c['to'])) return 'to must be an agency id'
  if (!isUtcTime(c['receivedAt'])) return 'receivedAt must be an ISO 8601 UTC time'
  if (typeof c['envelopeSha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(c['envelopeSha256'])) return 'envelopeSha256 must be 64 lowercase hex digits'
  if (typeof c['profile'] !== 'string' || c['profile'].length === 0) return 'profile must be a profile id'
  if (withLog) return receiptLogProblem(c['log'])
  return undefined
}

/** PROTOCOL.md §6.2: "log" is {"checkpoint": compact JWS, "index": entry index}. */
function receiptLogProblem(l: unknown): string | undefined {
  if (typeof l !== 'object' || l === null || Array.isArray(l)) return 'log must be an object'
  const o = l as Record<string, unknown>
  if (Object.keys(o).length !== 2 || !('checkpoint' in o) || !('index' in o)) return 'log members must be exactly checkpoint, index'
  if (typeof o['checkpoint'] !== 'string' || o['checkpoint'].length > MAX_CHECKPOINT_CHARS || !JWS_COMPACT.test(o['checkpoint'])) return 'log.checkpoint must be a compact JWS'
  if (typeof o['index'] !== 'number' || !Number.isSafeInteger(o['index']) || o['index'] < 0) return 'log.index must be a non-negative integer'
  return undefined
}

/** The claims in their fixed member order on the wire (§6.2), for both receipt families. */
export function receiptPayload(claims: ReceiptClaims): Buffer {
  const { v, mid, from, to, receivedAt, envelopeSha256, profile, log } = claims
  const ordered = log === undefined
    ? { v, mid, from, to, receivedAt, envelopeSha256, profile }
    : { v, mid, from, to, receivedAt, envelopeSha256, profile, log: { checkpoint: log.checkpoint, index: log.index } }
  return Buffer.from(JSON.stringify(ordered), 'utf8')
}

export function signV1Receipt(claims: ReceiptClaims, signer: SignerIdentity, opts: { alg?: string } = {}): Buffer {
  const problem = claimsProblem(claims as unknown as Record<string, unknown>)
  if (problem !== undefined) throw new Error(`signReceipt: ${problem}`)
  if (signer.agency !== claims.to) throw new Error('signReceipt: the signer must be the receiving agency ("to")')
  const payload = receiptPayload(claims)
  return signCompact(V1.receiptTyp, payload, signer, opts)
}

/** Every failure is ERR_RECEIPT_INVALID (the sender records it as the delivery outcome). */
export function verifyV1Receipt(receipt: Buffer): VerifiedReceipt {
  const invalid = (why: string): SarabanError => new SarabanError('ERR_RECEIPT_INVALID', `The receipt does not verify: ${why}.`)
  if (receipt.length > MAX_RECEIPT_BYTES) throw invalid(`longer than ${MAX_RECEIPT_BYTES} bytes`)
  let verified
  try {
    verified = verifyCompact(receipt, V1.receiptTyp)
  } catch (e) {
    if (isSarabanError(e)) throw invalid(e.code === 'ERR_SIGNATURE_INVALID' ? 'bad signature' : (e.detail ?? e.code))
    throw e
  }
  const parsed = parseStrictJsonObject(verified.payload)
  if (!parsed.ok) throw invalid(`the payload ${parsed.detail}`) // PROTOCOL.md §5.6: I-JSON
  const claims = parsed.value
  const problem = claimsProblem(claims)
  if (problem !== undefined) throw invalid(problem)
  return { claims: claims as unknown as ReceiptClaims, signerChain: verified.chain, signature: verified.signature }
}
