// The envelope-profile interface (PROTOCOL.md §5, §6). A profile turns a signed letter plus its
// attachments into opaque envelope bytes for one recipient, and back; it also signs and verifies
// receipts. Profiles never decide trust: they return the signer's chain for pki/ to validate.
import type { X509Certificate } from 'node:crypto'
import type { PrivateKeyRef } from './keys/private-key.js'
import type { PlainPart, RegionSink } from './seal-sink.js'

/** One item of letter.attachments[] (the signed manifest, PROTOCOL.md §5.3). */
export interface AttachmentManifestItem {
  id: string
  filename: string
  mediaType: string
  size: number
  sha256: string // lowercase hex
}

/**
 * The letter as the profile sees it: any JSON-able object (domain/letter.ts `Letter`, validated by
 * the services) with an attachments manifest in bundle order. No index signature, so that domain
 * interfaces are assignable.
 */
export interface LetterObject {
  attachments?: readonly AttachmentManifestItem[]
}

export interface SignerIdentity<K extends PrivateKeyRef = PrivateKeyRef> {
  agency: string
  /** A key in memory, or a handle over one on a token (issue 12 §1). */
  key: K
  chain: X509Certificate[] // leaf first, no root
}

export interface SealInput {
  messageId: string
  from: string
  to: string
  sentAt: string // ISO 8601 UTC
  letter: LetterObject
  attachments: Buffer[] // same count, order and sizes as letter.attachments
  signer: SignerIdentity
  recipientCert: X509Certificate
  /** A notice (PROTOCOL.md §18) instead of a letter: signed as the payload's `notice` member in place
   *  of `letter`; then `letter` must be `{}` and `attachments` empty. */
  notice?: object
  /** A classified cover (PROTOCOL.md §19.3) instead of a letter: signed as the payload's `classified`
   *  member; its `attachments` manifest lists the one inner envelope. Then `letter` must be `{}`. */
  classified?: object
  /** The sender's latest log checkpoint (compact JWS, PROTOCOL.md §5.4, §20.5), signed inside the
   *  payload; absent while its log is empty. */
  checkpoint?: string | undefined
}

export interface Sealed {
  envelope: Buffer
  envelopeSha256: string // lowercase hex of the exact envelope bytes
  mediaType: string
  /** The content encryption key: the sender keeps it so an auditor can open this envelope (PROTOCOL.md §8). Secret. */
  contentKey: Buffer
  /** The raw signature value of the signed letter (JWS signature bytes; CMS SignerInfo.signature):
   *  the message imprint of its RFC 3161 time-stamp is SHA-256 of these bytes (PROTOCOL.md §13). */
  signature: Buffer
}

/** Routing fields as the federation request carries them outside the envelope (PROTOCOL.md §4.1:
 *  Saraban-Message-Id, Saraban-From, Saraban-To). A profile whose envelope cannot name its parties
 *  before decryption (cms-v1) requires them; one that can (jose-v1) checks that they agree. */
export interface Routing {
  messageId: string
  from: string
  to: string
}

/** What a receiver may learn before decrypting (parse only, no crypto). */
export interface EnvelopeHeader {
  profile: string
  messageId: string
  from: string
  to: string
  recipientKeyId: string // opaque to callers (jose-v1: JWE x5t#S256); match keys with EnvelopeProfile.matchesRecipient
}

/** PROTOCOL.md §5.4: one recipient; the signature names the message and the recipient. */
export interface SignedPayloadV1 {
  v: 1
  mid: string
  from: string
  to: string
  sentAt: string
  /** The sender's latest log checkpoint (PROTOCOL.md §5.4, §20.5). */
  checkpoint?: string
  /** Exactly one of `letter` and `notice` is present (PROTOCOL.md §5.4, §18.2). */
  letter?: any // validated against the letter schema by the receive service, not here
  notice?: any // validated against the notice schema by the receive service, not here
  classified?: any // PROTOCOL.md §19.3: validated against the cover schema by the receive service
}

/** PROTOCOL.md §17.2: the same signed bytes for every recipient of a letter (sealMany). The
 *  recipients are the letter's own `recipients`/`copyTo`; `lid` is the sender's letter id. */
export interface SignedPayloadV2 {
  v: 2
  lid: string
  from: string
  sentAt: string
  checkpoint?: string // PROTOCOL.md §17.2, §20.5
  letter: any
  notice?: undefined // a notice is never signed for many (PROTOCOL.md §18.2)
  classified?: undefined // nor a classified cover (§19.3)
}

export type SignedPayload = SignedPayloadV1 | SignedPayloadV2

