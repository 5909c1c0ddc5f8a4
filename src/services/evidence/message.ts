// The checks of one message of an evidence bundle v2 (PROTOCOL.md §8.6 steps 3–7): the envelope
// opens with its content key into the signed letter and attachments the bundle shows; each
// signature (letter, receipt) is judged at the time its time-stamp proves (else at the signed
// claim, which is weaker), against the directory and the CRLs in force then.
import { createHash, type X509Certificate } from 'node:crypto'
import type { Directory } from '../../pki/directory.js'
import { fingerprint, notAfter } from '../../pki/cert.js'
import type { Opened, VerifiedReceipt } from '../../crypto/types.js'
import { routingMismatch } from '../../crypto/payload.js'
import type { Manifest, ManifestMessage, TimeProof } from '../../evidence/manifest.js'
import { chainPem, evidenceForm, parseContentKeyFile } from '../../evidence/forms.js'
import { revocationAt, type ParsedCrl } from '../../evidence/crl.js'
import { tokenFacts } from '../../evidence/tst.js'
import type { EvidenceVerifyDeps } from './verify.js'
import { checkLogProofs } from './log-check.js'

export interface MessageContext {
  readonly manifest: Manifest
  readonly contents: ReadonlyMap<string, Buffer>
  readonly directories: ReadonlyMap<string, Directory>
  readonly crls: ReadonlyMap<string, ParsedCrl>
  readonly deps: EvidenceVerifyDeps
  readonly note: (part: string, ok: boolean, detail: string) => void
  readonly weak: string[]
  /** reports a validated path (leaf..anchor), so CRL signatures can be checked against its CAs */
  readonly pathSeen: (path: readonly X509Certificate[]) => void
  /** how many findings failed so far (a check that calls others tells whether they all passed) */
  readonly failures: () => number
}

const CLOCK_SKEW_MS = 5 * 60_000 // as for receipts (PROTOCOL.md §6.3)
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest()
const who = (c: X509Certificate) => c.subject.replaceAll('\n', ', ')

export async function checkMessage(m: ManifestMessage, ctx: MessageContext): Promise<void> {
  const { note, contents } = ctx
  const sender = ctx.manifest.sender
  const file = (path: string | undefined) => (path === undefined ? undefined : contents.get(path))
  const envelope = file(m.envelope)!
  const form = evidenceForm(m.profile)
  if (form === undefined || !ctx.deps.profiles.has(m.profile)) return note(m.envelope, false, `profile ${m.profile} is not one this verifier implements`)
  const profile = ctx.deps.profiles.get(m.profile)
  try {
    profile.peek(envelope, { messageId: m.messageId, from: sender, to: m.recipient })
  } catch (e) {
    return note(m.envelope, false, `not an envelope from "${sender}" to "${m.recipient}" with id ${m.messageId}: ${(e as Error).message}`)
  }
  const cek = parseContentKeyFile(file(m.contentKey)!)
  if (cek === undefined) return note(m.contentKey, false, 'not 64 lowercase hex digits and a newline')
  let opened: Opened
  try {
    opened = await profile.openWithContentKey(envelope, cek)
  } catch (e) {
    return note(`${m.envelope} with ${m.contentKey}`, false, `the envelope does not open and verify with the content key: ${(e as Error).message}`)
  }
  note(m.envelope, true, `${envelope.length} bytes; opens with ${m.contentKey}; the letter signature verifies and the attachments match their signed digests`)
  const aux = form.auditorPrefix?.(envelope, cek)
  if (m.auditorPrefix !== undefined) {
    const ok = aux !== undefined && m.auditorTailOffset === aux.tailOffset && file(m.auditorPrefix)?.equals(aux.prefix) === true
    note(m.auditorPrefix, ok, ok ? `with ${m.envelope} from byte ${aux.tailOffset}, a CMS object OpenSSL opens with ${m.contentKey}` : `is not the KEKRecipientInfo prefix for ${m.envelope} and ${m.contentKey} at the recorded offset`)
  }
  const p = opened.payload
  const unbound = routingMismatch(p, { messageId: m.messageId, from: sender, to: m.recipient }) // PROTOCOL.md §4.2 check 11, §17.3
  if (unbound !== undefined) note(m.letter, false, `the signed letter does not vouch for message ${m.messageId} from "${sender}" to "${m.recipient}": ${unbound.detail}`)
  same(ctx, m.letter, form.letterBytes(opened), 'the signed letter inside the envelope')
  same(ctx, m.letterSigner, chainPem(opened.signerChain), 'the certificate chain in the signed letter')
  const signed = (p.letter?.attachments ?? []) as Array<{ sha256: string }>
  if (signed.length !== m.attachments.length) note('manifest.json', false, `message ${m.messageId} lists ${m.attachments.length} attachments; the letter has ${signed.length}`)
  for (const [i, a] of m.attachments.entries()) same(ctx, a, opened.attachments[i] ?? Buffer.alloc(0), `attachment ${i + 1} inside the envelope`)

  const letterTime = await provenTime(ctx, {
    what: 'letter', part: m.letter, claimed: p.sentAt, signature: opened.signature, token: m.letterTimestamp, tsa: m.letterTsa,
    manifestTime: m.letterTime, manifestProof: m.letterTimeProof, manifestImprint: m.letterImprint,
  })
  if (letterTime !== undefined) await checkSigner(ctx, m, { part: m.letter, agency: sender, chain: opened.signerChain, at: letterTime })

  if (m.receipt === undefined) {
    note(`messages/${m.messageId}`, false, `no receipt (status ${m.status}): delivery to "${m.recipient}" is not proven`)
    return checkLogProofs(ctx, m, { envelope, senderCheckpoint: p.checkpoint !== undefined }) // PROTOCOL.md §20.7: the sending is in the sender's log
  }
  let receipt: VerifiedReceipt
  try {
    receipt = await profile.verifyReceipt(file(m.receipt)!)
  } catch (e) {
    // what is wrong with it (an extra claim, a member twice, a bad signature…), issue 15 item 7
    note(m.receipt, false, `the receipt is refused: ${(e as { detail?: string }).detail ?? 'it does not verify'}`)
    return checkLogProofs(ctx, m, { envelope, senderCheckpoint: p.checkpoint !== undefined })
  }
  const c = receipt.claims
  const envSha = sha256(envelope).toString('hex')
  const claimsOk = c.mid === m.messageId && c.from === sender && c.to === m.recipient && c.envelopeSha256 === envSha && c.profile === m.profile
  note(m.receipt, claimsOk, claimsOk ? `"${m.recipient}" acknowledged envelope ${envSha}` : `the receipt's claims do not name this message, these parties, profile and envelope bytes (${envSha})`)
  if (m.receiptSigner === undefined) return note('manifest.json', false, `message ${m.messageId} has a receipt but no receiptSigner`)
  await checkReceiptSigner(ctx, { ...m, receipt: m.receipt, receiptSigner: m.receiptSigner }, receipt, m, m.recipient)
  await checkLogProofs(ctx, m, { envelope, receipt: { bytes: file(m.receipt)!, verified: receipt }, senderCheckpoint: p.checkpoint !== undefined })
}

