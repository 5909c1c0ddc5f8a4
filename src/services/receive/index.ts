// Receive use case (PROTOCOL.md §4.2, §6): run the check steps, sign a receipt that binds the exact
// envelope bytes, store envelope + letter + attachment list + receipt in one transaction, answer
// with the receipt. Attachment bytes stay inside the (encrypted) envelope; see services/inbox-read.ts.
import { SarabanError } from '../../errors.js'
import { isoTime, type Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import { sharedContent, type EnvelopeContent, type InboxStore } from '../../storage/inbox.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Directory } from '../../pki/directory.js'
import { receiptFromText, receiptText, type ProfileTable } from '../../crypto/profiles.js'
import type { HostedAgencies } from '../hosting/agencies.js'
import { steps, wholeEnvelope, type Answer, type InboundState } from './steps.js'
import { bufferSource, type ByteSource } from '../../byte-source.js'
import type { Routing } from '../../crypto/profiles.js'
import type { OpenMemo } from '../../crypto/types.js'
import type { TlsIdentity } from '../../pki/directory-index.js'
import type { Timestamping } from '../timestamping.js'
import type { NoticeStore } from '../../storage/notices.js'
import type { EventSink } from '../../domain/events.js'
import { storeNotice } from '../notices/receive-notice.js'
import { storeInbound, storeInboundNotice, type ClassifiedReceiveDeps } from '../classified/receive.js'
import { randomUUID } from 'node:crypto'
import { RECEIPT_PENDING } from '../../storage/inbox.js'
import { classifiedReceipts, inboxReceipts, noticeReceipts, signAndStoreReceipt, signInCommit, signLoggedReceipt, type InCommitReceipt, type ReceiveLog } from './receipt.js'
import type { Witness } from '../log/witness.js'

export interface ReceiveDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly inbox: InboxStore
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  /** maxWholeEnvelopeBytes: the largest staged body read whole (a notice, a classified cover, a framing
   *  the ranged reader does not follow; issue 16 item 2): at most maxEnvelopeBytes, and below it once that is raised for 1 GB letters. */
  readonly limits: { readonly maxEnvelopeBytes: number; readonly maxWholeEnvelopeBytes?: number }
  /** Throws ERR_DIRECTORY_STALE (503, the sender retries) while the directory is stale (PROTOCOL.md §14.4). */
  readonly requireFreshDirectory?: () => void
  /** RFC 3161 stamps of the accepted letter's signature and of our receipt (PROTOCOL.md §13.4). */
  readonly timestamps?: Timestamping
  /** Notices (PROTOCOL.md §18): absent, a node refuses them. */
  readonly notices?: NoticeStore
  /** letter.received for the recipient agency's saraban systems (issue 5 §6), in the storing transaction. */
  readonly events?: EventSink
  /** PROTOCOL.md §17.8: the shared bytes with this SHA-256 and length, if held from a message whose
   *  sender is one of `senders`; absent, the node does not resolve references (and does not say it does). */
  readonly sharedContent?: (sha256: string, length: number, senders: ReadonlySet<string>) => Buffer | undefined
  /** Shared content already opened (PROTOCOL.md §17.1, open-memo.ts); absent, every envelope is opened anew. */
  readonly openMemo?: OpenMemo
  /** Classified letters and their notices (PROTOCOL.md §19); absent, the node refuses them. */
  readonly classified?: ClassifiedReceiveDeps
  /** The agency's transparency log (PROTOCOL.md §20.5): absent, letter receipts carry no checkpoint. */
  readonly tlog?: ReceiveLog
  /** Keeps the senders' log checkpoints (PROTOCOL.md §20.6); absent, they are not checked. */
  readonly witness?: Witness
}

export interface Inbound {
  /** The envelope bytes: in one buffer, or (a large body, issue 16 item 2) staged on disk as it arrived
   *  and read by range, with the SHA-256 computed as it was written (storage/staged-bodies.ts). */
  readonly envelope: Buffer | { readonly source: ByteSource; readonly sha256: string }
  readonly contentType: string
  /** The identified TLS client and the agencies it may send for (PROTOCOL.md §3.2, §16.2). */
  readonly peer: TlsIdentity
  /** From the request headers (PROTOCOL.md §4.1); required by profiles that cannot route before decrypting. */
  readonly routing?: Routing | undefined
  /** Where held shared bytes were put in place (PROTOCOL.md §17.8), with their verified SHA-256. */
  readonly shared?: EnvelopeContent | undefined
  /** The envelope's SHA-256 when the caller computed it from the same bytes (federation/shared-ref.ts). */
  readonly envelopeSha256?: string | undefined
}

// The stored text of a circular's letter, made once for all the hosted agencies it reaches (issue 16 item 3).
const letterJsons = new WeakMap<object, string>()
function letterJsonOf(letter: object): string {
  let json = letterJsons.get(letter)
  if (json === undefined) letterJsons.set(letter, (json = JSON.stringify(letter)))
  return json
}

