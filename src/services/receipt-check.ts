// Receipt verification (PROTOCOL.md §6.3), shared by the delivery worker and evidence checks:
// signature, signer chain to the federation root, signer is a signing certificate of the intended
// recipient, and the claims name exactly the message and bytes that were sent.
import type { Check } from '../errors.js'
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

export async function checkReceipt(
  receipt: Buffer,
  expected: Expected,
  deps: { profile: EnvelopeProfile; anchors: TrustAnchors; directory: Directory; notAfter?: number },
): Promise<Check<ReceiptClaims>> {
  let verified
  try {
    verified = await deps.profile.verifyReceipt(receipt)
  } catch {
    return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: 'the receipt signature does not verify' }
  }
  const { claims, signerChain } = verified
  const mismatch = (['messageId', 'from', 'to', 'envelopeSha256'] as const).find((k) => {
    const claimKey = k === 'messageId' ? 'mid' : k
    return claims[claimKey] !== expected[k]
  })
  if (mismatch) return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt's ${mismatch} is not what was sent` }
  if (claims.profile !== deps.profile.id) return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: 'the receipt names another profile' }
  // Validate the chain at the time the receipt claims; PROTOCOL.md §6.4 says what that proves without a time-stamp.
  const at = new Date(claims.receivedAt)
  if (Number.isNaN(at.getTime())) return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: 'the receipt has no valid receivedAt' }
  if (deps.notAfter !== undefined && at.getTime() > deps.notAfter) {
    return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt claims a time in the future (${claims.receivedAt})` }
  }
  const chain = await deps.anchors.validate(signerChain, { at, role: 'signing' })
  if (!chain.ok) return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt signer certificate does not validate: ${chain.reason}` }
  if (!deps.directory.isSigningCertOf(expected.to, fingerprint(signerChain[0]!))) {
    return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt is not signed by a signing certificate of "${expected.to}"` }
  }
  // PROTOCOL.md §6.3, §20.5: the recipient's log checkpoint, signed by the recipient, covering the entry.
  if (claims.log !== undefined) {
    try {
      const c = verifyCheckpoint(claims.log.checkpoint, 'log')
      await checkCheckpointSigner(c, expected.to, deps, 'log')
      if (claims.log.index >= c.body.size) return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt's log entry ${claims.log.index} is not in its checkpoint of ${c.body.size} entries` }
    } catch (e) {
      if (!isSarabanError(e)) throw e
      return { ok: false, code: 'ERR_RECEIPT_INVALID', reason: `the receipt's ${e.detail ?? e.code}` }
    }
  }
  return { ok: true, value: claims }
}
