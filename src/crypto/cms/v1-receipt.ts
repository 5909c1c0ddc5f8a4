// cms-v1 receipts (PROTOCOL.md §12.6): a DER ContentInfo(SignedData) whose eContent (type
// saraban-receipt) is the UTF-8 JSON receipt claims of §6.2, signed by the receiving agency.
import { isSarabanError, SarabanError } from '../../errors.js'
import type { ReceiptClaims, SignerIdentity, VerifiedReceipt } from '../types.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { claimsProblem, MAX_RECEIPT_BYTES, receiptPayload } from '../jose/v1-receipt.js'
import { OID_CT_SARABAN_RECEIPT } from './oids.js'
import { CmsSignedError, signCms, verifyCms, type SignOptions } from './signed-data.js'

/** How far a receipt's signing-time may lie from its receivedAt (PROTOCOL.md §12.6). */
export const SIGNING_TIME_TOLERANCE_MS = 5 * 60_000

export function signCmsReceipt(claims: ReceiptClaims, signer: SignerIdentity, opts: SignOptions = {}): Buffer {
  const problem = claimsProblem(claims as unknown as Record<string, unknown>)
  if (problem !== undefined) throw new Error(`signReceipt: ${problem}`)
  if (signer.agency !== claims.to) throw new Error('signReceipt: the signer must be the receiving agency ("to")')
  const payload = receiptPayload(claims)
  return signCms(OID_CT_SARABAN_RECEIPT, payload, signer, { signingTime: new Date(claims.receivedAt), ...opts }).der
}

/** Every failure is ERR_RECEIPT_INVALID (the sender records it as the delivery outcome). */
export function verifyCmsReceipt(receipt: Buffer): VerifiedReceipt {
  const invalid = (why: string): SarabanError => new SarabanError('ERR_RECEIPT_INVALID', `The receipt does not verify: ${why}.`)
  if (receipt.length > MAX_RECEIPT_BYTES) throw invalid(`longer than ${MAX_RECEIPT_BYTES} bytes`)
  let verified
  try {
    verified = verifyCms(receipt)
  } catch (e) {
    if (e instanceof CmsSignedError) throw invalid(e.kind === 'signature' ? 'bad signature' : e.message)
    if (isSarabanError(e)) throw invalid(e.detail ?? e.code)
    throw e
  }
  if (verified.end !== receipt.length) throw invalid('bytes after the SignedData')
  if (verified.contentType !== OID_CT_SARABAN_RECEIPT) throw invalid('the signed content is not a saraban receipt')
  const parsed = parseStrictJsonObject(verified.payload)
  if (!parsed.ok) throw invalid(`the payload ${parsed.detail}`) // PROTOCOL.md §5.6: I-JSON
  const claims = parsed.value
  const problem = claimsProblem(claims)
  if (problem !== undefined) throw invalid(problem)
  // PROTOCOL.md §12.6: signing-time is receivedAt truncated to the second; one made with a tool that
  // takes it from its clock (openssl cms -sign) is within the skew of it.
  const apart = Math.abs(verified.signingTime.getTime() - Date.parse(claims['receivedAt'] as string))
  if (apart > SIGNING_TIME_TOLERANCE_MS) throw invalid(`its signing-time (${verified.signingTime.toISOString()}) is more than 5 minutes from receivedAt`)
  return { claims: claims as unknown as ReceiptClaims, signerChain: verified.chain, signature: verified.signature }
}