type ReceiptEntry = Pick<ManifestMessage, 'receiptTimestamp' | 'receiptTsa' | 'receiptTime' | 'receiptTimeProof' | 'receiptImprint'> & { receipt: string; receiptSigner: string }

/** The receipt's signer chain as the manifest names it, the receipt's time (proven by its token or
 *  claimed), and the signer judged at that time with the directory and CRLs of `judged` (PROTOCOL.md
 *  §8.6). Shared by message and notice entries, whose receipt members are the same. */
export async function checkReceiptSigner(ctx: MessageContext, e: ReceiptEntry, receipt: VerifiedReceipt, judged: Pick<ManifestMessage, 'directory' | 'crls'>, agency: string): Promise<void> {
  same(ctx, e.receiptSigner, chainPem(receipt.signerChain), 'the certificate chain in the receipt')
  const receiptTime = await provenTime(ctx, {
    what: 'receipt', part: e.receipt, claimed: receipt.claims.receivedAt, signature: receipt.signature, token: e.receiptTimestamp, tsa: e.receiptTsa,
    manifestTime: e.receiptTime, manifestProof: e.receiptTimeProof, manifestImprint: e.receiptImprint,
  })
  if (receiptTime !== undefined) await checkSigner(ctx, judged, { part: e.receipt, agency, chain: receipt.signerChain, at: receiptTime })
}

export function same(ctx: MessageContext, path: string, expected: Buffer, what: string): void {
  const got = ctx.contents.get(path)
  const ok = got !== undefined && got.equals(expected)
  ctx.note(path, ok, ok ? `is exactly ${what}` : `is not ${what}`)
}

export interface TimeInput {
  what: 'letter' | 'receipt' | 'notice'
  part: string
  claimed: string
  signature: Buffer
  token: string | undefined
  tsa: string | undefined
  manifestTime: string | undefined
  manifestProof: TimeProof | undefined
  manifestImprint: string | undefined
}

/** The time at which to judge a signature: the genTime of a verified time-stamp on it, else the
 *  signed claim (recorded as a weaker claim). `undefined` when a present token fails. */
