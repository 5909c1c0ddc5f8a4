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
import type { NoticeStore } from '../../storage/notices.js'
import type { ClassifiedStore } from '../../storage/classified.js'

/** The receiving side's log (wired from services/log): appends and checkpoints. */
export interface ReceiveLog {
  /** The index of the `message.received` entry of these claims (appended by the storing write, migration 018), if stored. */
  indexOf(claims: ReceiptClaims): number | undefined
  /** A checkpoint of `agency`'s log including entry `index` (coalesced, PROTOCOL.md §20.4). */
  covering(agency: string, index: number): Promise<string>
}

/** Where a message stored with an empty receipt keeps its receipt: the inbox, notices, the classified store. */
export interface ReceiptKeeper {
  /** Stores the receipt text if the row has none yet; false if it had one. Inside db.write(). */
  save(mid: string, text: string): boolean
  /** The receipt text stored for `mid`. */
  stored(mid: string): string | undefined
}

/** Signs the receipt of stored claims with a covering checkpoint, and stores it. Every receipt a node
 *  signs while it keeps a log (PROTOCOL.md §6.2, §20.5): letters, notices, classified covers and statements. */
export async function signLoggedReceipt(
  d: { db: Db; log: ReceiveLog },
  keeper: ReceiptKeeper,
  profile: EnvelopeProfile,
  claims: ReceiptClaims,
  signer: SignerIdentity,
): Promise<Buffer> {
  const index = d.log.indexOf(claims)
  if (index === undefined) throw new SarabanError('ERR_INTERNAL', `log: message ${claims.mid} is stored without its message.received entry.`)
  const checkpoint = await d.log.covering(claims.to, index)
  const receipt = await profile.signReceipt({ ...claims, log: { checkpoint, index } }, signer)
  const stored = await d.db.write(() => keeper.save(claims.mid, receiptText(profile.id, receipt)) ? undefined : keeper.stored(claims.mid))
  // A concurrent replay signed and stored first: answer with the one stored, so there is one receipt.
  return stored === undefined ? receipt : receiptFromText(profile.id, stored)
}

/** Where notices keep their receipts (PROTOCOL.md §18.5). */
export function noticeReceipts(store: NoticeStore): ReceiptKeeper {
  return { save: (mid, text) => store.setReceipt(mid, text), stored: (mid) => store.peek(mid)?.receipt }
}

/** Where the classified path keeps them: a cover's, or a statement notice's (PROTOCOL.md §19.3, §19.6). */
export function classifiedReceipts(store: ClassifiedStore, statement: boolean): ReceiptKeeper {
  return { save: (mid, text) => store.setReceipt(mid, text, statement), stored: (mid) => store.peekInbound(mid)?.receipt }
}

/** A letter's receipt (the inbox keeps it). */
export function signAndStoreReceipt(
  d: { db: Db; inbox: InboxStore; log: ReceiveLog },
  profile: EnvelopeProfile,
  claims: ReceiptClaims,
  signer: SignerIdentity,
): Promise<Buffer> {
  return signLoggedReceipt(d, { save: (mid, text) => d.inbox.setReceipt(mid, text), stored: (mid) => d.inbox.peek(mid)?.receipt }, profile, claims, signer)
}

/** A replay of an envelope stored without its receipt (PROTOCOL.md §20.5): sign it now. */
export async function receiptOfPending(
  d: { db: Db; inbox: InboxStore; log?: ReceiveLog | undefined },
  profile: EnvelopeProfile,
  messageId: string,
  seen: InboxPeek,
  signer: SignerIdentity,
): Promise<Buffer> {
  const keeper = { save: (mid: string, text: string) => d.inbox.setReceipt(mid, text), stored: (mid: string) => d.inbox.peek(mid)?.receipt }
  return receiptOfPendingIn({ db: d.db, log: d.log }, keeper, profile, {
    mid: messageId, from: seen.senderAgency, to: seen.recipientAgency, receivedAt: seen.receivedAt, envelopeSha256: seen.envelopeSha256, profile: seen.profile,
  }, signer)
}

/** The same for a message kept beside the inbox (notices §18.5, the classified path §19.3). */
export async function receiptOfPendingIn(
  d: { db: Db; log?: ReceiveLog | undefined },
  keeper: ReceiptKeeper,
  profile: EnvelopeProfile,
  seen: { mid: string; from: string; to: string; receivedAt: number; envelopeSha256: string; profile: string },
  signer: SignerIdentity,
): Promise<Buffer> {
  const claims: ReceiptClaims = {
    v: 1, mid: seen.mid, from: seen.from, to: seen.to, receivedAt: isoTime(seen.receivedAt), envelopeSha256: seen.envelopeSha256, profile: seen.profile,
  }
  if (d.log === undefined) throw new SarabanError('ERR_INTERNAL', `storage: message ${seen.mid} is stored without its receipt, and this node has no log to sign it with.`)
  return signLoggedReceipt({ db: d.db, log: d.log }, keeper, profile, claims, signer)
}
