// Evidence bundle v1 (PROTOCOL.md §8.1–§8.2): the JSON bundles that nodes of the first version exported.
// Nodes now export v2 (build.ts); `verify-evidence` still checks v1 bundles, with the
// weaker claims v1 can make (no time-stamps, no CRLs: chains judged at the signed times).
import { createHash } from 'node:crypto'
import type { TrustAnchors } from '../../pki/validate.js'
import { Directory, verifyDirectory } from '../../pki/directory.js'
import { fingerprint } from '../../pki/cert.js'
import { receiptFromText, type ProfileTable } from '../../crypto/profiles.js'
import { routingMismatch } from '../../crypto/payload.js'
import { checkReceipt } from '../receipt-check.js'

const EVIDENCE_FORMAT = 'saraban-evidence'
const EVIDENCE_VERSION = 1

export interface EvidenceMessage {
  messageId: string
  recipient: string
  profile: string
  status: string
  envelopeMediaType: string
  envelope: string // standard base64 of the exact bytes sent
  envelopeSha256: string
  contentKey: string // base64url; lets the auditor open the envelope without the recipient's key
  receipt: string | null
  deliveredAt: string | null
}

export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT
  version: typeof EVIDENCE_VERSION
  generatedAt: string
  letterId: string
  sender: string
  directory: string
  messages: EvidenceMessage[]
}

export interface EvidenceFinding {
  readonly part: string // e.g. "messages[0].receipt"
  readonly ok: boolean
  readonly detail: string
}

export interface EvidenceReport {
  readonly ok: boolean
  readonly findings: readonly EvidenceFinding[]
  readonly weak: readonly string[]
}

const V1_WEAK = ['a v1 bundle has no time-stamps and no CRLs: every time is the signer\'s own claim, and revocation is not checked']

/** Offline verification of a v1 bundle. Never throws for a bad bundle: every problem is a finding. */
export async function verifyEvidenceV1(bundle: unknown, deps: { anchors: TrustAnchors; profiles: ProfileTable }): Promise<EvidenceReport> {
  const findings: EvidenceFinding[] = []
  const note = (part: string, ok: boolean, detail: string) => findings.push({ part, ok, detail })
  const b = bundle as Partial<EvidenceBundle>
  if (!b || b.format !== EVIDENCE_FORMAT || b.version !== EVIDENCE_VERSION || !Array.isArray(b.messages)) {
    note('bundle', false, `not a ${EVIDENCE_FORMAT} v${EVIDENCE_VERSION} document`)
    return { ok: false, findings, weak: V1_WEAK }
  }
  let directory: Directory | undefined
  try {
    const doc = await verifyDirectory(String(b.directory), deps.anchors, { atIssue: true })
    directory = new Directory(doc)
    deps.anchors.addIntermediates(directory.intermediates())
    note('directory', true, `signed directory serial ${doc.serial}, issued ${doc.issuedAt}`)
  } catch (err) {
    note('directory', false, `the directory does not verify: ${(err as Error).message}`)
  }
  for (const [i, m] of b.messages.entries()) {
    const part = `messages[${i}]`
    try {
      await verifyMessage(m, String(b.sender), directory, deps, (p, ok, d) => note(`${part}${p}`, ok, d))
    } catch (err) {
      note(part, false, `could not be checked: ${(err as Error).message}`)
    }
  }
  return { ok: findings.length > 0 && findings.every((f) => f.ok), findings, weak: V1_WEAK }
}

async function verifyMessage(
  m: EvidenceMessage,
  sender: string,
  directory: Directory | undefined,
  deps: { anchors: TrustAnchors; profiles: ProfileTable },
  note: (part: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const envelope = Buffer.from(m.envelope, 'base64')
  const sha = createHash('sha256').update(envelope).digest('hex')
  if (sha !== m.envelopeSha256) return note('.envelope', false, 'the envelope bytes do not match envelopeSha256')
  note('.envelope', true, `envelope ${m.envelopeSha256}`)
  const profile = deps.profiles.get(m.profile)
  try {
    profile.peek(envelope, { messageId: m.messageId, from: sender, to: m.recipient })
  } catch {
    return note('.envelope', false, 'the envelope header names another message, sender or recipient than the bundle')
  }
  let opened
  try {
    opened = await profile.openWithContentKey(envelope, Buffer.from(m.contentKey, 'base64url'))
  } catch (err) {
    return note('.contentKey', false, `the envelope does not open and verify with the content key: ${(err as Error).message}`)
  }
  // cms-v1 names no parties outside the encryption (PROTOCOL.md §12.5): bind them to the signed payload.
  if (routingMismatch(opened.payload, { messageId: m.messageId, from: sender, to: m.recipient }) !== undefined) { // §4.2 check 11, §17.3
    return note('.signature', false, 'the signed letter names another message, sender or recipient than the bundle')
  }
  const signedAt = new Date(opened.payload.sentAt)
  const chain = await deps.anchors.validate(opened.signerChain, { at: signedAt, role: 'signing' })
  const listed = directory?.isSigningCertOf(sender, fingerprint(opened.signerChain[0]!)) ?? false
  note('.signature', chain.ok && listed, chain.ok
    ? listed ? `signed by ${opened.signerChain[0]!.subject.replaceAll('\n', ', ')} at ${opened.payload.sentAt}; attachment digests match`
      : `the signer is not a signing certificate of "${sender}" in the directory`
    : `the signer chain does not validate at ${opened.payload.sentAt}: ${chain.reason}`)
  if (!m.receipt) return note('.receipt', false, `no receipt (status ${m.status}): delivery is not proven`)
  if (!directory) return note('.receipt', false, 'cannot check the receipt signer without a valid directory')
  const r = await checkReceipt(receiptFromText(m.profile, m.receipt), { messageId: m.messageId, from: sender, to: m.recipient, envelopeSha256: m.envelopeSha256 }, { profile, anchors: deps.anchors, directory })
  note('.receipt', r.ok, r.ok ? `receipt signed by "${m.recipient}" at ${r.value.receivedAt} binds these envelope bytes` : r.reason)
}
