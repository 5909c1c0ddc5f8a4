// The log checks of one message of an evidence bundle v2 (PROTOCOL.md §20.7): each event of the
// letter envelope (sent and delivered in the sender's log, received in the recipient's) is an entry
// that says what the bundle shows (the envelope's and the receipt's digests; the received entry is
// rebuilt from the receipt's claims), whose leaf hash the inclusion proof leads to the root of a
// checkpoint signed by that log's agency. The checkpoint of the received entry is the one the receipt
// carries. An event the bundle cannot prove is a weaker claim, with the node's reason.
import { createHash } from 'node:crypto'
import { leafHash, logOrigin, verifyInclusion, type CheckpointBody } from '../../tlog/index.js'
import type { VerifiedReceipt } from '../../crypto/types.js'
import { canonicalJson } from '../../domain/canonical-json.js'
import { verifyCheckpoint, type VerifiedCheckpoint } from '../log/checkpoints.js'
import { receivedEntry } from '../log/received-entry.js'
import { EVENT_SIDE, LOG_EVENTS, parseProofFile, type LogEvent, type ManifestLogProof } from '../../evidence/log-proof.js'
import type { ManifestMessage } from '../../evidence/manifest.js'
import { checkSigner, type MessageContext } from './message.js'

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export interface LoggedMessage {
  readonly envelope: Buffer
  /** when delivered: the receipt's bytes and what verified in it */
  readonly receipt?: { readonly bytes: Buffer; readonly verified: VerifiedReceipt }
  /** the envelope's signed payload carries the sender's checkpoint (PROTOCOL.md §5.4, §20.5) */
  readonly senderCheckpoint?: boolean
  /** the events this bundle must show (default: a letter's, §20.7); a notice's: its receipt's only */
  readonly events?: readonly LogEvent[]
  /** the part findings about the whole entry name (default messages/<mid>) */
  readonly part?: string
}

/** What the log checks read of a manifest message or notice (PROTOCOL.md §20.7). */
export type LoggedEntry = Pick<ManifestMessage, 'messageId' | 'recipient' | 'receipt' | 'directory' | 'crls' | 'log' | 'logGaps'>

type Checkpoint = { ok: true; body: CheckpointBody } | { ok: false }
// A checkpoint is shared by the messages of a circular: judge it once per verification.
const judged = new WeakMap<MessageContext, Map<string, Promise<Checkpoint>>>()

export async function checkLogProofs(ctx: MessageContext, m: LoggedEntry, facts: LoggedMessage): Promise<void> {
  const expected = (facts.events ?? LOG_EVENTS).filter((t) => facts.receipt !== undefined || t === 'message.sent')
  const sender = ctx.manifest.sender
  const part = facts.part ?? `messages/${m.messageId}`
  if (m.log === undefined && m.logGaps === undefined) {
    // PROTOCOL.md §8.6, §20.7: signed parts that show a log was kept (the receipt's log member, the
    // envelope's checkpoint) while the bundle lists neither proofs nor gaps: they were stripped.
    const signed = [
      ...(facts.receipt?.verified.claims.log !== undefined ? [`the receipt's signed claims carry the recipient's checkpoint`] : []),
      ...(facts.senderCheckpoint === true ? [`the signed envelope carries the sender's checkpoint`] : []),
    ]
    if (signed.length > 0) return weak(ctx, part, `lists no log inclusion proofs or gaps, yet ${signed.join(' and ')}: the log members were stripped from this bundle`)
    if (expected.length === 0 || facts.events !== undefined) return // nothing a log would show here, or a notice of a node before §20
    // A bundle of a node before §20: as strong as it ever was, and says so (not a weaker claim of §8.6).
    return ctx.note(part, true, `carries no log inclusion proofs (a node before PROTOCOL.md §20): its events are not shown in the sender's or the recipient's log`)
  }
  for (const type of expected) {
    const proofs = (m.log ?? []).filter((p) => p.type === type)
    const gaps = (m.logGaps ?? []).filter((g) => g.type === type)
    const owner = EVENT_SIDE[type] === 'sender' ? sender : m.recipient
    if (proofs.length + gaps.length !== 1) {
      ctx.note('manifest.json', false, `message ${m.messageId} must list the ${type} event once, as a proof (log) or as a gap (logGaps); it lists it ${proofs.length + gaps.length} times`)
      continue
    }
    const gap = gaps[0]
    if (gap !== undefined) {
      if (gap.log !== owner) ctx.note('manifest.json', false, `message ${m.messageId}: the ${type} event belongs to the log of "${owner}", not "${gap.log}"`)
      else weak(ctx, part, `${type} is not shown in the log of "${owner}": ${gap.reason}`)
      continue
    }
    await checkOne(ctx, m, proofs[0]!, owner, facts)
  }
  for (const p of m.log ?? []) if (!expected.includes(p.type)) ctx.note(p.entry, false, `a ${p.type} proof for a message without a verified receipt`)
}

