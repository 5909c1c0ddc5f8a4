// The signed payload, in both versions (PROTOCOL.md §5.4, §17.2), and its binding to the routing of
// the envelope that carries it (§4.2 check 11, §17.3):
//   v1 {"v":1,"mid","from","to","sentAt","letter"}  one recipient: the signature names the message
//   v2 {"v":2,"lid","from","sentAt","letter"}       every recipient of a letter: signed once
// Every profile carries either version; receivers accept both.
import { SarabanError } from '../errors.js'
import { AGENCY_ID, MESSAGE_ID } from '../domain/ids.js'
import { parseStrictJsonObject } from '../domain/strict-json.js'
import type { Routing, SealManyInput, SignedPayload, SignedPayloadV2 } from './types.js'

// ISO 8601 / RFC 3339 in UTC with a 'Z' (as Date.prototype.toISOString writes it).
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/

export function isUtcTime(v: unknown): v is string {
  return typeof v === 'string' && UTC_TIME.test(v) && !Number.isNaN(Date.parse(v))
}

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

// Exactly these members per version (§5.4, §17.2), checked in this order after `v`, plus one content
// member: `letter`, or in a v1 payload `notice` (§18.2) or `classified` (§19.3) in its place; neither is
// ever signed for many.
const MEMBERS = {
  1: { names: ['v', 'mid', 'from', 'to', 'sentAt'], strings: ['mid', 'from', 'to'], content: ['letter', 'notice', 'classified'] },
  2: { names: ['v', 'lid', 'from', 'sentAt'], strings: ['lid', 'from'], content: ['letter'] },
} as const

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
/** Longest checkpoint a payload carries (characters; PROTOCOL.md §20.4). */
const MAX_CHECKPOINT_CHARS = 24 * 1024

/** The optional `checkpoint` member (PROTOCOL.md §5.4, §17.2, §20.5), after `sentAt` on the wire. */
export function checkpointMember(checkpoint: string | undefined): { checkpoint?: string } {
  if (checkpoint === undefined) return {}
  if (checkpoint.length > MAX_CHECKPOINT_CHARS || !JWS_COMPACT.test(checkpoint)) throw malformed('Cannot seal: the checkpoint is not a compact JWS.', '/checkpoint')
  return { checkpoint }
}

/** PROTOCOL.md §5.8 step 6, §17.2: the signed payload's shape (not yet its binding, nor the letter schema). */
export function decodePayload(bytes: Buffer): SignedPayload {
  const r = parseStrictJsonObject(bytes)
  if (!r.ok) throw malformed(`The signed payload ${r.detail}.`, r.pointer) // PROTOCOL.md §5.6: I-JSON
  const p = r.value
  const v = p['v']
  if (v !== 1 && v !== 2) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The signed payload version is not 1 or 2.', { field: '/v' })
  const rule = MEMBERS[v]
  const keys = Object.keys(p)
  const content = rule.content.filter((k) => k in p)
  // PROTOCOL.md §20.5: the sender's checkpoint is optional (absent while its log is empty, and from pre-log senders, §11).
  const withCheckpoint = 'checkpoint' in p ? 1 : 0
  if (withCheckpoint && (typeof p['checkpoint'] !== 'string' || p['checkpoint'].length > MAX_CHECKPOINT_CHARS || !JWS_COMPACT.test(p['checkpoint']))) {
    throw malformed('The signed payload "checkpoint" is not a compact JWS.', '/checkpoint')
  }
  if (keys.length !== rule.names.length + 1 + withCheckpoint || !rule.names.every((k) => k in p) || content.length !== 1) {
    throw malformed(`A version ${v} signed payload must have exactly the members ${rule.names.join(', ')}, one of ${rule.content.join(', ')}, and optionally checkpoint.`)
  }
  for (const k of rule.strings) if (typeof p[k] !== 'string') throw malformed(`The signed payload "${k}" is not a string.`, `/${k}`)
  if (v === 2 && !MESSAGE_ID.test(p['lid'] as string)) throw malformed('The signed payload "lid" is not a lowercase UUID.', '/lid')
  if (!isUtcTime(p['sentAt'])) throw malformed('The signed payload "sentAt" is not an ISO 8601 UTC time.', '/sentAt')
  const c = content[0]!
  if (typeof p[c] !== 'object' || p[c] === null || Array.isArray(p[c])) throw malformed(`The signed "${c}" is not an object.`, `/${c}`)
  return p as unknown as SignedPayload
}

/** What carries the attachments manifest of a payload or seal input: the letter, or the classified
 *  cover whose one attachment is the inner envelope (PROTOCOL.md §19.3). */
export function manifestHolder(p: { letter?: unknown; classified?: unknown }): unknown {
  return p.classified ?? p.letter
}

