// Building an evidence bundle v2 (PROTOCOL.md §8.4–§8.5) on the sending node: per message the exact
// envelope bytes, its content key, the signed letter and attachments it holds, the receipt, the
// certificate chains, the RFC 3161 time-stamp tokens of both signatures, and the directory and CRLs
// in force when they were made; all in one ustar archive with a manifest.
import { createHash } from 'node:crypto'
import { isoTime, type Clock } from '../../clock.js'
import type { OutboxLetter, OutboxMessage } from '../../storage/outbox.js'
import { receiptFromText, type ProfileTable } from '../../crypto/profiles.js'
import type { OpenMemo, VerifiedReceipt } from '../../crypto/types.js'
import { writeTar, type TarEntry } from '../../evidence/tar.js'
import { checksumsFile, encodeManifest, EVIDENCE_FORMAT, EVIDENCE_V2, MANIFEST_PATH } from '../../evidence/manifest.js'
import type { ManifestMessage, ManifestNotice, ManifestPart } from '../../evidence/manifest.js'
import { chainPem, contentKeyFile, evidenceForm } from '../../evidence/forms.js'
import { tokenFacts } from '../../evidence/tst.js'
import type { NoticeType } from '../../domain/notices.js'
import { auditorReadme } from '../../evidence/auditor-readme.js'
import { crlParts, directoryFile, Parts, receiptMembers, sha256, tokensByImprint, tsaChain, type PartSink } from './parts.js'
import { noticeParts } from './build-notice.js'
import { checkpointTimes, logMembers, type MessageLog } from './log-parts.js'

export interface StoredToken {
  readonly kind: string
  readonly token: Buffer
  readonly genTime: Date
}

/** Everything comes in as functions (composition root: src/context.ts), so that the sources of
 *  time-stamps, directory history and CRL history can be swapped and tested apart. */
export interface EvidenceDeps {
  readonly clock: Clock
  readonly profiles: ProfileTable
  /** the directory the node holds now: the fallback when no history is wired */
  readonly directoryJws: () => string
  /** the signed directory that was in force at a time (directory history, PROTOCOL.md §14) */
  readonly directoryAt?: (at: Date) => string | undefined
  /** the CRLs (DER) that were in force at a time (CRL history, PROTOCOL.md §15) */
  readonly crlsAt?: (at: Date) => readonly Buffer[]
  /** the stored RFC 3161 tokens of a message (PROTOCOL.md §13) */
  readonly tokensFor?: (messageId: string) => readonly StoredToken[]
  /** the notices about these letter envelopes (PROTOCOL.md §18.6), sealed or received */
  readonly noticesFor?: (messageIds: readonly string[]) => readonly NoticeEvidence[]
  /** the inclusion proofs of the message's events in the sender's and the recipient's logs (PROTOCOL.md §20.7) */
  readonly logFor?: (m: OutboxMessage) => MessageLog | Promise<MessageLog>
  /** Asks now the recipients' proofs still waiting in their gathering window (PROTOCOL.md §20.7), so
   *  that a bundle asked for right after a delivery is not missing them for that reason alone. */
  readonly settleLog?: () => Promise<void>
  /** A circular's messages share their content (PROTOCOL.md §17.1): opened once per archive (issue 16 item 3). */
  readonly openMemo?: OpenMemo
}

/** A notice as the evidence bundle needs it (services/notices/evidence-source.ts). */
export interface NoticeEvidence {
  readonly messageId: string
  readonly type: NoticeType
  readonly direction: 'sent' | 'received'
  readonly about: string
  readonly from: string
  readonly to: string
  readonly profile: string
  readonly envelope: Buffer
  /** sent only: the content key of our envelope */
  readonly contentKey?: Buffer | undefined
  /** received only: the signed notice as it was inside the envelope (the form's letterBytes) */
  readonly signed?: Buffer | undefined
  readonly receipt?: Buffer | undefined
  /** the stored RFC 3161 tokens of the notice's signature and of its receipt, on this node's side (§13.2) */
  readonly tokens?: readonly StoredToken[] | undefined
  /** the recipient's inclusion proof of its receipt's entry, or why there is none (PROTOCOL.md §20.7) */
  readonly log?: MessageLog | undefined
  /** sent only: our outbox row of the notice, whose message.sent and message.delivered entries in our
   *  log the bundle proves through EvidenceDeps.logFor, as a letter's (PROTOCOL.md §20.7) */
  readonly sent?: OutboxMessage | undefined
}

export async function buildEvidenceArchive(deps: EvidenceDeps, letter: OutboxLetter, messages: readonly OutboxMessage[]): Promise<Buffer> {
  const generatedAt = isoTime(deps.clock.now())
  const shared = new Parts()
  const own = new Parts()
  const entries: ManifestMessage[] = []
  for (const m of messages) entries.push(await messageParts(deps, m, shared, own))
  const notices: ManifestNotice[] = []
  for (const n of deps.noticesFor?.(messages.map((m) => m.messageId)) ?? []) notices.push(await noticeParts(deps, n, shared, own))

  const body = [...shared.list, ...own.list]
  const front = frontFiles({ letterId: letter.id, sender: letter.senderAgency, generatedAt }, entries, notices, body)
  return writeTar([...front, ...body.map((p) => ({ path: p.path, data: p.data }))], Math.floor(Date.parse(generatedAt) / 1000))
}