export async function receiveEnvelope(deps: ReceiveDeps, inbound: Inbound): Promise<Answer> {
  deps.requireFreshDirectory?.()
  const { envelope, envelopeSha256, ...rest } = inbound
  const s: InboundState = Buffer.isBuffer(envelope)
    ? { ...rest, envelope, source: bufferSource(envelope), ...(envelopeSha256 !== undefined ? { envelopeSha256 } : {}) }
    : { ...rest, source: envelope.source, envelopeSha256: envelope.sha256, ...(deps.limits.maxWholeEnvelopeBytes !== undefined ? { maxWholeBytes: deps.limits.maxWholeEnvelopeBytes } : {}) }
  for (const [, step] of steps) {
    const early = await step(s, deps)
    if (early) return early
  }
  const h = s.header!
  const opened = s.opened!
  const profile = s.profile!
  const receivedAt = deps.clock.now()
  const agency = deps.hosted.get(h.to)
  // PROTOCOL.md §16.3: the agency may have been removed while this envelope was being checked.
  if (!agency) throw new SarabanError('ERR_RECIPIENT_NOT_HOSTED', `This node does not host agency "${h.to}".`, { field: 'srb_to' })
  const claims = { v: 1 as const, mid: h.messageId, from: h.from, to: h.to, receivedAt: isoTime(receivedAt), envelopeSha256: s.envelopeSha256!, profile: profile.id }
  const tlog = deps.tlog
  // PROTOCOL.md §6.2, §20.4, §20.5: with a log, every receipt (letter, notice, classified cover or
  // statement) is signed once the message's entry is written (letters and notices: before the storing
  // transaction commits, handed out after it), and carries a checkpoint covering it.
  const receipt = tlog ? undefined : await profile.signReceipt(claims, agency.signer)
  const receiptOrPending = receipt ? receiptText(profile.id, receipt) : RECEIPT_PENDING
  const signerCert = opened.signerChain[0]!
  const signerJson = JSON.stringify({
    agency: h.from,
    subject: signerCert.subject,
    fingerprint: s.signerFingerprint,
    chain: opened.signerChain.map((c) => c.raw.toString('base64')),
    signedAt: opened.payload.sentAt,
  })
  if (s.classified || s.classifiedNotice) {
    // PROTOCOL.md §19.3, §19.6: stored beside the inbox, never in it; no letter event is raised.
    const c = deps.classified!
    const common = { messageId: h.messageId, envelopeSha256: s.envelopeSha256!, receipt: receiptOrPending, receivedAt, peer: s.peer.id }
    const prior = await deps.db.write(() => {
      const seen = c.store.peekInbound(h.messageId)
      if (seen) return seen
      if (s.classified) {
        storeInbound(c, { ...common, from: h.from, to: h.to, cover: s.classified.cover, inner: s.classified.inner, envelope: wholeEnvelope(s), profile: profile.id, signerJson }, randomUUID())
      } else {
        storeInboundNotice(c, { ...common, ...s.classifiedNotice!, profile: profile.id })
      }
      return undefined
    })
    const keeper = classifiedReceipts(c.store, !s.classified)
    if (prior) {
      if (prior.envelopeSha256 !== s.envelopeSha256) throw new SarabanError('ERR_MESSAGE_ID_CONFLICT', `Message ${h.messageId} was already received with different bytes.`)
      // A concurrent copy stored it and is signing its receipt: sign (the first stored wins).
      const r = prior.receipt === RECEIPT_PENDING && tlog
        ? await signLoggedReceipt({ db: deps.db, log: tlog }, keeper, profile, { ...claims, receivedAt: isoTime(prior.receivedAt) }, agency.signer)
        : receiptFromText(profile.id, prior.receipt)
      return { status: 200, receipt: r, mediaType: profile.receiptMediaType }
    }
    const signedC = tlog ? await signLoggedReceipt({ db: deps.db, log: tlog }, keeper, profile, claims, agency.signer) : receipt!
    // Ids and the control number only: never the addressee's position or anything inside (§19.3).
    deps.log.info({ event: s.classified ? 'classified.received' : 'classified.notice.received', messageId: h.messageId, from: h.from, to: h.to }, 'classified message received')
    return { status: 201, receipt: signedC, mediaType: profile.receiptMediaType }
  }
  if (s.notice) {
    const { notice, ref } = s.notice
    let inCommitN: InCommitReceipt | undefined
    const r = await storeNotice(deps, {
      messageId: h.messageId, type: notice.type, refersTo: notice.messageId, fromAgency: h.from, toAgency: h.to,
      noticeJson: JSON.stringify(notice), createdAt: receivedAt, profile: profile.id, envelopeSha256: s.envelopeSha256!,
      signed: opened.signedBytes, signerJson, receipt: receiptOrPending, envelope: wholeEnvelope(s),
    }, notice, ref, () => {
      // PROTOCOL.md §20.4: its receipt is signed and stored at the end of this very transaction, as a letter's.
      if (tlog) inCommitN = signInCommit({ db: deps.db, log: tlog }, noticeReceipts(deps.notices!), profile, claims, agency.signer)
      // Both stamps queued with it, as a letter's: a receipt signed after the commit is stamped once stored (the stamp waits for it).
      deps.timestamps?.record([{ messageId: h.messageId, side: 'inbox', kind: 'letter', signature: opened.signature }, { messageId: h.messageId, side: 'inbox', kind: 'receipt' }])
    })
    if (!r.inserted && r.duplicate === 'kind') throw new SarabanError('ERR_NOTICE_CONFLICT', `A notice of this kind about letter ${notice.messageId} was already received.`, { field: '/notice/type' })
    if (!r.inserted) {
      if (r.envelopeSha256 !== s.envelopeSha256) throw new SarabanError('ERR_MESSAGE_ID_CONFLICT', `Message ${h.messageId} was already received with different bytes.`)
      const seen = r.receipt === RECEIPT_PENDING && tlog ? deps.notices!.peek(h.messageId) : undefined
      const again = seen && tlog
        ? await signLoggedReceipt({ db: deps.db, log: tlog }, noticeReceipts(deps.notices!), profile, { ...claims, receivedAt: isoTime(seen.receivedAt) }, agency.signer)
        : receiptFromText(profile.id, r.receipt)
      return { status: 200, receipt: again, mediaType: profile.receiptMediaType }
    }
    const signedN = tlog ? (inCommitN?.receipt ?? await signLoggedReceipt({ db: deps.db, log: tlog }, noticeReceipts(deps.notices!), profile, claims, agency.signer)) : receipt!
    deps.log.info({ event: 'notice.received', messageId: h.messageId, type: notice.type, refersTo: notice.messageId, from: h.from, to: h.to }, 'notice received')
    return { status: 201, receipt: signedN, mediaType: profile.receiptMediaType, ...(inCommitN?.logProof ? { logProof: inCommitN.logProof } : {}) }
  }
  const letter = s.letter!
  // PROTOCOL.md §17.1: only a letter signed for many (v2 payload) has its content encrypted once for
  // several recipients; those this node hosts share one stored copy (migration 012). Hashed here,
  // outside the write transaction.
  // A staged body (issue 16 item 2) is hashed a chunk at a time where its ranged reader located the content.
  const content = opened.payload.v !== 2 ? undefined
    : s.envelope !== undefined ? sharedContent(s.envelope, profile.contentSpan(s.envelope), inbound.shared)
      : sharedContent(s.source, s.located!.ciphertext !== undefined ? s.located!.span : profile.contentSpan(s.located!.skeleton))
  let inCommit: InCommitReceipt | undefined
  const result = await deps.db.write(() => {
    const r = deps.inbox.insert(
      {
        messageId: h.messageId,
        recipientAgency: h.to,
        senderAgency: h.from,
        profile: profile.id,
        envelope: s.envelope ?? s.source, // a staged body: copied into chunk rows a chunk at a time, in this transaction
        envelopeSha256: s.envelopeSha256!,
        letterJson: letterJsonOf(letter),
        signerJson,
        receivedAt,
        receipt: receiptOrPending,
        senderLetterId: opened.payload.v === 2 ? opened.payload.lid : undefined, // PROTOCOL.md §17.5
        content,
      },
      letter.attachments,
    )
    // PROTOCOL.md §20.4: its receipt is signed and stored at the end of this very transaction.
    if (r.inserted && tlog) inCommit = signInCommit({ db: deps.db, log: tlog }, inboxReceipts(deps.inbox), profile, claims, agency.signer)
    if (r.inserted) deps.timestamps?.record([{ messageId: h.messageId, side: 'inbox', kind: 'letter', signature: opened.signature }, { messageId: h.messageId, side: 'inbox', kind: 'receipt' }])
    if (r.inserted) {
      deps.events?.emit({
        agency: h.to, type: 'letter.received', messageId: h.messageId,
        data: { from: h.from, receivedAt: isoTime(receivedAt), kind: letter.kind, urgency: letter.urgency, secrecy: letter.secrecy, attachments: letter.attachments.length, ...(letter.deliverBy ? { deliverBy: letter.deliverBy } : {}) },
      })
    }
    return r
  })
  if (!result.inserted) {
    // Lost a race with a concurrent copy of the same message: answer as for any duplicate.
    if (result.envelopeSha256 !== s.envelopeSha256) {
      throw new SarabanError('ERR_MESSAGE_ID_CONFLICT', `Message ${h.messageId} was already received with different bytes.`)
    }
    return { status: 200, receipt: receiptFromText(profile.id, result.receipt), mediaType: profile.receiptMediaType }
  }
  const signed = tlog ? (inCommit?.receipt ?? await signAndStoreReceipt({ db: deps.db, inbox: deps.inbox, log: tlog }, profile, claims, agency.signer)) : receipt!
  deps.log.info({ event: 'letter.received', messageId: h.messageId, from: h.from, to: h.to, bytes: s.source.length }, 'letter received')
  return { status: 201, receipt: signed, mediaType: profile.receiptMediaType, ...(inCommit?.logProof ? { logProof: inCommit.logProof } : {}) }
}
