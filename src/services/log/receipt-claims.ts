// The claims of a stored receipt (PROTOCOL.md §6.2, §12.6), read synchronously inside the write that
// appends its entry. Parsed only, never verified here: the receipt was verified before it was stored
// (§6.3), and its bytes are bound by the entry's receiptSha256 (verifying a cms-v1 receipt again cost
// ~3 ms per delivery inside the transaction; reading it costs next to nothing).
import { hash } from 'node:crypto'
import { readSignedContent } from '../../crypto/cms/signed-data.js'
import { OID_CT_SARABAN_RECEIPT } from '../../crypto/cms/oids.js'
import { parseJsonObject } from '../../crypto/jose/compact.js'
import { claimsProblem } from '../../crypto/jose/v1-receipt.js'
import type { ReceiptClaims } from '../../crypto/types.js'

/** A compact JWS (jose-v1, jose-v2) is kept as itself; a cms-v1 receipt as standard base64 DER. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export function storedReceiptBytes(text: string): Buffer {
  return COMPACT_JWS.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'base64')
}

/** SHA-256 (hex) of storedReceiptBytes(text): a compact JWS is ASCII, so its text is hashed as it is
 *  (hash() encodes a string as UTF-8: the same bytes), without a ~6 KB copy per receipt (issue 14 §6). */
export function storedReceiptSha256(text: string): string {
  return COMPACT_JWS.test(text) ? hash('sha256', text, 'hex') : hash('sha256', Buffer.from(text, 'base64'), 'hex')
}

/** Receipts this process verified just before storing them (issue 14 §6: the write that marks a
 *  letter delivered appends its message.delivered entry at once, and parsing the receipt again cost
 *  the sender ~1 % of its CPU). By message id, used only for the exact text noted (a Map keyed by the
 *  ~6 KB text itself would hash all of it at every lookup); the claims are what verifying parsed from
 *  the same bytes, so they are what parsing them here would give. */
const VERIFIED_MAX = 64
const verified = new Map<string, { readonly text: string; readonly claims: ReceiptClaims }>()

/** Call with the message id, the text about to be stored and the claims its verification returned. */
export function noteVerifiedReceipt(messageId: string, text: string, claims: ReceiptClaims): void {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
  verified.set(messageId, { text, claims })
}

/** Throws an Error naming what is wrong when the stored text is not a receipt. `messageId`: the
 *  message whose receipt it is, if known (looks among the receipts noted as verified). */
export function storedReceiptClaims(text: string, messageId?: string): ReceiptClaims {
  const known = messageId === undefined ? undefined : verified.get(messageId)
  if (known !== undefined && known.text === text) return known.claims
  let payload: Buffer
  if (COMPACT_JWS.test(text)) {
    payload = Buffer.from(text.split('.')[1]!, 'base64url')
  } else {
    const c = readSignedContent(Buffer.from(text, 'base64'))
    if (c.contentType !== OID_CT_SARABAN_RECEIPT) throw new Error('log: the stored cms-v1 receipt does not hold receipt claims')
    payload = c.payload
  }
  const claims = parseJsonObject(payload)
  const problem = claims === undefined ? 'not a JSON object' : claimsProblem(claims)
  if (problem !== undefined) throw new Error(`log: the stored receipt's claims are not a receipt's: ${problem}`)
  return claims as unknown as ReceiptClaims
}