/** The files before `body` in the archive, in order: manifest.json, README.txt, SHA256SUMS
 *  (PROTOCOL.md §8.4); they need only the body's paths, sizes and digests, not its bytes. */
export function frontFiles(head: { letterId: string; sender: string; generatedAt: string }, entries: readonly ManifestMessage[], notices: readonly ManifestNotice[], body: readonly ManifestPart[]): TarEntry[] {
  const readme = { path: 'README.txt', role: 'readme' as const, data: auditorReadme(head, entries, notices) }
  const describe = (p: ManifestPart) => ({ path: p.path, role: p.role, size: p.size, sha256: p.sha256 })
  const described = [{ path: readme.path, role: readme.role, size: readme.data.length, sha256: sha256(readme.data) }, ...body.map(describe)]
  const sums = { path: 'SHA256SUMS', role: 'checksums' as const, data: checksumsFile(described) }
  const parts: ManifestPart[] = [described[0]!, { path: sums.path, role: sums.role, size: sums.data.length, sha256: sha256(sums.data) }, ...described.slice(1)]
  const manifest = encodeManifest({ format: EVIDENCE_FORMAT, version: EVIDENCE_V2, ...head, parts, messages: [...entries], ...(notices.length > 0 ? { notices: [...notices] } : {}) })
  return [{ path: MANIFEST_PATH, data: manifest }, { path: readme.path, data: readme.data }, { path: sums.path, data: sums.data }]
}

export async function messageParts(deps: EvidenceDeps, m: OutboxMessage, shared: PartSink, own: PartSink): Promise<ManifestMessage> {
  const profile = deps.profiles.get(m.profile)
  const form = evidenceForm(m.profile)
  if (form === undefined) throw new Error(`no evidence form for profile ${m.profile}`)
  const dir = `messages/${m.messageId}/`
  const opened = await profile.openWithContentKey(m.envelope, m.contentKey, deps.openMemo)
  const receipt = m.receipt === null ? undefined : receiptFromText(m.profile, m.receipt)
  let verified: VerifiedReceipt | undefined
  try {
    verified = receipt === undefined ? undefined : await profile.verifyReceipt(receipt)
  } catch {
    verified = undefined // written as received; the verifier reports it
  }
  const letterImprint = createHash('sha256').update(opened.signature).digest()
  const receiptImprint = verified && createHash('sha256').update(verified.signature).digest()
  const [letterToken, receiptToken] = tokensByImprint(deps.tokensFor?.(m.messageId) ?? [], letterImprint, receiptImprint)
  const letterTime = letterToken ? tokenFacts(letterToken).genTime : new Date(opened.payload.sentAt)
  const receiptTime = receiptToken ? tokenFacts(receiptToken).genTime : verified && new Date(verified.claims.receivedAt)

  const directoryJws = deps.directoryAt?.(letterTime) ?? deps.directoryJws()
  const dirFile = directoryFile(directoryJws)
  const directory = shared.add(dirFile.path, 'directory', dirFile.bytes)
  const log = await deps.logFor?.(m)
  const crls = crlParts(deps, shared, [letterTime, receiptTime, ...checkpointTimes(log)])
  const tsa = (token: Buffer) => tsaChain(shared, token)
  const manifest = (opened.payload.letter?.attachments ?? []) as Array<{ sha256: string }>
  const attachments = manifest.map((a, i) => shared.add(`attachments/${a.sha256}.bin`, 'attachment', opened.attachments[i]!))

  const entry: ManifestMessage = {
    messageId: m.messageId,
    recipient: m.recipientAgency,
    profile: m.profile,
    status: m.status,
    deliveredAt: m.deliveredAt === null ? null : isoTime(m.deliveredAt),
    envelope: own.add(dir + form.envelopeFile, 'envelope', m.envelope),
    contentKey: own.add(dir + 'content-key.hex', 'content-key', contentKeyFile(m.contentKey)),
    letter: own.add(dir + form.letterFile, 'signed-letter', form.letterBytes(opened)),
    letterSigner: own.add(dir + 'letter-signer.pem', 'signer-chain', chainPem(opened.signerChain)),
    attachments,
    directory,
    crls,
    letterTime: letterTime.toISOString(),
    letterTimeProof: letterToken ? 'time-stamp' : 'claimed',
    letterImprint: letterImprint.toString('hex'),
  }
  const aux = form.auditorPrefix?.(m.envelope, m.contentKey)
  if (aux) {
    entry.auditorPrefix = own.add(dir + 'auditor-prefix.der', 'auditor-prefix', aux.prefix)
    entry.auditorTailOffset = aux.tailOffset
  }
  if (letterToken) {
    entry.letterTimestamp = own.add(dir + 'letter.tsr', 'letter-timestamp', letterToken)
    entry.letterTsa = tsa(letterToken)
  }
  if (receipt !== undefined) {
    Object.assign(entry, receiptMembers(own, shared, dir, form.receiptFile, { receipt, verified, time: receiptTime, imprint: receiptImprint, token: receiptToken }))
  }
  if (log !== undefined) Object.assign(entry, logMembers(own, shared, dir, log))
  return entry
}
