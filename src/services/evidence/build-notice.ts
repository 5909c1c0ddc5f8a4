// A notice's part of an evidence bundle v2 (PROTOCOL.md §18.6), built like a message's (§8.5).
import { createHash } from 'node:crypto'
import type { VerifiedReceipt } from '../../crypto/types.js'
import type { ManifestNotice } from '../../evidence/manifest.js'
import { chainPem, contentKeyFile, evidenceForm } from '../../evidence/forms.js'
import { tokenFacts } from '../../evidence/tst.js'
import type { EvidenceDeps, NoticeEvidence } from './build.js'
import { checkpointTimes, logMembers, type MessageLog } from './log-parts.js'
import { crlParts, directoryFile, receiptMembers, sha256, tokensByImprint, tsaChain, type PartSink } from './parts.js'

/** A notice's files (PROTOCOL.md §18.6): envelope, the signed notice and its chain, the receipt and
 *  its chain, for a notice we sent its content key, and like a message (§8.5) the time-stamps of both
 *  signatures with the directory and CRLs in force at their times. */
export async function noticeParts(deps: EvidenceDeps, n: NoticeEvidence, shared: PartSink, own: PartSink): Promise<ManifestNotice> {
  const profile = deps.profiles.get(n.profile)
  const form = evidenceForm(n.profile)
  if (form === undefined) throw new Error(`no evidence form for profile ${n.profile}`)
  const dir = `notices/${n.messageId}/`
  let signed: Buffer
  let chain
  let sentAt: string
  let signature: Buffer
  if (n.contentKey !== undefined) {
    const opened = await profile.openWithContentKey(n.envelope, n.contentKey)
    signed = form.letterBytes(opened)
    chain = opened.signerChain
    sentAt = opened.payload.sentAt
    signature = opened.signature
  } else {
    signed = n.signed ?? Buffer.alloc(0)
    const v = form.verifySigned(signed)
    chain = v.signerChain
    sentAt = v.payload.sentAt
    signature = v.signature
  }
  let verified: VerifiedReceipt | undefined
  try {
    verified = n.receipt === undefined ? undefined : await profile.verifyReceipt(n.receipt)
  } catch {
    verified = undefined // written as received; the verifier reports it
  }
  const noticeImprint = createHash('sha256').update(signature).digest()
  const receiptImprint = verified && createHash('sha256').update(verified.signature).digest()
  const [noticeToken, receiptToken] = tokensByImprint(n.tokens ?? [], noticeImprint, receiptImprint)
  const noticeTime = noticeToken ? tokenFacts(noticeToken).genTime : new Date(sentAt)
  const receiptTime = receiptToken ? tokenFacts(receiptToken).genTime : verified && new Date(verified.claims.receivedAt)
  const directoryJws = deps.directoryAt?.(noticeTime) ?? deps.directoryJws()
  const log = await noticeLog(deps, n)
  const entry: ManifestNotice = {
    messageId: n.messageId, type: n.type, direction: n.direction, about: n.about, from: n.from, to: n.to, profile: n.profile,
    envelope: own.add(dir + form.envelopeFile, 'envelope', n.envelope),
    notice: own.add(dir + form.noticeFile, 'signed-notice', signed),
    noticeSigner: own.add(dir + 'notice-signer.pem', 'signer-chain', chainPem(chain)),
    directory: shared.add(directoryFile(directoryJws).path, 'directory', directoryFile(directoryJws).bytes),
    crls: crlParts(deps, shared, [noticeTime, receiptTime, ...checkpointTimes(log)]),
    noticeTime: noticeTime.toISOString(),
    noticeTimeProof: noticeToken ? 'time-stamp' : 'claimed',
    noticeImprint: noticeImprint.toString('hex'),
  }
  if (n.contentKey !== undefined) entry.contentKey = own.add(dir + 'content-key.hex', 'content-key', contentKeyFile(n.contentKey))
  if (noticeToken) {
    entry.noticeTimestamp = own.add(dir + 'notice.tsr', 'notice-timestamp', noticeToken)
    entry.noticeTsa = tsaChain(shared, noticeToken)
  }
  if (n.receipt !== undefined) {
    Object.assign(entry, receiptMembers(own, shared, dir, form.receiptFile, { receipt: n.receipt, verified, time: receiptTime, imprint: receiptImprint, token: receiptToken }))
  }
  if (log !== undefined) Object.assign(entry, logMembers(own, shared, dir, log))
  return entry
}

/** PROTOCOL.md §20.7: the recipient's log shows the notice received, like a letter; and a notice we
 *  sent shows its sending (and delivery) in our log, like a letter. Undefined: nothing to show. */
async function noticeLog(deps: EvidenceDeps, n: NoticeEvidence): Promise<MessageLog | undefined> {
  const received = n.receipt !== undefined ? n.log : undefined
  const ours = n.sent !== undefined && deps.logFor !== undefined ? await deps.logFor(n.sent) : undefined
  if (ours === undefined) return received
  const senderSide = { proofs: ours.proofs.filter((p) => p.type !== 'message.received'), gaps: ours.gaps.filter((g) => g.type !== 'message.received') }
  return { proofs: [...senderSide.proofs, ...(received?.proofs ?? [])], gaps: [...senderSide.gaps, ...(received?.gaps ?? [])] }
}
