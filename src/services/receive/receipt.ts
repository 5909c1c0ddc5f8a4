// PROTOCOL.md §20.4, §20.5: a letter's receipt carries a checkpoint of the receiving agency's log whose
// tree includes the letter's `message.received` entry. A letter or a notice: the envelope, message and
// entry are stored in one transaction, and at its end, before COMMIT, one checkpoint of the tree it
// commits is signed and kept, and every receipt of the transaction is signed with it and stored in it
// (signInCommit); they are handed out only once COMMIT returned. A crash before COMMIT leaves nothing,
// and no signature left the process. Otherwise (classified messages, a replay of a message stored
// without its receipt, or when that signing failed),
// the message is stored with the receipt column RECEIPT_PENDING; a checkpoint covering everything
// committed is signed (shared by the receipts waiting at that moment); the receipt is signed and
// stored in a second transaction. A crash in between leaves the message without its receipt: the
// sender retries, and the replay signs it then.
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
  /** Signing inside the storing transaction (PROTOCOL.md §20.4); absent, every receipt is signed after it. */
  readonly inCommit?: {
    /** In a db.beforeCommit hook: a checkpoint of the head this transaction commits, kept in it. */
    signUncommitted(agency: string): { size: number; jws: string }
    /** After COMMIT: that checkpoint is ours to hand out. */
    adopt(agency: string, c: { size: number; jws: string }): void
    /** In the same hook: the inclusion proof of entry `index` in the tree of `size` (PROTOCOL.md §20.5,
     *  the `proof/inclusion` answer), sent with the receipt; absent, the sender asks for it later. */
    prove?(agency: string, index: number, size: number): { size: number; index: number; proof: string[] }
  }
}

/** Filled once the write() that asked for it resolved; empty if it could not be signed in it. `logProof`:
 *  the Saraban-Log-Proof header's value (PROTOCOL.md §20.5), when the proof could be made with it. */
export interface InCommitReceipt { receipt?: Buffer; logProof?: string }

/** The checkpoints signed in the running transaction, per agency: every receipt of one transaction shares one. */
const inBatch = new WeakMap<Db, { batch: number; byAgency: Map<string, { size: number; jws: string }> }>()

/** Inside the write() fn that stored the message (and so appended its `message.received` entry):
 *  signs its receipt at the end of that transaction, before COMMIT, with a checkpoint of the tree
 *  the transaction commits (PROTOCOL.md §20.4), and stores it there. Read `receipt` only after the
 *  write resolved; when it is empty (the log cannot sign in a transaction, or signing failed), sign
 *  with signLoggedReceipt. */
export function signInCommit(
  d: { db: Db; log: ReceiveLog },
  keeper: ReceiptKeeper,
  profile: EnvelopeProfile,
  claims: ReceiptClaims,
  signer: SignerIdentity,
): InCommitReceipt {
  const slot: InCommitReceipt = {}
  const now = d.log.inCommit
  if (!now) return slot
  let used: { size: number; jws: string } | undefined
  let made: InCommitReceipt = {}
  d.db.beforeCommit(() => {
    made = {}
    const index = d.log.indexOf(claims)
    if (index === undefined) return
    const batch = d.db.batchId!
    let mine = inBatch.get(d.db)
    if (mine?.batch !== batch) inBatch.set(d.db, (mine = { batch, byAgency: new Map() }))
    const held = mine.byAgency.get(claims.to)
    const checkpoint = held && held.size > index ? held : now.signUncommitted(claims.to)
    try {
      const receipt = profile.signReceiptNow({ ...claims, log: { checkpoint: checkpoint.jws, index } }, signer)
      if (!keeper.save(claims.mid, receiptText(profile.id, receipt))) return
      const logProof = logProofHeader(now, claims.to, index, checkpoint.size)
      made = { receipt, ...(logProof !== undefined ? { logProof } : {}) }
    } finally {
      // Kept in this hook's savepoint: shared with the next hooks only once this one released it.
      if (checkpoint !== held && made.receipt) mine.byAgency.set(claims.to, checkpoint)
    }
    used = checkpoint
  }, () => {
    // Only once this hook's work committed: a hook rolled back after it ran (its entries could not be
    // built) leaves the message without its receipt, and the caller signs one after the commit.
    Object.assign(slot, made)
    if (used) now.adopt(claims.to, used)
  })
  return slot
}

/** PROTOCOL.md §20.5 "The proof with the receipt": the proof/inclusion answer as compact JSON. A proof
 *  that cannot be made leaves the header out (the sender asks for it later); it never costs the receipt. */
function logProofHeader(now: NonNullable<ReceiveLog['inCommit']>, agency: string, index: number, size: number): string | undefined {
  if (!now.prove) return undefined
  try {
    return JSON.stringify(now.prove(agency, index, size))
  } catch {
    return undefined
  }
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

/** Where letters keep theirs: the inbox. */
export function inboxReceipts(inbox: InboxStore): ReceiptKeeper {
  return { save: (mid, text) => inbox.setReceipt(mid, text), stored: (mid) => inbox.peek(mid)?.receipt }
}

/** A letter's receipt (the inbox keeps it). */
export function signAndStoreReceipt(
  d: { db: Db; inbox: InboxStore; log: ReceiveLog },
  profile: EnvelopeProfile,
  claims: ReceiptClaims,
  signer: SignerIdentity,
): Promise<Buffer> {
  return signLoggedReceipt(d, inboxReceipts(d.inbox), profile, claims, signer)
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
