// The claims of a stored receipt (PROTOCOL.md §6.2, §12.6), read synchronously inside the write that
// appends the entry (the profiles' verifyReceipt is async; the two formats' verifiers are not).
// The signature is checked too: a receipt that does not verify gives no entry but an error.
import { verifyV1Receipt } from '../../crypto/jose/v1-receipt.js'
import { verifyCmsReceipt } from '../../crypto/cms/v1-receipt.js'
import type { ReceiptClaims } from '../../crypto/types.js'

/** A compact JWS (jose-v1, jose-v2) is kept as itself; a cms-v1 receipt as standard base64 DER. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export function storedReceiptBytes(text: string): Buffer {
  return COMPACT_JWS.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'base64')
}

export function storedReceiptClaims(text: string): ReceiptClaims {
  const bytes = storedReceiptBytes(text)
  return (COMPACT_JWS.test(text) ? verifyV1Receipt(bytes) : verifyCmsReceipt(bytes)).claims
}
