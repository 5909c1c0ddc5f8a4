// Shared by the evidence log tests (not a test file itself): the logs of the sender and the
// recipients as real Merkle trees in memory (src/tlog), with the letter's entries among others and
// checkpoints really signed by each agency, so a bundle's log proofs can be built and altered.
import { createHash } from 'node:crypto'
import type { FederationMaterial } from '../../src/pki/dev-ca.js'
import { leafHash, rootHash, inclusionProof, checkpointBody } from '../../src/tlog/index.js'
import { signCompact } from '../../src/crypto/jose/jws.js'
import { receiptFromText } from '../../src/crypto/profiles.js'
import { canonicalJson } from '../../src/domain/canonical-json.js'
import type { OutboxMessage } from '../../src/storage/outbox.js'
import type { ReceiptClaims, ReceiptLog } from '../../src/crypto/types.js'
import { receivedEntry } from '../../src/services/log/received-entry.js'
import type { LogProofInput, MessageLog } from '../../src/services/evidence/log-parts.js'
import { signerOf } from '../vectors/fixtures.js'

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** One agency's log: entries appended in order, checkpoints signed on demand. */
export class MemoryLog {
  readonly entries: Buffer[] = []
  constructor(readonly fed: FederationMaterial, readonly agency: string) {
    for (let i = 0; i < 5; i++) this.append({ v: 1, type: 'trust.directory', at: new Date(0).toISOString(), agency, serial: i, sha256: hex(Buffer.from(`dir ${i}`)) })
  }
  append(o: Record<string, string | number>): number {
    this.entries.push(Buffer.from(canonicalJson(o), 'utf8'))
    return this.entries.length - 1
  }
  checkpoint(size = this.entries.length, signer = signerOf(this.fed, this.agency), origin = `saraban/v1/log/${this.agency}`): string {
    const hashes = this.entries.slice(0, size).map(leafHash)
    const body = checkpointBody({ origin, size, root: rootHash(size, (a, b) => hashes.slice(a, b)), time: new Date().toISOString() })
    return signCompact('saraban-checkpoint+jws', Buffer.from(body, 'utf8'), signer).toString('latin1')
  }
  proof(index: number, size = this.entries.length): Buffer[] {
    const hashes = this.entries.slice(0, size).map(leafHash)
    return inclusionProof(index, size, (a, b) => hashes.slice(a, b))
  }
}

/** The recipients' logs: each receipt's message.received entry appended (rebuilt from its claims, as
 *  the receiving node does), a checkpoint signed over it, and the proof the sender later fetches. */
export class RecipientLogs {
  readonly logs = new Map<string, MemoryLog>()
  readonly #held = new Map<string, LogProofInput>()
  constructor(readonly fed: FederationMaterial) {}
  readonly receiptLog = (c: ReceiptClaims): ReceiptLog => {
    let log = this.logs.get(c.to)
    if (log === undefined) this.logs.set(c.to, (log = new MemoryLog(this.fed, c.to)))
    const entry = receivedEntry(c)
    log.entries.push(entry)
    const index = log.entries.length - 1
    const checkpoint = log.checkpoint()
    this.#held.set(c.mid, { log: c.to, type: 'message.received', index, size: log.entries.length, entry, proof: log.proof(index), checkpoint })
    return { checkpoint, index }
  }
  /** The recipient's proof of a message, as fetched after delivery. */
  proof(mid: string): LogProofInput | undefined {
    return this.#held.get(mid)
  }
}

/** The sender's log with each message's sent and delivered entries, and logFor() for the bundle:
 *  sender proofs under one checkpoint; the recipient's event from `recipients`, else a gap (`receivedGap`). */
export function senderLogFor(fed: FederationMaterial, messages: readonly OutboxMessage[], opts: { receivedGap?: string; recipients?: RecipientLogs; edit?: (m: OutboxMessage, p: LogProofInput[]) => LogProofInput[] } = {}) {
  const log = new MemoryLog(fed, messages[0]!.senderAgency)
  const at = new Date().toISOString()
  const indexes = new Map<string, { sent: number; delivered?: number }>()
  for (const m of messages) {
    const sent = log.append({ v: 1, type: 'message.sent', at, agency: m.senderAgency, mid: m.messageId, letter: m.letterId, to: m.recipientAgency, profile: m.profile, envelopeSha256: m.envelopeSha256, kind: 'letter' })
    indexes.set(m.messageId, { sent })
  }
  for (const m of messages) {
    if (m.receipt === null) continue
    const receiptSha256 = hex(receiptFromText(m.profile, m.receipt))
    indexes.get(m.messageId)!.delivered = log.append({ v: 1, type: 'message.delivered', at, agency: m.senderAgency, mid: m.messageId, to: m.recipientAgency, receiptSha256, receivedAt: at })
  }
  const size = log.entries.length
  const checkpoint = log.checkpoint(size)
  const logFor = (m: OutboxMessage): MessageLog => {
    const ix = indexes.get(m.messageId)!
    const proof = (type: LogProofInput['type'], index: number): LogProofInput => ({ log: m.senderAgency, type, index, size, entry: log.entries[index]!, proof: log.proof(index, size), checkpoint })
    const received = m.receipt === null ? undefined : opts.recipients?.proof(m.messageId)
    let proofs = [proof('message.sent', ix.sent), ...(ix.delivered === undefined ? [] : [proof('message.delivered', ix.delivered)]), ...(received ? [received] : [])]
    if (opts.edit) proofs = opts.edit(m, proofs)
    const gaps = m.receipt === null || received ? [] : [{ log: m.recipientAgency, type: 'message.received' as const, reason: opts.receivedGap ?? 'the receipt carries no checkpoint' }]
    return { proofs, gaps }
  }
  return { log, logFor, checkpoint }
}
