// Inbound envelope checks (PROTOCOL.md §4.2), in the order they run. Each step either enriches the
// state, answers early (a replayed duplicate), or throws a coded SarabanError. Cheap checks that need
// no key come first, so a stranger cannot make the node decrypt.
import { createHash } from 'node:crypto'
import type { ByteSource } from '../../byte-source.js'
import type { LocatedEnvelope } from '../../crypto/ranged.js'
import { rangedReader } from '../../crypto/ranged-openers.js'
import { SarabanError } from '../../errors.js'
import { fingerprint, notAfter, notBefore } from '../../pki/cert.js'
import { sentAtProblem } from '../../domain/sent-at.js'
import { validate, schemaIds } from '../../schema/index.js'
import type { Letter } from '../../domain/letter.js'
import { bindRouting, isSignedAddressee, receiptFromText, type EnvelopeHeader, type EnvelopeProfile, type Opened, type Routing } from '../../crypto/profiles.js'
import type { PlacedContent } from '../../crypto/types.js'
import type { ReceiveDeps } from './index.js'
import { decryptFailed } from '../../crypto/decrypt-failed.js'
import { letterDuplicate, RECEIPT_PENDING } from '../../storage/inbox.js'
import { classifiedReceipts, noticeReceipts, receiptOfPending, receiptOfPendingIn } from './receipt.js'
import type { TlsIdentity } from '../../pki/directory-index.js'
import type { Notice } from '../../domain/notices.js'
import type { LetterRef } from '../../storage/notices.js'
import { checkNotice } from '../notices/receive-notice.js'
import { checkClassifiedNotice, checkCover, type ClassifiedNotice, type Cover } from '../classified/receive.js'
import type { ClassifiedItem } from '../../storage/classified.js'
import type { VerifiedStatement } from '../classified/statement.js'
import { requireReceiverSigner } from '../expiry/own-signer.js'

/** Envelopes larger than this are opened without keeping their decrypted attachments (issue 16 item 2). */
export const HASHED_OPEN_BYTES = 1024 * 1024

export interface InboundState {
  /** The envelope in one buffer: as received, or (a staged body) read whole where that is needed (wholeEnvelope). */
  envelope?: Buffer
  /** The exact envelope bytes by range: the buffer's, or a body staged on disk as it arrived (issue 16 item 2). */
  readonly source: ByteSource
  readonly contentType: string
  /** The identified TLS client and the agencies it may send for (PROTOCOL.md §3.2, §16.2). */
  readonly peer: TlsIdentity
  readonly routing?: Routing | undefined
  /** Bytes put in place from held shared content, with their checked SHA-256 (PROTOCOL.md §17.8). */
  readonly shared?: PlacedContent | undefined
  envelopeSha256?: string
  profile?: EnvelopeProfile
  header?: EnvelopeHeader
  opened?: Opened
  letter?: Letter
  /** A notice (PROTOCOL.md §18) instead of a letter, and the letter envelope it is about. */
  notice?: { notice: Notice; ref: LetterRef }
  /** A classified cover (PROTOCOL.md §19.3) instead of a letter, and the opaque inner envelope. */
  classified?: { cover: Cover; inner: Buffer | undefined }
  /** An opened / received-by-hand notice about a classified item we sent (§19.6). */
  classifiedNotice?: { notice: ClassifiedNotice; item: ClassifiedItem; statement: VerifiedStatement }
  signerFingerprint?: string
  /** A staged body as the profile's ranged reader located it (its skeleton parsed, its ciphertext read by range). */
  located?: LocatedEnvelope
  /** A staged body larger than this is never read whole (limits.maxWholeEnvelopeBytes, issue 16 item 2). */
  readonly maxWholeBytes?: number
}

