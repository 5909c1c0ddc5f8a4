// Evidence of a classified item (PROTOCOL.md §19.10), a JSON bundle: the signed directory, per outer
// message the receipt (and, on the sending node while held, the outer envelope with its content key,
// which opens only the outer layer), the officers' statements as signed, and the access record's
// canonical entries. No key that opens the inner envelope is in it, because no node has one.
// verifyClassifiedEvidence checks it offline (verify-evidence dispatches on `format`).
import { createHash } from 'node:crypto'
import { isoTime } from '../../clock.js'
import { receiptFromText, type ProfileTable } from '../../crypto/profiles.js'
import { verifyCms } from '../../crypto/cms/signed-data.js'
import { fingerprint } from '../../pki/cert.js'
import { Directory, verifyDirectory } from '../../pki/directory.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import { visibleItem } from './access-check.js'
import { itemView } from './views.js'
import { canonicalJson, type Canonical } from '../../domain/canonical-json.js'
import type { Finding } from '../evidence/verify.js'
import type { ReceiptClaims } from '../../crypto/types.js'
import { storedReceiptClaims } from '../log/receipt-claims.js'
import { receivedEntry } from '../log/received-entry.js'
import { checkCheckpointSigner, verifyCheckpoint } from '../log/checkpoints.js'
import { leafHash, verifyInclusion } from '../../tlog/index.js'

export const CLASSIFIED_EVIDENCE_FORMAT = 'saraban-classified-evidence'

export interface ClassifiedEvidence {
  readonly format: typeof CLASSIFIED_EVIDENCE_FORMAT
  readonly v: 1
  readonly exportedAt: string
  readonly item: Record<string, unknown>
  readonly innerSha256: string | null
  readonly directory: string
  readonly messages: ReadonlyArray<{
    messageId: string; from: string; to: string; cover: unknown; profile: string; envelopeSha256: string; receipt: string; envelope?: string; contentKey?: string
    /** PROTOCOL.md §19.10, §20.7: the recipient's inclusion proof of the receipt's message.received entry */
    log?: ClassifiedLogProof
    /** why the bundle has no such proof (a weaker claim) */
    logGap?: string
  }>
  readonly statements: ReadonlyArray<{ type: string; der: string }>
  readonly access: ReadonlyArray<{ record: string; recordSha256: string }>
}

/** One inclusion proof in the recipient's log (PROTOCOL.md §20.7), as JSON: bytes in base64, hashes in hex. */
export interface ClassifiedLogProof {
  readonly index: number
  readonly size: number
  /** the entry's exact bytes (canonical JSON, §20.3), base64 */
  readonly entry: string
  /** RFC 9162 §2.1.3 inclusion proof, lowercase hex hashes */
  readonly proof: readonly string[]
  /** the checkpoint the receipt carries (compact JWS, §20.4) */
  readonly checkpoint: string
}

/** The proof (or the gap) of one delivered or received classified message, from the receipt's claims. */
function logMembersOf(deps: ClassifiedDeps, messageId: string, receipt: string): { log?: ClassifiedLogProof; logGap?: string } {
  if (!deps.receivedLog) return {}
  let l
  try {
    l = deps.receivedLog(messageId, storedReceiptClaims(receipt))
  } catch {
    return {} // a receipt that does not read: the verifier reports the receipt itself
  }
  const p = l.proofs[0]
  if (p === undefined) return { logGap: l.gaps[0]?.reason ?? 'no proof' }
  return { log: { index: p.index, size: p.size, entry: p.entry.toString('base64'), proof: p.proof.map((h) => h.toString('hex')), checkpoint: p.checkpoint } }
}