async function checkOne(ctx: MessageContext, m: LoggedEntry, p: ManifestLogProof, owner: string, facts: LoggedMessage): Promise<void> {
  const { note, contents } = ctx
  if (p.log !== owner) return note('manifest.json', false, `message ${m.messageId}: the ${p.type} event belongs to the log of "${owner}", not "${p.log}"`)
  const cp = await checkpointOf(ctx, m, p)
  if (!cp.ok) return
  if (cp.body.size !== p.size) return note(p.checkpoint, false, `signs a tree of ${cp.body.size} entries; the manifest says ${p.size} for ${p.entry}`)

  const entry = contents.get(p.entry)!
  const wrong = entryProblem(m, p, entry, facts)
  if (wrong !== undefined) return note(p.entry, false, wrong)
  note(p.entry, true, `the ${p.type} entry of message ${m.messageId} in the log of "${owner}" names ${p.type === 'message.delivered' ? 'the receipt' : 'the envelope'} of this bundle`)

  if (p.type === 'message.received') {
    const rl = facts.receipt!.verified.claims.log
    const ok = rl !== undefined && rl.index === p.index && contents.get(p.checkpoint)!.equals(Buffer.from(rl.checkpoint, 'latin1'))
    note(p.checkpoint, ok, ok
      ? `is the checkpoint the receipt carries, with the entry's index ${p.index}`
      : `is not the checkpoint and index (${p.index}) that ${m.receipt} carries`)
    if (!ok) return
  }
  const proof = parseProofFile(contents.get(p.proof)!)
  if (proof === undefined) return note(p.proof, false, 'is not one 64-digit lowercase hex hash per line')
  const leaf = leafHash(entry)
  const included = verifyInclusion(leaf, p.index, p.size, proof, cp.body.root)
  note(p.proof, included, included
    ? `SHA-256(0x00 ‖ ${p.entry}) = ${leaf.toString('hex')} is entry ${p.index} of the tree of ${p.size} whose root ${cp.body.root.toString('base64')} ${p.checkpoint} signs`
    : `does not lead from the leaf hash of ${p.entry} (${leaf.toString('hex')}) at index ${p.index} to the root of the tree of ${p.size} that ${p.checkpoint} signs`)
}

/** What the entry must say (PROTOCOL.md §20.3): canonical JSON naming this message and the bytes of the bundle. */
function entryProblem(m: LoggedEntry, p: ManifestLogProof, entry: Buffer, facts: LoggedMessage): string | undefined {
  if (p.type === 'message.received') {
    const rebuilt = receivedEntry(facts.receipt!.verified.claims)
    return entry.equals(rebuilt) ? undefined : `is not the message.received entry rebuilt from the claims of ${m.receipt}`
  }
  let o: Record<string, unknown>
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry)) as Record<string, unknown>
    if (o === null || typeof o !== 'object' || Array.isArray(o) || canonicalJson(o as never) !== entry.toString('utf8')) return 'is not an entry in canonical JSON (RFC 8785)'
  } catch {
    return 'is not an entry in canonical JSON (RFC 8785)'
  }
  const want: Record<string, unknown> = { v: 1, type: p.type, agency: p.log, mid: m.messageId, to: m.recipient }
  if (p.type === 'message.sent') want['envelopeSha256'] = sha256(facts.envelope)
  else want['receiptSha256'] = sha256(facts.receipt!.bytes)
  const differs = Object.keys(want).filter((k) => o[k] !== want[k])
  return differs.length === 0 ? undefined : `its ${differs.join(', ')} ${differs.length === 1 ? 'is' : 'are'} not this message's (${differs.map((k) => `${k} ${JSON.stringify(want[k])}`).join(', ')})`
}

function checkpointOf(ctx: MessageContext, m: LoggedEntry, p: ManifestLogProof): Promise<Checkpoint> {
  let seen = judged.get(ctx)
  if (seen === undefined) judged.set(ctx, (seen = new Map()))
  let r = seen.get(p.checkpoint)
  if (r === undefined) seen.set(p.checkpoint, (r = judgeCheckpoint(ctx, m, p)))
  return r
}

/** PROTOCOL.md §20.4, §20.6: the JWS, its body, the origin of `p.log`'s log, and the signer: a
 *  signing certificate of that agency at the checkpoint's time, in the message's directory. */
async function judgeCheckpoint(ctx: MessageContext, m: LoggedEntry, p: ManifestLogProof): Promise<Checkpoint> {
  let v: VerifiedCheckpoint
  try {
    v = verifyCheckpoint(ctx.contents.get(p.checkpoint)!)
  } catch (e) {
    ctx.note(p.checkpoint, false, `is not a signed checkpoint: ${(e as Error).message}`)
    return { ok: false }
  }
  const body = v.body
  if (v.agency !== p.log) {
    ctx.note(p.checkpoint, false, `is a checkpoint of the log "${body.origin}", not of ${logOrigin(p.log)}`)
    return { ok: false }
  }
  ctx.note(p.checkpoint, true, `checkpoint of ${body.origin}: ${body.size} entries, root ${body.root.toString('base64')}, signed at ${body.time}`)
  const before = ctx.failures()
  await checkSigner(ctx, m, { part: p.checkpoint, agency: p.log, chain: v.chain, at: new Date(body.time) })
  return ctx.failures() === before ? { ok: true, body } : { ok: false }
}

/** A weaker claim (PROTOCOL.md §8.6): a finding that fails only under --strict. */
export function weakClaim(ctx: MessageContext, part: string, why: string): void {
  weak(ctx, part, why)
}

function weak(ctx: MessageContext, part: string, why: string): void {
  if (ctx.deps.strict) ctx.note(part, false, `strict: ${why}`)
  ctx.weak.push(`${part}: ${why}`)
}
