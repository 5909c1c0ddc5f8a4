// Receipt verification (PROTOCOL.md §6.3), shared by the delivery worker and evidence checks:
// signature, signer chain to the federation root, signer is a signing certificate of the intended
// recipient, and the claims name exactly the message and bytes that were sent.
//
// Each failure says what went wrong (issue 15 item 7) and whether it can change on the sender's side
// (PROTOCOL.md §7.2, "Receipts that fail"): the recipient answers every retry with the same receipt
// byte for byte (§7.1), so only a failure that depends on what the sender holds (its directory, its
// CRLs, its clock) is worth retrying; every other one fails the recipient at once.
import type { ErrorCode } from '../errors.js'
import { fingerprint } from '../pki/cert.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import type { EnvelopeProfile, ReceiptClaims } from '../crypto/profiles.js'
import { isSarabanError } from '../errors.js'
import { checkCheckpointSigner, verifyCheckpoint } from './log/checkpoints.js'

export interface Expected {
  readonly messageId: string
  readonly from: string
  readonly to: string
  readonly envelopeSha256: string
}

/** `retry`: the failure may pass on a later attempt because it depends on the sender's own state
 *  (PROTOCOL.md §7.2 table); otherwise the same receipt fails the same way forever. */
export type ReceiptCheck =
  | { ok: true; value: ReceiptClaims }
  | { ok: false; code: ErrorCode; reason: string; retry: boolean }

const final = (reason: string): ReceiptCheck => ({ ok: false, code: 'ERR_RECEIPT_INVALID', reason, retry: false })
const senderSide = (reason: string): ReceiptCheck => ({ ok: false, code: 'ERR_RECEIPT_INVALID', reason, retry: true })

// PROTOCOL.md §15.4: a path refused for want of a current CRL passes once the sender holds one.
const SENDER_SIDE_PATH_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_REVOCATION_UNKNOWN'])

export async function checkReceipt(
  receipt: Buffer,
  expected: Expected,
  deps: {
    profile: EnvelopeProfile; anchors: TrustAnchors; directory: Directory
    /** latest acceptable receivedAt (ms): the sender's clock plus the skew (§6.3 step 3) */
    notAfter?: number
    /** earliest acceptable receivedAt (ms): the letter's sentAt minus the skew (§6.3 step 3) */
    notBefore?: number
  },
): Promise<ReceiptCheck> {
  let verified
  try {
    verified = await deps.profile.verifyReceipt(receipt)
  } catch (e) {
    // The profile says what is wrong (an extra member, a claim twice, another content type, a bad
    // signature…): report that, not a generic "does not verify" (issue 15 item 7).
    if (!isSarabanError(e)) throw e
    return final(e.detail ?? e.message)
  }
  const { claims, signerChain } = verified
  const mismatch = (['messageId', 'from', 'to', 'envelopeSha256'] as const).find((k) => {
    const claimKey = k === 'messageId' ? 'mid' : k
    return claims[claimKey] !== expected[k]
  })
  if (mismatch) return final(`the receipt's ${mismatch} is not what was sent`)
  if (claims.profile !== deps.profile.id) return final('the receipt names another profile')
  // Validate the chain at the time the receipt claims; PROTOCOL.md §6.4 says what that proves without a time-stamp.
  const at = new Date(claims.receivedAt)
  if (Number.isNaN(at.getTime())) return final('the receipt has no valid receivedAt')
  if (deps.notAfter !== undefined && at.getTime() > deps.notAfter) {
    // The sender's clock moves on: a receipt a few minutes ahead of it passes later (§7.2).
    return senderSide(`the receipt claims a time in the future (${claims.receivedAt})`)
  }
  if (deps.notBefore !== undefined && at.getTime() < deps.notBefore) {
    return final(`the receipt claims it was received (${claims.receivedAt}) before the letter was sent`)
  }
  const chain = await deps.anchors.validate(signerChain, { at, role: 'signing' })
  if (!chain.ok) {
    const reason = `the receipt signer certificate does not validate: ${chain.reason}`
    return SENDER_SIDE_PATH_CODES.has(chain.code) ? senderSide(reason) : final(reason)
  }
  // The directory may lag the recipient's renewal: a newer directory can list the signer (§7.2).
  if (!deps.directory.isSigningCertOf(expected.to, fingerprint(signerChain[0]!))) {
    return senderSide(`the receipt is not signed by a signing certificate of "${expected.to}" in the directory held`)
  }
  // PROTOCOL.md §6.3, §20.5: the recipient's log checkpoint, signed by the recipient, covering the entry.
  if (claims.log !== undefined) {
    let c
    try {
      c = verifyCheckpoint(claims.log.checkpoint, 'log')
    } catch (e) {
      if (!isSarabanError(e)) throw e
      return final(`the receipt's ${e.detail ?? e.code}`)
    }
    if (c.agency !== expected.to) return final(`the receipt's checkpoint is of the log of "${c.agency}", not of "${expected.to}"`)
    try {
      await checkCheckpointSigner(c, expected.to, deps, 'log')
    } catch (e) {
      if (!isSarabanError(e)) throw e
      // the checkpoint's signer is judged against the directory and CRLs the sender holds
      return senderSide(`the receipt's ${e.detail ?? e.code}`)
    }
    if (claims.log.index >= c.body.size) return final(`the receipt's log entry ${claims.log.index} is not in its checkpoint of ${c.body.size} entries`)
  }
  return { ok: true, value: claims }
}