/** The envelope in one buffer. A staged body is read whole only where its bytes are needed whole: a
 *  classified cover (§19.3) or a notice (§18), stored as they are; a profile without a ranged reader.
 *  Those are small by nature: a staged body over limits.maxWholeEnvelopeBytes is refused (413) before
 *  it is read, so that maxEnvelopeBytes (a 1 GB letter) never becomes the size of one buffer. */
export function wholeEnvelope(s: InboundState): Buffer {
  if (s.envelope === undefined && s.maxWholeBytes !== undefined && s.source.length > s.maxWholeBytes) {
    throw new SarabanError('ERR_PAYLOAD_TOO_LARGE', `The envelope is ${s.source.length} bytes; this node reads a notice, a classified cover or a cms-v1 envelope in a framing it cannot read by range only up to ${s.maxWholeBytes} bytes (limits.maxWholeEnvelopeBytes).`)
  }
  return s.envelope ??= Buffer.from(s.source.read(0, s.source.length))
}

/** `logProof`: the value of the Saraban-Log-Proof response header (PROTOCOL.md §20.5), if any. */
export type Answer = { status: 200 | 201; receipt: Buffer; mediaType: string; logProof?: string }
export type Step = (s: InboundState, deps: ReceiveDeps) => Promise<Answer | void> | Answer | void

// A circular's signed letter, opened once for all the agencies this node hosts (open-memo.ts), is
// the same object in each of their envelopes: its schema check (§4.2 check 14, up to 10,000
// addressees) runs once. The schema fills defaults in place, so the object is the checked letter.
const validLetters = new WeakMap<object, Letter>()
function validLetter(raw: unknown): Letter {
  const held = raw !== null && typeof raw === 'object' ? validLetters.get(raw) : undefined
  if (held !== undefined) return held
  const letter = validate<Letter>(schemaIds.letter, raw, 'ERR_LETTER_INVALID')
  if (raw !== null && typeof raw === 'object') validLetters.set(raw, letter)
  return letter
}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`receive pipeline: ${what} missing (steps out of order)`)
  return v
}

