// One delivery attempt (PROTOCOL.md §4.1, §6.3, §7.2): the stored envelope posted to the recipient's
// endpoint, whole or by reference (§17.8), and the answer turned into an outcome: delivered with a
// verified receipt, a retry, or a final failure. The worker (worker.ts) records the outcome.
import { SarabanError, type ErrorCode } from '../../errors.js'
import type { OutboxMessageMeta } from '../../storage/outbox.js'
import type { Directory } from '../../pki/directory.js'
import { problemOf, type ChunkedPiece, type PeerResponse } from '../../federation/peer-client.js'
import { retryAfterMs, scopeOfStatus } from '../../domain/circuit.js'
import { checkReceipt } from '../receipt-check.js'
import type { ReceiptClaims } from '../../crypto/profiles.js'
import type { SharedRefs, EnvelopePieces } from '../shared-refs.js'
import { postEnvelope } from '../post-envelope.js'
import type { DeliveryDeps } from './worker.js'

/** `peer`: a failure of the peer as a whole (PROTOCOL.md §7.2 "Patience"): its circuit opens, and
 *  the message waits on the circuit rather than on its own backoff. */
export type Outcome =
  | { kind: 'delivered'; receipt: Buffer; claims?: ReceiptClaims; logProof?: string }
  | { kind: 'retry' | 'fail'; code: ErrorCode | string; detail: string; peer?: { retryAfterMs?: number | undefined }; answered?: true; httpStatus?: number }

export const FEDERATION_PATH = 'federation/v1/messages'
const RECEIPT_CLOCK_SKEW_MS = 5 * 60_000
const EMPTY = Buffer.alloc(0)

/** The origin deliveries to an agency go to (PROTOCOL.md §16.1): its endpoint, else its hosting node's. */
export function endpointOf(directory: Directory, agency: string): string | undefined {
  return directory.agency(agency)?.endpoints[0] ?? directory.nodeOf(agency)?.endpoints[0]
}

export async function attemptDelivery(d: DeliveryDeps, refs: SharedRefs, msg: OutboxMessageMeta): Promise<Outcome> {
  const directory = d.directory()
  const entry = directory.agency(msg.recipientAgency)
  const endpoint = endpointOf(directory, msg.recipientAgency) // PROTOCOL.md §16.1
  if (!entry || !endpoint) return { kind: 'retry', code: 'ERR_UNKNOWN_AGENCY', detail: `"${msg.recipientAgency}" has no endpoint in the directory` }
  // PROTOCOL.md §1.4, §6.3 step 4, §7.3: nothing is sent to a recipient the directory does not list
  // as active; the message waits (its give-up horizon bounds the wait) for the agency to be reinstated.
  const inactive = notActive(d, msg.recipientAgency)
  if (inactive) return inactive
  const profile = d.profiles.get(msg.profile)
  const routing = { messageId: msg.messageId, from: msg.senderAgency, to: msg.recipientAgency }
  const envelope = envelopeOf(d, msg.messageId)
  if (!envelope) return { kind: 'fail', code: 'ERR_INTERNAL', detail: `the stored envelope of ${msg.messageId} is missing` }
  const res = 'chunked' in envelope
    // A head over 1 MiB (issue 16 item 2) is an envelope of its own: posted whole, read while it is written.
    ? await d.peers.post(endpoint, FEDERATION_PATH, profile.mediaType, envelope.chunked, routing)
    : await postEnvelope({ peers: d.peers, refs }, { endpoint, path: FEDERATION_PATH, mediaType: profile.mediaType, routing }, envelope)
  if (res.status === 200 || res.status === 201) {
    // PROTOCOL.md §4.1: the receipt comes with the receipt's media type of the profile.
    const mediaType = res.contentType.split(';')[0]!.trim().toLowerCase()
    if (mediaType !== profile.receiptMediaType) {
      return { kind: 'fail', code: 'ERR_RECEIPT_INVALID', detail: `the receipt came as "${mediaType}", not as ${profile.receiptMediaType}`, answered: true, httpStatus: res.status }
    }
    const check = await checkReceipt(
      res.body,
      { ...routing, envelopeSha256: msg.envelopeSha256 },
      // The chain is judged at the receipt's own time: a retry is answered with the original
      // receipt byte for byte (PROTOCOL.md §7.1), which must stay acceptable later. receivedAt lies
      // between the letter's sentAt (the message was stored when it was sealed) and now, give or
      // take the skew (§6.3 step 3).
      { profile, anchors: d.anchors, directory, notAfter: d.clock.now() + RECEIPT_CLOCK_SKEW_MS, notBefore: msg.createdAt - RECEIPT_CLOCK_SKEW_MS },
    )
    // PROTOCOL.md §7.2: the same receipt comes back on every retry; only a failure on the sender's side may pass later.
    if (!check.ok) return { kind: check.retry ? 'retry' : 'fail', code: check.code, detail: check.reason, answered: true, httpStatus: res.status }
    // §6.3 step 4 at the receipt's check: suspended while the attempt was in flight, it is not
    // delivered yet; a later attempt gets the same receipt (§7.1), accepted once the agency is active.
    const suspended = notActive(d, msg.recipientAgency)
    return suspended ? { ...suspended, answered: true, httpStatus: res.status } : { kind: 'delivered', receipt: res.body, claims: check.value, ...(res.logProof !== undefined ? { logProof: res.logProof } : {}) }
  }
  // A refusal the peer will repeat however often we ask fails at once; 429 and 502/503/504 are the
  // peer's, not this message's (PROTOCOL.md §7.2).
  const scope = scopeOfStatus(res.status)
  if (scope === 'final') return { kind: 'fail', code: 'ERR_PEER_REFUSED', detail: peerProblem(res), answered: true, httpStatus: res.status }
  if (scope === 'peer') return { kind: 'retry', code: 'ERR_PEER_REFUSED', detail: peerProblem(res), peer: { retryAfterMs: retryAfterMs(res.retryAfter, d.clock.now()) }, httpStatus: res.status }
  return { kind: 'retry', code: 'ERR_PEER_REFUSED', detail: peerProblem(res), answered: true, httpStatus: res.status }
}

