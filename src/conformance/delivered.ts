// A letter the kit delivered to the target in this session, per profile, with its verified receipt
// (PROTOCOL.md §6.3): replays, conflicts, notices and the log cases build on one.
import { checkReceipt } from '../services/receipt-check.js'
import type { ReceiptClaims } from '../crypto/types.js'
import { CaseFailure, check, expectStatus } from './expect.js'
import type { Answer, Sealed, Session } from './session.js'

/** PROTOCOL.md §4.2 check 1 media type's essence (RFC 9110 §8.3.1). */
export const essence = (ct: string) => (ct.split(';', 1)[0] ?? '').trim().toLowerCase()

/** PROTOCOL.md §6.3: a 201/200 answer carries a receipt of the profile's media type that verifies. */
export async function expectReceipt(k: Session, s: Sealed, a: Answer): Promise<ReceiptClaims> {
  check(essence(a.contentType) === s.profile.receiptMediaType, `the receipt's media type is ${s.profile.receiptMediaType} (§4.1)`, { got: a.contentType })
  const r = await checkReceipt(a.body, { messageId: s.messageId, from: s.from, to: s.to, envelopeSha256: s.sha256 }, {
    profile: s.profile, anchors: k.creds.anchors, directory: k.creds.directory, notAfter: Date.now() + 5 * 60_000,
  })
  if (!r.ok) throw new CaseFailure(`the receipt does not verify (§6.3): ${r.reason}`, { code: r.code })
  return r.value
}

// Letters delivered by this session, per profile: replays, conflicts and notices build on one.
const delivered = new WeakMap<Session, Map<string, Delivered>>()

export interface Delivered { sealed: Sealed; answer: Answer; claims: ReceiptClaims }

export async function deliver(k: Session, profile: string, opts: { fresh?: boolean } = {}): Promise<Delivered> {
  let m = delivered.get(k)
  if (m === undefined) delivered.set(k, (m = new Map()))
  const held = m.get(profile)
  if (held !== undefined && opts.fresh !== true) return held
  const sealed = await k.seal(profile)
  const answer = await k.send(sealed)
  expectStatus(answer, 201, 'a valid letter is accepted')
  const claims = await expectReceipt(k, sealed, answer)
  if (held === undefined) m.set(profile, { sealed, answer, claims })
  return { sealed, answer, claims }
}