/** The agencies a letter is addressed to: `recipients[].agency` then `copyTo[].agency` (§17.3). Tolerant:
 *  the letter schema (§4.2 check 14) judges the shape later; what is not a listed agency id is skipped. */
export function signedAddressees(letter: unknown): string[] {
  const out: string[] = []
  for (const list of ['recipients', 'copyTo']) {
    const items = (letter as Record<string, unknown> | null)?.[list]
    if (!Array.isArray(items)) continue
    for (const it of items) {
      const a = (it as { agency?: unknown } | null)?.agency
      if (typeof a === 'string') out.push(a)
    }
  }
  return out
}

// A circular's signed letter names up to 10,000 addressees and is bound to each of its envelopes'
// routing (§17.3): the set is built once per parsed letter (issue 16 item 3). Signed letters are
// parsed, never changed afterwards.
const addresseeSets = new WeakMap<object, ReadonlySet<string>>()

/** Whether `agency` is one of the letter's signed addressees (§17.3), as signedAddressees().includes(). */
export function isSignedAddressee(letter: unknown, agency: string): boolean {
  if (letter === null || typeof letter !== 'object') return false
  let set = addresseeSets.get(letter)
  if (set === undefined) addresseeSets.set(letter, (set = new Set(signedAddressees(letter))))
  return set.has(agency)
}

export type RoutingField = keyof Routing

/**
 * PROTOCOL.md §4.2 check 11, §17.3: which routing value (message id, sender, recipient) the signed
 * payload does not vouch for, if any. v1: all three are signed. v2: the sender is signed and the
 * recipient must be one of the letter's signed addressees; the message id is routing only (the
 * receipt binds it, §17.4).
 */
export function routingMismatch(p: SignedPayload, r: Routing): { field: RoutingField; detail: string } | undefined {
  if (p.v === 1) {
    if (r.messageId !== p.mid) return { field: 'messageId', detail: `The envelope is routed as message "${r.messageId}" but the signed letter says "${p.mid}".` }
    if (r.from !== p.from) return { field: 'from', detail: `The envelope is routed from "${r.from}" but the signed letter says "${p.from}".` }
    if (r.to !== p.to) return { field: 'to', detail: `The envelope is routed to "${r.to}" but the signed letter says "${p.to}".` }
    return undefined
  }
  if (r.from !== p.from) return { field: 'from', detail: `The envelope is routed from "${r.from}" but the signed letter says "${p.from}".` }
  if (!isSignedAddressee(p.letter, r.to)) return { field: 'to', detail: `The envelope is routed to "${r.to}", which the signed letter does not address (recipients, copyTo).` }
  return undefined
}

/** Throws ERR_ENVELOPE_HEADER_MISMATCH, `field` named by `names` (e.g. jose's srb_mid), on a mismatch. */
export function bindRouting(p: SignedPayload, r: Routing, names: Record<RoutingField, string> = { messageId: 'messageId', from: 'from', to: 'to' }): void {
  const m = routingMismatch(p, r)
  if (m !== undefined) throw new SarabanError('ERR_ENVELOPE_HEADER_MISMATCH', m.detail, { field: names[m.field] })
}

/** The v2 payload bytes to sign once for every part of sealMany (§17.2), after checking what the
 *  receivers will check: every part's recipient is a signed addressee, and none is sealed twice (§17.5). */
export function encodePayloadV2(input: SealManyInput): Buffer {
  if (!MESSAGE_ID.test(input.letterId)) throw malformed('Cannot seal: the letter id is not a lowercase UUID.', 'lid')
  if (!AGENCY_ID.test(input.from)) throw malformed('Cannot seal: the sender is not an agency id.', 'from')
  if (!isUtcTime(input.sentAt)) throw malformed('Cannot seal: sentAt is not an ISO 8601 UTC time.', 'sentAt')
  const addressees = new Set(signedAddressees(input.letter))
  const seen = new Set<string>()
  for (const r of input.recipients) {
    if (!MESSAGE_ID.test(r.messageId)) throw malformed('Cannot seal: a message id is not a lowercase UUID.', 'mid')
    if (!addressees.has(r.to)) throw malformed(`Cannot seal: "${r.to}" is not among the letter's recipients or copyTo.`, '/letter/recipients')
    if (seen.has(r.to)) throw malformed(`Cannot seal: "${r.to}" is listed twice.`, '/letter/recipients')
    seen.add(r.to)
  }
  const payload: SignedPayloadV2 = { v: 2, lid: input.letterId, from: input.from, sentAt: input.sentAt, ...checkpointMember(input.checkpoint), letter: input.letter }
  return Buffer.from(JSON.stringify(payload), 'utf8')
}
