// The checks of one notice of an evidence bundle v2 (PROTOCOL.md §18.6): its envelope is one from
// `from` to `to` with its id; its signed notice verifies, names those parties and exactly one letter
// envelope of the bundle (id and SHA-256), in the direction its type allows; its signer is a signing
// certificate of `from`; its receipt binds the envelope bytes and is signed by `to`. A notice we sent
// (a withdrawal) must also open with its content key into exactly that signed notice. Each signature
// (notice, receipt) is judged at its time-stamp's genTime like a letter's (§8.6 steps 4–6), else at
// the signed claim, a weaker claim.
import { createHash } from 'node:crypto'
import type { ManifestNotice } from '../../evidence/manifest.js'
import { chainPem, evidenceForm, parseContentKeyFile, type VerifiedSigned } from '../../evidence/forms.js'
import type { Notice } from '../../domain/notices.js'
import type { VerifiedReceipt } from '../../crypto/types.js'
import { checkReceiptSigner, checkSigner, provenTime, same, type MessageContext } from './message.js'
import { checkLogProofs, weakClaim } from './log-check.js'
import { EVENT_SIDE, LOG_EVENTS } from '../../evidence/log-proof.js'

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export async function checkNoticeEntry(n: ManifestNotice, ctx: MessageContext): Promise<void> {
  const { note, contents, manifest } = ctx
  const file = (path: string) => contents.get(path)!
  const form = evidenceForm(n.profile)
  if (form === undefined || !ctx.deps.profiles.has(n.profile)) return note(n.envelope, false, `profile ${n.profile} is not one this verifier implements`)
  const profile = ctx.deps.profiles.get(n.profile)
  const envelope = file(n.envelope)
  try {
    profile.peek(envelope, { messageId: n.messageId, from: n.from, to: n.to })
  } catch (e) {
    return note(n.envelope, false, `not an envelope from "${n.from}" to "${n.to}" with id ${n.messageId}: ${(e as Error).message}`)
  }
  let signed: VerifiedSigned
  try {
    signed = form.verifySigned(file(n.notice))
  } catch (e) {
    return note(n.notice, false, `the signed notice does not verify: ${(e as Error).message}`)
  }
  if (n.contentKey !== undefined) {
    const cek = parseContentKeyFile(file(n.contentKey))
    if (cek === undefined) return note(n.contentKey, false, 'not 64 lowercase hex digits and a newline')
    try {
      const opened = await profile.openWithContentKey(envelope, cek)
      const same = form.letterBytes(opened).equals(file(n.notice))
      note(n.envelope, same, same ? `opens with ${n.contentKey} into exactly ${n.notice}` : `opens with ${n.contentKey}, but not into ${n.notice}`)
    } catch (e) {
      return note(`${n.envelope} with ${n.contentKey}`, false, `the envelope does not open with the content key: ${(e as Error).message}`)
    }
  } else if (n.direction === 'sent') {
    return note(n.envelope, false, 'a notice the sender sent comes with its content key')
  }
  const p = signed.payload
  const notice = p.notice as Notice | undefined
  const about = manifest.messages.find((m) => m.messageId === n.about)
  const aboutSha = about && contents.get(about.envelope) ? sha256(contents.get(about.envelope)!) : undefined
  // Answers go recipient → sender, withdrawals and disputes sender → recipient (PROTOCOL.md §18.1).
  const direction = n.type === 'withdrawn' || n.type === 'disputed'
    ? n.direction === 'sent' && n.from === manifest.sender && n.to === about?.recipient
    : n.direction === 'received' && n.to === manifest.sender && n.from === about?.recipient
  const ok = notice !== undefined && p.v === 1 && p.mid === n.messageId && p.from === n.from && p.to === n.to && notice.type === n.type
    && notice.messageId === n.about && aboutSha !== undefined && notice.envelopeSha256 === aboutSha && direction
  note(n.notice, ok, ok
    ? `"${n.from}" signed: ${n.type} ${describe(notice!)} about message ${n.about} (envelope ${aboutSha})`
    : `the signed notice does not name this notice, its parties and type, and a letter envelope of the bundle in the direction its type allows`)
  same(ctx, n.noticeSigner, chainPem(signed.signerChain), 'the certificate chain in the signed notice')
  // The CRLs the notice names (in force at its times); a bundle of an earlier node has the message's.
  const judged = { directory: n.directory, crls: n.crls ?? about?.crls ?? [] }
  const noticeTime = await provenTime(ctx, {
    what: 'notice', part: n.notice, claimed: p.sentAt, signature: signed.signature, token: n.noticeTimestamp, tsa: n.noticeTsa,
    manifestTime: n.noticeTime, manifestProof: n.noticeTimeProof, manifestImprint: n.noticeImprint,
  })
  if (noticeTime !== undefined) await checkSigner(ctx, judged, { part: n.notice, agency: n.from, chain: signed.signerChain, at: noticeTime })

  if (n.receipt === undefined) return note(`notices/${n.messageId}`, false, `no receipt: delivery of the notice to "${n.to}" is not proven`)
  let receipt: VerifiedReceipt
  try {
    receipt = await profile.verifyReceipt(file(n.receipt))
  } catch {
    return note(n.receipt, false, 'the receipt signature does not verify')
  }
  const c = receipt.claims
  const envSha = sha256(envelope)
  const claimsOk = c.mid === n.messageId && c.from === n.from && c.to === n.to && c.envelopeSha256 === envSha && c.profile === n.profile
  note(n.receipt, claimsOk, claimsOk ? `"${n.to}" acknowledged notice envelope ${envSha}` : `the receipt's claims do not name this notice, its parties, profile and envelope bytes (${envSha})`)
  if (n.receiptSigner === undefined) return note('manifest.json', false, `notice ${n.messageId} has a receipt but no receiptSigner`)
  await checkReceiptSigner(ctx, { ...n, receipt: n.receipt, receiptSigner: n.receiptSigner }, receipt, judged, n.to)
  // PROTOCOL.md §20.7: the notice's receipt in the recipient's log, like a letter's; a notice the
  // bundle's maker sent also shows its sending and delivery in the sender's log, like a letter.
  const senderEvents = [...(n.log ?? []), ...(n.logGaps ?? [])].some((x) => EVENT_SIDE[x.type] === 'sender')
  const part = `notices/${n.messageId}`
  await checkLogProofs(ctx, { messageId: n.messageId, recipient: n.to, receipt: n.receipt, directory: n.directory, crls: judged.crls, log: n.log, logGaps: n.logGaps }, {
    envelope, receipt: { bytes: file(n.receipt), verified: receipt }, events: n.direction === 'sent' && senderEvents ? LOG_EVENTS : ['message.received'], part,
    senderCheckpoint: n.direction === 'sent' && p.checkpoint !== undefined,
  })
  // A bundle of a node before this rule lists the received event only; the signed envelope says a log was kept.
  if (n.direction === 'sent' && !senderEvents && (n.log !== undefined || n.logGaps !== undefined) && p.checkpoint !== undefined) {
    weakClaim(ctx, part, `the signed envelope carries the sender's checkpoint, yet the bundle shows neither proofs nor gaps of the notice's message.sent and message.delivered in the log of "${n.from}"`)
  }
}

function describe(n: Notice): string {
  if (n.type === 'accepted' && n.register) return `(receive number ${n.register.number}, book ${n.register.book}, ${n.register.year}, at ${n.at})`
  if (n.type === 'rejected') return `(${n.reasonCode}: ${n.reason})`
  if (n.type === 'disputed' && n.register) return `(receive number ${n.register.number}, book ${n.register.book}, ${n.register.year}: ${n.reason})`
  return `(${n.reason ?? ''})`
}
