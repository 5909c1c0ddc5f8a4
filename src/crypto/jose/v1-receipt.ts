// jose-v1 receipts (PROTOCOL.md §6): a compact JWS, header {"alg","typ":"saraban-receipt+jws","x5c"},
// payload {"v":1,"mid","from","to","receivedAt","envelopeSha256","profile"} where "from" is the
// letter's sender, "to" the receiving agency (the signer), and envelopeSha256 the lowercase hex
// SHA-256 of the exact envelope bytes received.
import { isSarabanError, SarabanError } from '../../errors.js'
import type { ReceiptClaims, SignerIdentity, VerifiedReceipt } from '../types.js'
import { parseJsonObject } from './compact.js'
import { signCompact, verifyCompact } from './jws.js'
import { AGENCY_ID, MESSAGE_ID, V1 } from './v1-header.js'
import { isUtcTime } from './v1-payload.js'

/** Longest receipt accepted (bytes), checked before parsing. */
export const MAX_RECEIPT_BYTES = 64 * 1024
const MEMBERS = ['v', 'mid', 'from', 'to', 'receivedAt', 'envelopeSha256', 'profile'] as const

/** The reason the claims are not well-formed, or undefined. */
export function claimsProblem(c: Record<string, unknown>): string | undefined {
  const keys = Object.keys(c)
  if (keys.length !== MEMBERS.length || !MEMBERS.every((k) => k in c)) return `members must be exactly ${MEMBERS.join(', ')}`
  if (c['v'] !== 1) return 'v must be 1'
  if (typeof c['mid'] !== 'string' || !MESSAGE_ID.test(c['mid'])) return 'mid must be a lowercase UUID'
  if (typeof c['from'] !== 'string' || !AGENCY_ID.test(c['from'])) return 'from must be an agency id'
  if (typeof c['to'] !== 'string' || !AGENCY_ID.test(c['to'])) return 'to must be an agency id'
  if (!isUtcTime(c['receivedAt'])) return 'receivedAt must be an ISO 8601 UTC time'
  if (typeof c['envelopeSha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(c['envelopeSha256'])) return 'envelopeSha256 must be 64 lowercase hex digits'
  if (typeof c['profile'] !== 'string' || c['profile'].length === 0) return 'profile must be a profile id'
  return undefined
}

export function signV1Receipt(claims: ReceiptClaims, signer: SignerIdentity, opts: { alg?: string } = {}): Buffer {
  const problem = claimsProblem(claims as unknown as Record<string, unknown>)
  if (problem !== undefined) throw new Error(`signReceipt: ${problem}`)
  if (signer.agency !== claims.to) throw new Error('signReceipt: the signer must be the receiving agency ("to")')
  const { v, mid, from, to, receivedAt, envelopeSha256, profile } = claims // fixed member order on the wire
  const payload = Buffer.from(JSON.stringify({ v, mid, from, to, receivedAt, envelopeSha256, profile }), 'utf8')
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
  const claims = parseJsonObject(verified.payload)
  if (claims === undefined) throw invalid('the payload is not a JSON object')
  const problem = claimsProblem(claims)
  if (problem !== undefined) throw invalid(problem)
  return { claims: claims as unknown as ReceiptClaims, signerChain: verified.chain, signature: verified.signature }
}