export interface Opened {
  payload: SignedPayload
  signerChain: X509Certificate[] // from the JWS x5c, leaf first, NOT validated here
  signedBytes: string // the compact JWS exactly as signed (evidence); cms-v1: base64 of the SignedData DER
  signature: Buffer // the raw signature value (see Sealed.signature)
  attachments: Buffer[] // views into the decrypted bundle, in manifest order
}

/** What a node already opened of content shared by many envelopes (PROTOCOL.md §17.1; issue 16 item 3):
 *  a node hosting 1,000 recipients of one circular decrypts and checks the shared content once. The
 *  key (profile.open computes it) covers what the plaintext and its checks depend on besides the
 *  ciphertext: the content key, IV, AAD, tag, and the routing sender (so that only a peer that speaks
 *  for the sender can tell whether the node opened that content before, §17.8). The ciphertext is
 *  held with the opening and compared byte for byte (cheaper than hashing it; whoever holds the key
 *  could make another ciphertext with the same GCM tag). A hit is the first opening's result: the
 *  caller still binds its own routing (§17.3). */
export interface OpenMemo {
  get(key: string): HeldOpening | undefined
  /** `bytes`: what holding it costs (plaintext and ciphertext). */
  set(key: string, held: HeldOpening, bytes: number): void
}

export interface HeldOpening {
  readonly opened: Opened
  /** The ciphertext it was opened from, as the profile's views of it, in order (a memo keeps a copy:
   *  the envelope's bytes may be reused once its receive is over, services/receive/open-memo.ts). */
  readonly ciphertext: readonly Buffer[]
  /** SHA-256 of the ciphertext when it is one view (lowercase hex): compared instead of the bytes with
   *  a ciphertext put in place from held content, whose SHA-256 is known (PlacedContent, §17.8). */
  readonly ciphertextSha256?: string
}

/** The held opening of this ciphertext, if `memo` has one under `key`. */
export function heldFor(memo: OpenMemo, key: string, ciphertext: readonly Buffer[], ciphertextSha256?: string): Opened | undefined {
  const held = memo.get(key)
  if (held === undefined || held.ciphertext.length !== ciphertext.length) return undefined
  // Issue 16 item 3: a ciphertext of held shared content (§17.8) is known by its checked SHA-256; no
  // 1.4 MB comparison per part of a circular.
  if (ciphertextSha256 !== undefined && held.ciphertextSha256 !== undefined) return ciphertextSha256 === held.ciphertextSha256 ? held.opened : undefined
  return held.ciphertext.every((c, i) => c.equals(ciphertext[i]!)) ? held.opened : undefined
}

/** Receipt claims (PROTOCOL.md §6). `from` = the letter's sender, `to` = the receiving agency = signer. */
export interface ReceiptClaims {
  v: 1
  mid: string
  from: string
  to: string
  receivedAt: string
  envelopeSha256: string
  profile: string
  /** PROTOCOL.md §6.2, §20.5: the receiving agency's log checkpoint (compact JWS) whose tree includes
   *  the `message.received` entry of this envelope, and that entry's index. Absent only in receipts
   *  of nodes from before the transparency log (§11). */
  log?: ReceiptLog
}

export interface ReceiptLog {
  checkpoint: string
  index: number
}

export interface VerifiedReceipt {
  claims: ReceiptClaims
  signerChain: X509Certificate[] // NOT validated here
  signature: Buffer // the raw signature value (time-stamp imprint: SHA-256 of it)
}

/** Bytes [start, end) of an envelope. */
export interface ByteSpan {
  readonly start: number
  readonly end: number
}

/** Bytes [start, end) of an envelope that the receiver put in place from shared content it holds
 *  (PROTOCOL.md §17.8), and their SHA-256 (lowercase hex), checked when the content was read. What
 *  a profile learns from it is what scanning or comparing those bytes would have told it. */
export interface PlacedContent extends ByteSpan {
  readonly sha256: string
}