export const steps: ReadonlyArray<readonly [name: string, step: Step]> = [
  ['size', (s, d) => {
    const length = s.source.length
    if (length === 0) throw new SarabanError('ERR_ENVELOPE_MALFORMED', 'The request body is empty; send the envelope bytes.')
    if (length > d.limits.maxEnvelopeBytes) {
      throw new SarabanError('ERR_PAYLOAD_TOO_LARGE', `The envelope is ${length} bytes; this node accepts at most ${d.limits.maxEnvelopeBytes}.`)
    }
    // A rebuilt envelope's digest comes from its shared part's kept hash state (§17.8, shared-ref.ts);
    // a staged body's was computed as it arrived (storage/staged-bodies.ts).
    s.envelopeSha256 ??= createHash('sha256').update(wholeEnvelope(s)).digest('hex')
  }],
  ['profile', (s, d) => {
    if (s.envelope !== undefined) {
      s.profile = d.profiles.forEnvelope(s.contentType, s.envelope)
      s.header = s.profile.peek(s.envelope, s.routing, s.shared)
      return
    }
    // Issue 16 item 2: a staged body is parsed from its skeleton (everything but the ciphertext, read
    // by the profile's ranged reader), with the profile's own parser: the same checks and codes.
    const located = new Map<EnvelopeProfile, LocatedEnvelope>()
    const locate = (p: EnvelopeProfile): LocatedEnvelope => {
      let l = located.get(p)
      if (l === undefined) located.set(p, (l = rangedReader(p.id)?.locate(s.source) ?? { skeleton: wholeEnvelope(s) }))
      return l
    }
    s.profile = d.profiles.forBytes(s.contentType, (p) => locate(p).skeleton)
    s.located = locate(s.profile)
    s.header = s.profile.peek(s.located.skeleton, s.routing, s.shared)
  }],
  ['addressed-here', (s, d) => {
    const h = need(s.header, 'header')
    if (!d.hosted.has(h.to)) {
      throw new SarabanError('ERR_RECIPIENT_NOT_HOSTED', `This node does not host agency "${h.to}".`, { field: 'srb_to' })
    }
  }],
  ['recipient-active', (s, d) => {
    // PROTOCOL.md §16.3: a hosted agency the directory does not (or no longer) list receives nothing.
    const h = need(s.header, 'header')
    const entry = d.directory().agency(h.to)
    if (!entry) throw new SarabanError('ERR_UNKNOWN_AGENCY', `Agency "${h.to}" is not in the federation directory and may not receive letters.`, { field: 'srb_to' })
    if (entry.status !== 'active') {
      throw new SarabanError('ERR_AGENCY_SUSPENDED', `Agency "${h.to}" is ${entry.status} in the federation directory and may not receive letters.`, { field: 'srb_to' })
    }
  }],
  ['receiver-can-sign', async (s, d) => {
    // PROTOCOL.md §4.2 check 4, §15.2 (issue 17 item 4): no receipt the node cannot stand behind. While the recipient's
    // signing certificate in use is revoked, 503 ERR_RECEIVER_CERT_REVOKED (the sender retries, §7.2);
    // before replay, which may sign a pending receipt.
    const h = need(s.header, 'header')
    const agency = d.hosted.get(h.to)
    if (agency) await requireReceiverSigner(d.anchors, h.to, agency.signer.chain, d.clock.now())
  }],
  ['sender-active', (s, d) => {
    const h = need(s.header, 'header')
    const entry = d.directory().agency(h.from)
    if (!entry) throw new SarabanError('ERR_UNKNOWN_AGENCY', `Agency "${h.from}" is not in the federation directory.`, { field: 'srb_from' })
    if (entry.status !== 'active') throw new SarabanError('ERR_AGENCY_SUSPENDED', `Agency "${h.from}" is ${entry.status} in the federation directory.`, { field: 'srb_from' })
  }],
  ['peer-is-sender', (s) => {
    // PROTOCOL.md §4.2 check 6, §16.2: the TLS peer is the sender, or a hosting node that lists it.
    const h = need(s.header, 'header')
    if (!s.peer.agencies.has(h.from)) {
      const who = s.peer.kind === 'agency' ? `agency "${s.peer.id}"` : `hosting node "${s.peer.id}", which does not speak for it`
      throw new SarabanError('ERR_SENDER_MISMATCH', `The TLS client is ${who}, but the envelope names sender "${h.from}".`, { field: 'srb_from' })
    }
  }],
  ['replay', async (s, d) => {
    // PROTOCOL.md §7.1: same id and same bytes → the original receipt; same id, other bytes → refused.
    const h = need(s.header, 'header')
    const letter = d.inbox.peek(h.messageId)
    // Notices are stored beside the inbox (PROTOCOL.md §18.5) and replayed the same way.
    const notice = letter ? undefined : d.notices?.peek(h.messageId)
    // So are the messages of the classified path (PROTOCOL.md §19.3).
    const secret = letter || notice ? undefined : d.classified?.store.peekInbound(h.messageId)
    const seen = letter ?? (notice && { envelopeSha256: notice.envelopeSha256, receipt: notice.receipt, recipientAgency: notice.toAgency })
      ?? (secret && { envelopeSha256: secret.envelopeSha256, receipt: secret.receipt, recipientAgency: secret.toAgency })
    if (!seen) return
    if (seen.envelopeSha256 !== s.envelopeSha256 || seen.recipientAgency !== h.to) {
      throw new SarabanError('ERR_MESSAGE_ID_CONFLICT', `Message ${h.messageId} was already received with different bytes.`, { field: 'srb_mid' })
    }
    const profile = need(s.profile, 'profile')
    if (letter && letter.receipt === RECEIPT_PENDING) {
      // PROTOCOL.md §20.5: stored, but the node stopped before signing its receipt: sign it now.
      const agency = d.hosted.get(h.to)
      if (!agency) throw new SarabanError('ERR_RECIPIENT_NOT_HOSTED', `This node does not host agency "${h.to}".`, { field: 'srb_to' })
      return { status: 200, receipt: await receiptOfPending({ db: d.db, inbox: d.inbox, log: d.tlog }, profile, h.messageId, letter, agency.signer), mediaType: profile.receiptMediaType }
    }
    if (seen.receipt === RECEIPT_PENDING && (notice || secret)) {
      // The same for a notice or a message of the classified path (PROTOCOL.md §20.5, every receipt).
      const agency = d.hosted.get(h.to)
      if (!agency) throw new SarabanError('ERR_RECIPIENT_NOT_HOSTED', `This node does not host agency "${h.to}".`, { field: 'srb_to' })
      const keeper = notice ? noticeReceipts(d.notices!) : classifiedReceipts(d.classified!.store, secret!.statement)
      const from = notice ? notice.fromAgency : secret!.fromAgency
      const receivedAt = notice ? notice.receivedAt : secret!.receivedAt
      const signed = await receiptOfPendingIn({ db: d.db, log: d.tlog }, keeper, profile, {
        mid: h.messageId, from, to: h.to, receivedAt, envelopeSha256: seen.envelopeSha256, profile: notice?.profile ?? secret!.profile ?? profile.id,
      }, agency.signer)
      return { status: 200, receipt: signed, mediaType: profile.receiptMediaType }
    }
    return { status: 200, receipt: receiptFromText(profile.id, seen.receipt), mediaType: profile.receiptMediaType }
  }],
  ['decrypt-and-verify', async (s, d) => {
    const h = need(s.header, 'header')
    const profile = need(s.profile, 'profile')
    // PROTOCOL.md §16.4: a retired key (no longer in the directory) still opens stored letters, never new ones.
    const directory = d.directory()
    const key = d.hosted.decryptionKeys(h.to).find((k) => profile.matchesRecipient(h, k.cert) && directory.isEncryptionCertOf(h.to, fingerprint(k.cert)))
    // PROTOCOL.md §4.2: one text for every decryption failure, a missing key included (no oracle).
    if (!key) throw decryptFailed()
    // The routing is bound before the attachments are framed (§4.2 checks 11 then 12, every profile).
    // Issue 16 item 2: a large envelope's attachments are hashed as decrypted, not kept, where the
    // profile can; a classified cover's one attachment (the inner envelope, §19.3) is needed: opened whole.
    // Issue 16 item 3: open() with the memo opens a circular's shared content once per node.
    // A staged body (issue 16 item 2) is decrypted from its file in slices, the tag verified before
    // anything is judged, as openHashed() does (crypto/ranged.ts openReceived).
    const ranged = s.located && rangedReader(profile.id)
    const hashed = s.located && ranged ? ranged.openReceived(s.located, key.key, h, () => wholeEnvelope(s))
      : s.envelope !== undefined && s.envelope.length > HASHED_OPEN_BYTES && profile.openHashed ? await profile.openHashed(s.envelope, key.key, h) : undefined
    s.opened = hashed && hashed.payload.classified === undefined ? hashed : await profile.open(wholeEnvelope(s), key.key, h, d.openMemo, s.shared)
  }],
  ['header-binding', (s) => {
    // PROTOCOL.md §4.2: what routed the envelope must be what the sender signed, whatever the profile.
    // v1 signs mid, from and to; v2 signs from and the letter's addressees (§17.3).
    bindRouting(need(s.opened, 'opened').payload, need(s.header, 'header'))
  }],
  ['signer-trusted', async (s, d) => {
    const h = need(s.header, 'header')
    const chain = need(s.opened, 'opened').signerChain
    const check = await d.anchors.validate(chain, { at: new Date(d.clock.now()), role: 'signing' })
    if (!check.ok) throw new SarabanError(check.code, `The signer certificate does not validate: ${check.reason}`)
    const fp = fingerprint(chain[0]!)
    if (!d.directory().isSigningCertOf(h.from, fp)) {
      throw new SarabanError('ERR_SIGNER_UNTRUSTED', `The signer certificate is not a signing certificate of agency "${h.from}" in the directory.`)
    }
    s.signerFingerprint = fp
  }],
  ['sent-at', (s, d) => {
    // PROTOCOL.md §5.4 "The window of sentAt": a signed time the receiver's clock and the signer's
    // certificate make believable, so that evidence (§8.2 step 4 judges the chain at sentAt) can
    // verify what this node accepts and the time it shows is not a fiction.
    const { payload, signerChain } = need(s.opened, 'opened')
    const leaf = signerChain[0]!
    const problem = sentAtProblem(payload.sentAt, { from: notBefore(leaf), to: notAfter(leaf) }, d.clock.now())
    if (problem) throw new SarabanError('ERR_SENT_AT_OUT_OF_RANGE', `The signed sentAt ${problem}.`, { field: '/sentAt' })
  }],
  ['letter-valid', async (s, d) => {
    const h = need(s.header, 'header')
    const payload = need(s.opened, 'opened').payload
    if (payload.classified !== undefined) {
      // PROTOCOL.md §19.3: a cover is checked in place of the letter; the inner envelope stays opaque.
      if (!d.classified) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'This node does not accept classified letters.', { field: '/classified' })
      s.classified = checkCover(d.classified, payload.classified, h, need(s.opened, 'opened').attachments)
      return
    }
    const type = (payload.notice as { type?: unknown } | undefined)?.type
    if (type === 'opened' || type === 'received-by-hand') {
      // PROTOCOL.md §19.6: §18 extended; the officer's statement is verified again on this side.
      if (!d.classified) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'This node does not accept classified notices.', { field: '/notice/type' })
      s.classifiedNotice = await checkClassifiedNotice(d.classified, payload.notice, h)
      return
    }
    if (payload.notice !== undefined) {
      // PROTOCOL.md §18.5: a notice is checked in place of the letter.
      s.notice = checkNotice(d, payload.notice, h)
      return
    }
    const letter = validLetter(need(s.opened, 'opened').payload.letter)
    if (letter.sender.agency !== h.from) {
      throw new SarabanError('ERR_LETTER_INVALID', 'The letter names a different sending agency than the envelope.', { field: '/sender/agency' })
    }
    // PROTOCOL.md §4.2 check 14, §17.3: a recipient or a copyTo addressee.
    if (!isSignedAddressee(letter, h.to)) {
      throw new SarabanError('ERR_LETTER_INVALID', `The letter does not list "${h.to}" among its recipients or copyTo.`, { field: '/recipients' })
    }
    s.letter = letter
  }],
  ['letter-once', (s, d) => {
    // PROTOCOL.md §17.5: a letter signed once for many (v2) reaches each recipient once; a copy under
    // a new message id is refused (the first one's receipt already proves delivery).
    const h = need(s.header, 'header')
    const p = need(s.opened, 'opened').payload
    if (p.v !== 2) return
    const first = d.inbox.messageOfLetter({ recipientAgency: h.to, senderAgency: h.from, senderLetterId: p.lid })
    if (first !== undefined && first !== h.messageId) throw letterDuplicate(h.messageId, first)
  }],
  ['sender-checkpoint', async (s, d) => {
    // PROTOCOL.md §5.4, §20.6: the sender's latest log checkpoint, signed inside the payload, is
    // verified (a sender that signs a bad one is refused) and kept as a witness of its log.
    const checkpoint = need(s.opened, 'opened').payload.checkpoint
    if (checkpoint === undefined || !d.witness) return
    const h = need(s.header, 'header')
    await d.witness.observe(checkpoint, h.from, 'envelope', h.messageId, '/checkpoint')
  }],
]