export async function provenTime(ctx: MessageContext, t: TimeInput): Promise<Date | undefined> {
  const imprint = sha256(t.signature)
  const claimed = new Date(t.claimed)
  let at = claimed
  let proof: TimeProof = 'claimed'
  if (t.token !== undefined) {
    const token = ctx.contents.get(t.token)!
    const verify = ctx.deps.verifyTimeStampToken
    if (verify === undefined) {
      ctx.note(t.token, false, 'this verifier was built without RFC 3161 support and cannot check the time-stamp')
      return undefined
    }
    const r = await verify(token, { imprint, anchors: ctx.deps.anchors })
    if (!r.ok) {
      ctx.note(t.token, false, `the time-stamp on the ${t.what} signature does not verify: ${r.reason}`)
      return undefined
    }
    at = r.value.genTime
    proof = 'time-stamp'
    if (claimed.getTime() > at.getTime() + CLOCK_SKEW_MS) {
      ctx.note(t.part, false, `claims ${t.claimed}, after its own time-stamp (${at.toISOString()})`)
    }
    ctx.note(t.token, true, `RFC 3161 time-stamp by ${who(r.value.tsaChain[0] ?? tokenFacts(token).certificates[0]!)}: the ${t.what} signature existed at ${at.toISOString()}`)
    if (t.tsa !== undefined) {
      let carried: X509Certificate[] = []
      try { carried = tokenFacts(token).certificates } catch { /* reported by the verifier above */ }
      const got = ctx.contents.get(t.tsa)
      // A TSA chain file may serve several tokens: judge it against this token's certificates.
      if (got === undefined || !got.equals(chainPem(carried))) ctx.note(t.tsa, false, `is not the certificate list carried in ${t.token}`)
    }
  } else {
    const why = `the ${t.what} time ${t.claimed} is the signer's own claim, not proven by a time-stamp`
    if (ctx.deps.strict) ctx.note(t.part, false, `strict: ${why}`)
    ctx.weak.push(`${t.part}: ${why}`)
  }
  const recorded = t.manifestTime === at.toISOString() && t.manifestProof === proof && t.manifestImprint === imprint.toString('hex')
  if (!recorded) ctx.note('manifest.json', false, `the ${t.what} time, proof or imprint it records for ${t.part} is not what the bundle proves`)
  return at
}

export async function checkSigner(ctx: MessageContext, m: Pick<ManifestMessage, 'directory' | 'crls'>, s: { part: string; agency: string; chain: X509Certificate[]; at: Date }): Promise<void> {
  const leaf = s.chain[0]!
  const path = await ctx.deps.anchors.validate(s.chain, { at: s.at, role: 'signing' })
  if (!path.ok) return ctx.note(s.part, false, `the signer chain is not valid for signing at ${s.at.toISOString()}: ${path.reason}`)
  ctx.pathSeen(path.value.path)
  const expired = notAfter(leaf).getTime() < Date.now() ? ` (it has expired since, on ${notAfter(leaf).toISOString()})` : ''
  ctx.note(s.part, true, `signed by ${who(leaf)}, a certificate valid for signing at ${s.at.toISOString()}${expired}`)
  const dir = ctx.directories.get(m.directory)
  if (dir === undefined) return ctx.note(s.part, false, `no valid directory (${m.directory}) to show the signer speaks for "${s.agency}"`)
  const listed = dir.isSigningCertOf(s.agency, fingerprint(leaf))
  const doc = dir.document()
  const inForce = Date.parse(doc.issuedAt) <= s.at.getTime() + CLOCK_SKEW_MS && s.at.getTime() <= Date.parse(doc.nextUpdate)
  ctx.note(s.part, listed, listed
    ? `the directory serial ${doc.serial} lists it as a signing certificate of "${s.agency}"${inForce ? ', and was in force then' : ` (issued ${doc.issuedAt}, next update ${doc.nextUpdate})`}`
    : `the signer is not a signing certificate of active agency "${s.agency}" in directory serial ${doc.serial}`)
  if (!inForce) {
    if (ctx.deps.strict) ctx.note(m.directory, false, `strict: not in force at ${s.at.toISOString()}`)
    ctx.weak.push(`${s.part}: the directory in the bundle was not the one in force at ${s.at.toISOString()}`)
  }
  const crls = m.crls.map((c) => ctx.crls.get(c)).filter((c): c is ParsedCrl => c !== undefined)
  const rev = await revocationAt(path.value.path, crls, s.at)
  ctx.note(s.part, rev.ok, `revocation at ${s.at.toISOString()}: ${rev.detail}`)
  if (rev.unchecked.length > 0) {
    const why = `no CRL in force at ${s.at.toISOString()} for ${rev.unchecked.join('; ')}`
    if (ctx.deps.strict) ctx.note(s.part, false, `strict: ${why}`)
    ctx.weak.push(`${s.part}: ${why}`)
  }
}