export interface EnvelopeProfile {
  readonly id: string
  readonly mediaType: string
  readonly receiptMediaType: string
  seal(input: SealInput): Promise<Sealed>
  /** Parse only, no crypto. Throws SarabanError ERR_ENVELOPE_MALFORMED / ERR_PROFILE_UNSUPPORTED, and
   *  ERR_ENVELOPE_HEADER_MISMATCH when `routing` disagrees with what the envelope says. */
  peek(envelope: Buffer, routing?: Routing, placed?: PlacedContent): EnvelopeHeader
  /** Where the encrypted content lies in the exact envelope bytes (parse only, no crypto): the bytes
   *  a letter sealed for many shares with its other recipients' envelopes (PROTOCOL.md §17.1:
   *  SealedMany.shared), so a node hosting several of them can keep them once. Undefined when the
   *  profile never shares its content (jose-v1). Throws as peek() for a malformed envelope. */
  contentSpan(envelope: Buffer): ByteSpan | undefined
  /** Whether the envelope (by its header) is encrypted for this certificate (JWE x5t#S256; CMS rid). */
  matchesRecipient(header: EnvelopeHeader, cert: X509Certificate): boolean
  /** Decrypt and verify the signature with the x5c leaf; does not decide trust. `routing` (the
   *  request's routing, §4.1) is bound to the signed payload before the attachments are framed
   *  (PROTOCOL.md §4.2 check 11 before check 12, in every profile); jose binds its own srb_* members,
   *  which peek() already compared with the routing headers. */
  open(envelope: Buffer, decryptKey: PrivateKeyRef, routing?: Routing, memo?: OpenMemo, placed?: PlacedContent): Promise<Opened>
  /** Optional (issue 16 item 2): as open(), but the attachments are hashed against the signed manifest
   *  as they are decrypted and not kept, so `attachments` is empty; for a receiver that stores the
   *  envelope and needs no attachment bytes. Nothing is learned from the plaintext unless the tag verified. */
  openHashed?(envelope: Buffer, decryptKey: PrivateKeyRef, routing?: Routing): Promise<Opened>
  /** As open(), with the content encryption key from Sealed.contentKey instead of the recipient's key. */
  openWithContentKey(envelope: Buffer, contentKey: Buffer, memo?: OpenMemo): Promise<Opened>
  signReceipt(claims: ReceiptClaims, signer: SignerIdentity): Promise<Buffer>
  /** The same, synchronously: inside the transaction that stores the message (PROTOCOL.md §20.4). */
  signReceiptNow(claims: ReceiptClaims, signer: SignerIdentity): Buffer
  verifyReceipt(receipt: Buffer): Promise<VerifiedReceipt>
}

/** SealInput with attachments that may be read by range (a file, issue 16 item 2) instead of held. */
export type StreamSealInput = Omit<SealInput, 'attachments'> & { attachments: readonly PlainPart[] }

/** SealManyInput likewise. */
export type StreamSealManyInput = Omit<SealManyInput, 'attachments'> & { attachments: readonly PlainPart[] }

/** What a seal into a sink returns: Sealed without the envelope, which went to the sink, and its size. */
export type SealedTo = Omit<Sealed, 'envelope'> & { size: number }

/** Optional per profile (issue 16 item 2): one recipient's envelope written to a sink, synchronously
 *  (inside the transaction that stores it), the attachments read by range. For a one-recipient
 *  `input`, the bytes are exactly those sealForAll() (profiles.ts) gives for the same keys: the same
 *  code seals both (crypto/seal-sink.ts). */
export interface SealsOneTo {
  sealOneTo(input: StreamSealManyInput, open: (size: number) => RegionSink): SealedTo
}

/** One recipient of a letter sealed for many at once (issue 5: circulars, PROTOCOL.md §17). */
export interface SealRecipient {
  messageId: string
  to: string
  cert: X509Certificate
}

export interface SealManyInput {
  letterId: string
  from: string
  sentAt: string // ISO 8601 UTC
  letter: LetterObject
  attachments: Buffer[] // same count, order and sizes as letter.attachments
  signer: SignerIdentity
  recipients: readonly SealRecipient[]
  /** As SealInput.checkpoint (PROTOCOL.md §17.2). */
  checkpoint?: string | undefined
}

/** One recipient's envelope: exactly the bytes head ‖ SealedMany.shared ‖ tail. */
export interface SealedPart {
  messageId: string
  to: string
  head: Buffer
  tail: Buffer
  envelopeSha256: string // lowercase hex of head ‖ shared ‖ tail
  contentKey: Buffer // secret; the same for every part when the content is encrypted once
  signature: Buffer // raw signature value of the signed letter in this envelope (time-stamp imprint)
}

export interface SealedMany {
  mediaType: string
  /** Bytes common to every part's envelope (the content encrypted once), stored and sent once per
   *  letter; empty when the profile encrypts per recipient. */
  shared: Buffer
  parts: SealedPart[] // in the order of SealManyInput.recipients
}

/** Optional per profile: sign once, encrypt the content once, wrap the content key per recipient.
 *  Callers use sealForAll() (profiles.ts), which falls back to one seal() per recipient. */
export interface SealsMany {
  sealMany(input: SealManyInput): Promise<SealedMany>
}
