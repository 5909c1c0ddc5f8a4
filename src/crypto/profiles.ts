// Envelope profiles as rows of a table (house style §2), resolved once at the boundary from the
// request's Content-Type (PROTOCOL.md §5, §12, §17.7): 'jose-v1', 'cms-v1' and 'jose-v2'.
import { SarabanError } from '../errors.js'
import { cmsV1 } from './cms/v1-profile.js'
import { joseV1 } from './jose/v1-profile.js'
import { joseV2 } from './jose/v2-profile.js'
import type { EnvelopeProfile } from './types.js'
import { createHash } from 'node:crypto'
export { bindRouting, isSignedAddressee, routingMismatch, signedAddressees } from './payload.js'

export type {
  AttachmentManifestItem, ByteSpan, EnvelopeHeader, EnvelopeProfile, LetterObject, Opened, ReceiptClaims, Routing, SealInput, Sealed,
  SignedPayload, SignerIdentity, VerifiedReceipt, SealRecipient, SealManyInput, SealedPart, SealedMany, SealsMany, SealsOneTo, SealedTo, StreamSealManyInput,
} from './types.js'
import type { SealManyInput, SealedMany, SealedPart, SealsMany, SealsOneTo } from './types.js'

const ROWS: readonly EnvelopeProfile[] = [joseV1, cmsV1, joseV2] // jose-v2 last: existing directories keep their preference (§17.7)

/** "Application/JOSE; charset=x" → "application/jose" (RFC 9110 §8.3.1: case-insensitive, parameters apart). */
function essence(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase()
}

export class ProfileTable {
  readonly #byId: ReadonlyMap<string, EnvelopeProfile>

  constructor(rows: readonly EnvelopeProfile[] = ROWS) {
    this.#byId = new Map(rows.map((r) => [r.id, r]))
  }

  /** Profile ids in preference order (as in directory entries' `profiles`). */
  ids(): string[] {
    return [...this.#byId.keys()]
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** The first of `accepted` (a recipient's directory `profiles`, in its preference order) this node has. */
  choose(accepted: readonly string[]): EnvelopeProfile | undefined {
    for (const id of accepted) {
      const p = this.#byId.get(id)
      if (p !== undefined) return p
    }
    return undefined
  }

  /** The row for a profile id; ERR_PROFILE_UNSUPPORTED when this node has none. */
  get(id: string): EnvelopeProfile {
    const p = this.#byId.get(id)
    if (p === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `Envelope profile "${id}" is not supported by this node.`)
    return p
  }

  /**
   * The profile of an inbound envelope, from its Content-Type. Several profiles may share a media
   * type (a later jose-v2); the first whose peek() accepts the envelope wins, else the first's error.
   */
  forEnvelope(contentType: string, envelope: Buffer): EnvelopeProfile {
    return this.forBytes(contentType, () => envelope)
  }

  /** As forEnvelope(), where each candidate peeks at the bytes `envelopeFor` gives it (issue 16 item 2:
   *  a body staged on disk, of which each profile's ranged reader reads its own skeleton). */
  forBytes(contentType: string, envelopeFor: (p: EnvelopeProfile) => Buffer): EnvelopeProfile {
    const mt = essence(contentType)
    const candidates = [...this.#byId.values()].filter((p) => p.mediaType === mt)
    if (candidates.length === 0) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `Content-Type "${mt}" is not the media type of a supported envelope profile.`)
    if (candidates.length === 1) return candidates[0]!
    let first: unknown
    for (const p of candidates) {
      try {
        p.peek(envelopeFor(p))
        return p
      } catch (e) {
        first ??= e
      }
    }
    throw first
  }
}

/** All profiles this build implements, in preference order (the composition root's table). */
export function defaultProfiles(): ProfileTable {
  return new ProfileTable(ROWS)
}

const DEFAULT = new ProfileTable(ROWS) // stateless rows; no registration happens at import time

/** Resolve once at the boundary (PROTOCOL.md §4.2). */
export function profileForEnvelope(contentType: string, envelope: Buffer): EnvelopeProfile {
  return DEFAULT.forEnvelope(contentType, envelope)
}

// Receipts are kept and shown as text (storage, API views, evidence v1). A jose-v1 receipt is ASCII
// already; a cms-v1 receipt is DER, kept as standard base64 (PROTOCOL.md §12.6).
const BINARY_RECEIPTS: ReadonlySet<string> = new Set([cmsV1.id])

/** The text form of a receipt of profile `profileId`, for storage and display. */
export function receiptText(profileId: string, receipt: Buffer): string {
  return receipt.toString(BINARY_RECEIPTS.has(profileId) ? 'base64' : 'utf8')
}

/** The receipt bytes (as received or sent on the wire) from their text form. */
export function receiptFromText(profileId: string, text: string): Buffer {
  return Buffer.from(text, BINARY_RECEIPTS.has(profileId) ? 'base64' : 'utf8')
}

/** Whether the profile signs once and encrypts the content once for many recipients (PROTOCOL.md §17). */
export function sealsMany(profile: EnvelopeProfile & Partial<SealsMany>): profile is EnvelopeProfile & SealsMany {
  return typeof profile.sealMany === 'function'
}

/** Whether the profile seals one recipient's envelope into a sink, its attachments read by range (issue 16 item 2). */
export function sealsOneTo(profile: EnvelopeProfile & Partial<SealsOneTo>): profile is EnvelopeProfile & SealsOneTo {
  return typeof profile.sealOneTo === 'function'
}

/**
 * One seal() per recipient, one at a time, for a profile without sealMany: each part (head = the
 * whole envelope, tail empty) is yielded as soon as it is sealed, so a caller that stores parts as
 * they come holds a batch of envelopes, not all of them (issue 5 §4).
 */
export async function* sealEach(profile: EnvelopeProfile, input: SealManyInput): AsyncGenerator<SealedPart> {
  for (const r of input.recipients) {
    const s = await profile.seal({ messageId: r.messageId, from: input.from, to: r.to, sentAt: input.sentAt, letter: input.letter, attachments: input.attachments, signer: input.signer, recipientCert: r.cert, checkpoint: input.checkpoint })
    yield { messageId: r.messageId, to: r.to, head: s.envelope, tail: Buffer.alloc(0), envelopeSha256: s.envelopeSha256, contentKey: s.contentKey, signature: s.signature }
  }
}

/**
 * Seals one letter for many recipients of one profile (issue 5 §4). A profile that implements
 * sealMany signs once and encrypts the content once; otherwise each recipient gets its own seal()
 * (head = the whole envelope, shared = empty), all held in memory: for many recipients of such a
 * profile, store sealEach()'s parts as they come instead (services/send-staged.ts).
 */
export async function sealForAll(profile: EnvelopeProfile & Partial<SealsMany>, input: SealManyInput): Promise<SealedMany> {
  if (sealsMany(profile)) return profile.sealMany(input)
  const parts: SealedPart[] = []
  for await (const part of sealEach(profile, input)) parts.push(part)
  return { mediaType: profile.mediaType, shared: Buffer.alloc(0), parts }
}

/** SHA-256 (lowercase hex) of head ‖ shared ‖ tail without copying them together. */
export function partSha256(head: Buffer, shared: Buffer, tail: Buffer): string {
  return createHash('sha256').update(head).update(shared).update(tail).digest('hex')
}