export async function exportEvidence(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string): Promise<ClassifiedEvidence> {
  const item = await visibleItem(deps, caller, id, 'export')
  const messages = deps.store.messages(item.id).flatMap((m) => {
    const out = item.direction === 'out'
    const profile = out ? m.outProfile : m.profile
    const receipt = out ? m.outReceipt : m.receipt
    const envelopeSha256 = out ? m.outEnvelopeSha256 : m.envelopeSha256
    if (!profile || !receipt || !envelopeSha256) return [] // not delivered (yet): nothing proven
    const full = out && item.destroyedAt === null ? deps.outbox.getMessage(m.messageId) : undefined
    const envelope = full ? deps.outbox.getEnvelope(m.messageId) : undefined
    return [{
      messageId: m.messageId, from: m.fromAgency, to: m.toAgency, cover: JSON.parse(m.coverJson) as unknown, profile, envelopeSha256, receipt,
      ...logMembersOf(deps, m.messageId, receipt),
      ...(envelope && full && full.contentKey.length > 0 ? { envelope: envelope.toString('base64'), contentKey: full.contentKey.toString('base64') } : {}),
    }]
  })
  await deps.db.write(() => deps.access.append({ agency: item.agency, event: 'export', outcome: 'success', rule: 'evidence-export', itemId: item.id, controlNumber: item.controlNumber, apiKey: caller.keyName, client: caller.client }))
  return {
    format: CLASSIFIED_EVIDENCE_FORMAT, v: 1, exportedAt: isoTime(deps.clock.now()), item: itemView(deps.store, item), innerSha256: item.innerSha256,
    directory: deps.directoryJws(), messages,
    statements: deps.store.statements(item.id).map((s) => ({ type: s.type, der: s.der.toString('base64') })),
    access: deps.store.access(item.id).map((a) => ({ record: a.record, recordSha256: a.recordSha256 })),
  }
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

/** Offline check (PROTOCOL.md §19.10); never throws for a bad bundle. */
export async function verifyClassifiedEvidence(b: ClassifiedEvidence, deps: { anchors: TrustAnchors; profiles: ProfileTable; strict?: boolean | undefined }): Promise<{ ok: boolean; findings: Finding[]; weak: string[] }> {
  const findings: Finding[] = []
  const weak: string[] = []
  const note = (part: string, ok: boolean, detail: string) => findings.push({ part, ok, detail })
  const attempt = async (part: string, fn: () => Promise<string> | string) => {
    try {
      note(part, true, await fn())
    } catch (e) {
      note(part, false, (e as Error).message)
    }
  }
  let directory: Directory | undefined
  await attempt('directory', async () => {
    const doc = await verifyDirectory(b.directory, deps.anchors, { atIssue: true })
    directory = new Directory(doc)
    deps.anchors.addIntermediates(directory.intermediates())
    return `signed directory serial ${doc.serial}`
  })
  for (const m of b.messages) {
    let claims: ReceiptClaims | undefined
    await attempt(`messages/${m.messageId}/receipt`, async () => {
      const profile = deps.profiles.get(m.profile)
      if (!profile) throw new Error(`unknown profile ${m.profile}`)
      const r = await profile.verifyReceipt(receiptFromText(m.profile, m.receipt))
      const c = r.claims
      if (c.mid !== m.messageId || c.from !== m.from || c.to !== m.to || c.envelopeSha256 !== m.envelopeSha256) throw new Error('the receipt names another message or other envelope bytes')
      const path = await deps.anchors.validate(r.signerChain, { at: new Date(c.receivedAt), role: 'signing' })
      if (!path.ok) throw new Error(`the receipt signer does not validate: ${path.reason}`)
      if (!directory?.isSigningCertOf(m.to, fingerprint(r.signerChain[0]!))) throw new Error(`the receipt is not signed by "${m.to}" per the directory`)
      claims = c
      return `"${m.to}" received envelope ${m.envelopeSha256} at ${c.receivedAt}`
    })
    if (claims !== undefined) await checkClassifiedLog(m, claims, { ...deps, directory }, { attempt, note, weak })
    if (m.envelope && m.contentKey) {
      await attempt(`messages/${m.messageId}/envelope`, async () => {
        const env = Buffer.from(m.envelope!, 'base64')
        if (sha(env) !== m.envelopeSha256) throw new Error('the envelope bytes differ from the receipt')
        const opened = await deps.profiles.get(m.profile)!.openWithContentKey(env, Buffer.from(m.contentKey!, 'base64'))
        if (canonicalJson(opened.payload.classified as Canonical) !== canonicalJson(m.cover as Canonical)) throw new Error('the signed cover differs')
        if (b.innerSha256 && (opened.attachments.length !== 1 || sha(opened.attachments[0]!) !== b.innerSha256)) throw new Error('the sealed inner envelope differs from innerSha256')
        return 'the outer envelope opens with its content key; its signed cover binds the inner envelope (which stays sealed to the officers)'
      })
    }
  }
  for (const [i, s] of b.statements.entries()) {
    await attempt(`statements/${i}`, async () => {
      const v = verifyCms(Buffer.from(s.der, 'base64'))
      const st = JSON.parse(v.payload.toString('utf8')) as { agency: string; officer: string; innerSha256?: string; at: string }
      const owner = directory?.officerByCertFingerprint(fingerprint(v.chain[0]!))
      if (!owner || owner.role !== 'officer-signing' || owner.agency !== st.agency || owner.officer.id !== st.officer) throw new Error('not signed by the officer it names, per the directory')
      const path = await deps.anchors.validate(v.chain, { at: v.signingTime, role: 'officer-signing' })
      if (!path.ok) throw new Error(`the officer's certificate does not validate: ${path.reason}`)
      if (s.type === 'opened' && st.innerSha256 !== b.innerSha256) throw new Error('the opening acknowledgement names other inner bytes')
      return `${s.type} by ${st.agency}:${st.officer} at ${st.at}`
    })
  }
  await attempt('access', () => {
    for (const a of b.access) {
      if (sha(Buffer.from(a.record, 'utf8')) !== a.recordSha256) throw new Error('an entry does not match its SHA-256')
      if (canonicalJson(JSON.parse(a.record) as Canonical) !== a.record) throw new Error('an entry is not canonical JSON')
    }
    return `${b.access.length} access-record entries, each canonical and hashed`
  })
  weak.push('the access record is as the exporting node kept it (a transparency log makes rewriting it evident)')
  return { ok: findings.every((f) => f.ok), findings, weak }
}

/** PROTOCOL.md §19.10, §20.7: the receipt's entry in the recipient's log, under the checkpoint the
 *  receipt carries, signed by the recipient; stripped log members are a weaker claim (strict: refused). */
async function checkClassifiedLog(
  m: ClassifiedEvidence['messages'][number],
  claims: ReceiptClaims,
  deps: { anchors: TrustAnchors; directory: Directory | undefined; strict?: boolean | undefined },
  out: { attempt: (part: string, fn: () => Promise<string> | string) => Promise<void>; note: (part: string, ok: boolean, detail: string) => void; weak: string[] },
): Promise<void> {
  const part = `messages/${m.messageId}/log`
  const weaker = (why: string) => {
    if (deps.strict) out.note(part, false, `strict: ${why}`)
    out.weak.push(`${part}: ${why}`)
  }
  if (m.log === undefined) {
    if (m.logGap !== undefined) return weaker(`message.received is not shown in the log of "${m.to}": ${m.logGap}`)
    if (claims.log !== undefined) return weaker(`lists no log proof or gap, yet the receipt's signed claims carry the recipient's checkpoint: the log members were stripped from this bundle`)
    return // a bundle of a node before PROTOCOL.md §20
  }
  const p = m.log
  await out.attempt(part, async () => {
    if (claims.log === undefined || claims.log.index !== p.index || claims.log.checkpoint !== p.checkpoint) throw new Error('is not the checkpoint and index the receipt carries')
    const entry = Buffer.from(p.entry, 'base64')
    if (!entry.equals(receivedEntry(claims))) throw new Error('the entry is not the message.received entry rebuilt from the receipt\'s claims')
    const cp = verifyCheckpoint(p.checkpoint)
    if (!deps.directory) throw new Error('no verified directory to judge the checkpoint\'s signer')
    await checkCheckpointSigner(cp, m.to, { anchors: deps.anchors, directory: deps.directory })
    if (cp.body.size !== p.size) throw new Error(`the checkpoint signs a tree of ${cp.body.size} entries; the bundle says ${p.size}`)
    const proof = p.proof.map((h) => Buffer.from(h, 'hex'))
    if (!p.proof.every((h) => /^[0-9a-f]{64}$/.test(h)) || !verifyInclusion(leafHash(entry), p.index, p.size, proof, cp.body.root)) {
      throw new Error(`the proof does not lead from the entry's leaf hash at index ${p.index} to the root the checkpoint signs`)
    }
    return `the receipt's entry is entry ${p.index} of the log of "${m.to}" (tree of ${p.size}, root ${cp.body.root.toString('base64')}, checkpoint signed by "${m.to}" at ${cp.body.time})`
  })
}