/** A retry when the directory (read now: it may have been refreshed since) lists the recipient as
 *  anything but active (PROTOCOL.md §6.3 step 4, §7.3). */
function notActive(d: DeliveryDeps, agency: string): Exclude<Outcome, { kind: 'delivered' }> | undefined {
  const status = d.directory().agency(agency)?.status
  if (status === undefined || status === 'active') return undefined
  return { kind: 'retry', code: 'ERR_AGENCY_SUSPENDED', detail: `"${agency}" is ${status} in the federation directory: the letter waits until it is active again` }
}

/** The envelope as its pieces head, shared, tail (PROTOCOL.md §17), from the cache or the store;
 *  the shared content is read once and cached for the other recipients. Issue 16 item 2: bytes the
 *  store keeps in chunks (over 1 MiB) that are not shared with other recipients (a head, or a whole
 *  envelope staged while sealing, migration 015) are read from storage while they are sent. */
function envelopeOf(d: DeliveryDeps, messageId: string): EnvelopePieces | { chunked: Array<Buffer | ChunkedPiece> } | undefined {
  const parts = d.envelopes.getParts(messageId) ?? d.outbox.getEnvelopePartsLazily(messageId)
  if (!parts) return undefined
  if (!Buffer.isBuffer(parts.head)) {
    const shared = parts.contentId === null ? EMPTY : d.outbox.getContent(parts.contentId)
    return shared && { chunked: [parts.head, shared, parts.tail] }
  }
  if (parts.contentId === null) return { head: parts.head, shared: EMPTY, tail: parts.tail }
  let shared = d.envelopes.getContent(parts.contentId)
  if (!shared) {
    const own = parts.head.length === 0 && parts.tail.length === 0
    const stored = own ? d.outbox.getContentLazily(parts.contentId) : d.outbox.getContent(parts.contentId)
    if (!stored) return undefined
    if (!Buffer.isBuffer(stored)) return { chunked: [stored] }
    shared = stored
    d.envelopes.putContent(parts.contentId, shared)
  }
  return { head: parts.head, shared, tail: parts.tail }
}

function peerProblem(res: PeerResponse): string {
  const p = problemOf(res)
  return p ? `peer answered ${res.status} ${p.code ?? ''}: ${p.detail ?? p.title ?? ''}`.trim() : `peer answered HTTP ${res.status}`
}

/** An attempt that threw: a transport failure (refused, reset, timeout, TLS) is the peer's; a
 *  SarabanError is ours, about this message. */
export function thrownOutcome(err: unknown): Outcome {
  if (err instanceof SarabanError) return { kind: 'retry', code: err.code, detail: err.message }
  return { kind: 'retry', code: 'ERR_PEER_UNREACHABLE', detail: transportReason(err), peer: {} }
}

export function transportReason(err: unknown): string {
  if (err instanceof SarabanError) return err.message
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.cause?.code ?? e.code
  const msg = e.cause?.message ?? e.message ?? String(err)
  return code ? `${code}: ${msg}` : msg
}
