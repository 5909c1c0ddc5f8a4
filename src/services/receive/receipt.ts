// PROTOCOL.md §20.5: a letter's receipt carries a checkpoint of the receiving agency's log whose tree
// includes the letter's `message.received` entry. Order: the envelope, letter and entry are stored in
// one transaction (with the receipt column RECEIPT_PENDING); a checkpoint covering everything committed
// is signed (shared by the receipts waiting at that moment); the receipt is signed and stored. A crash
// in between leaves a letter without its receipt: the sender retries, and the replay signs it then.
import { isoTime } from '../../clock.js'
import { SarabanError } from '../../errors.js'
import type { EnvelopeProfile, ReceiptClaims } from '../../crypto/profiles.js'
import { receiptFromText, receiptText } from '../../crypto/profiles.js'
import type { SignerIdentity } from '../../crypto/types.js'
import type { Db } from '../../storage/db.js'
import type { InboxPeek, InboxStore } from '../../storage/inbox.js'

/** The receiving side's log (wired from services/log): appends and checkpoints. */
export interface ReceiveLog {
  /** The index of the `message.received` entry of these claims (appended by the storing write, migration 018), if stored. */
  indexOf(claims: ReceiptClaims): number | undefined
  /** A checkpoint of `agency`'s log including entry `index` (coalesced, PROTOCOL.md §20.4). */
  covering(agency: string, index: number): Promise<string>
}

/** Signs the receipt of stored claims with a covering checkpoint, and stores it. */
export async function signAndStoreReceipt(
  d: { db: Db; inbox: InboxStore; log: ReceiveLog },
  profile: EnvelopeProfile,
  claims: ReceiptClaims,
  signer: SignerIdentity,
): Promise<Buffer> {
  const index = d.log.indexOf(claims)
  if (index === undefined) throw new SarabanError('ERR_INTERNAL', `log: message ${claims.mid} is stored without its message.received entry.`)
  const checkpoint = await d.log.covering(claims.to, index)
  const receipt = await profile.signReceipt({ ...claims, log: { checkpoint, index } }, signer)
  const stored = await d.db.write(() => d.inbox.setReceipt(claims.mid, receiptText(profile.id, receipt)) ? undefined : d.inbox.peek(claims.mid)?.receipt)
  // A concurrent replay signed and stored first: answer with the one stored, so there is one receipt.
  return stored === undefined ? receipt : receiptFromText(profile.id, stored)
}

/** A replay of an envelope stored without its receipt (PROTOCOL.md §20.5): sign it now. */
export async function receiptOfPending(
  d: { db: Db; inbox: InboxStore; log?: ReceiveLog | undefined },
  profile: EnvelopeProfile,
  messageId: string,
  seen: InboxPeek,
  signer: SignerIdentity,
): Promise<Buffer> {
  const claims: ReceiptClaims = {
    v: 1, mid: messageId, from: seen.senderAgency, to: seen.recipientAgency, receivedAt: isoTime(seen.receivedAt), envelopeSha256: seen.envelopeSha256, profile: seen.profile,
  }
  if (d.log === undefined) throw new SarabanError('ERR_INTERNAL', `storage: message ${messageId} is stored without its receipt, and this node has no log to sign it with.`)
  return signAndStoreReceipt({ ...d, log: d.log }, profile, claims, signer)
}
