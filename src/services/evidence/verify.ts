// Offline verification of an evidence bundle v2 (PROTOCOL.md §8.6) against the trust anchors the
// verifier names, never against certificates the bundle would like trusted. Every byte of the archive
// is accounted for (layout.ts), then every signature, chain, time-stamp, CRL and digest is checked;
// each finding names the part (the path inside the archive) it is about. Never throws for a bad bundle.
import type { X509Certificate } from 'node:crypto'
import type { TrustAnchors } from '../../pki/validate.js'
import { Directory, verifyDirectory } from '../../pki/directory.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import { readLayout, type Finding } from '../../evidence/layout.js'
import { checksumsFile, MESSAGE_PATH_MEMBERS, type Manifest, type ManifestPart, type PartRole } from '../../evidence/manifest.js'
import { auditorReadme } from '../../evidence/auditor-readme.js'
import { crlSignedByAny, parseCrl, type ParsedCrl } from '../../evidence/crl.js'
import type { TimeStampVerifier } from '../../evidence/tst.js'
import { checkMessage, type MessageContext } from './message.js'
import { checkNoticeEntry } from './notice.js'
import { NOTICE_PATH_MEMBERS, type ManifestNotice } from '../../evidence/manifest.js'
import type { ManifestLogProof } from '../../evidence/log-proof.js'

export type { Finding }

export interface EvidenceReport {
  readonly ok: boolean
  readonly findings: readonly Finding[]
  /** Claims that hold but are weaker than the bundle format allows (e.g. a time not proven by a time-stamp). */
  readonly weak: readonly string[]
}

export interface EvidenceVerifyDeps {
  readonly anchors: TrustAnchors
  readonly profiles: ProfileTable
  /** RFC 3161 token verification (src/tsa, PROTOCOL.md §13); without it, bundles with tokens fail. */
  readonly verifyTimeStampToken?: TimeStampVerifier
  /** Require a time-stamp for every signature and a CRL for every certificate (PROTOCOL.md §8.6). */
  readonly strict?: boolean
}

// Which role each message member must point at.
const MEMBER_ROLE: Record<(typeof MESSAGE_PATH_MEMBERS)[number], PartRole> = {
  envelope: 'envelope', auditorPrefix: 'auditor-prefix', contentKey: 'content-key', letter: 'signed-letter',
  letterSigner: 'signer-chain', letterTimestamp: 'letter-timestamp', letterTsa: 'tsa-chain', receipt: 'receipt',
  receiptSigner: 'receipt-signer-chain', receiptTimestamp: 'receipt-timestamp', receiptTsa: 'tsa-chain', directory: 'directory',
}

// Which role each notice member must point at (PROTOCOL.md §18.6).
const NOTICE_ROLE: Record<(typeof NOTICE_PATH_MEMBERS)[number], PartRole> = {
  envelope: 'envelope', contentKey: 'content-key', notice: 'signed-notice', noticeSigner: 'signer-chain',
  noticeTimestamp: 'notice-timestamp', noticeTsa: 'tsa-chain', receipt: 'receipt', receiptSigner: 'receipt-signer-chain',
  receiptTimestamp: 'receipt-timestamp', receiptTsa: 'tsa-chain', directory: 'directory',
}
// Which role each path of a log proof must point at (PROTOCOL.md §20.7).
const LOG_ROLE = [['entry', 'log-entry'], ['proof', 'log-proof'], ['checkpoint', 'log-checkpoint']] as const satisfies ReadonlyArray<readonly [keyof ManifestLogProof, PartRole]>
export type { ManifestNotice }

export async function verifyEvidenceArchive(archive: Buffer, deps: EvidenceVerifyDeps): Promise<EvidenceReport> {
  const layout = readLayout(archive)
  const findings: Finding[] = [...layout.findings]
  const weak: string[] = []
  const note = (part: string, ok: boolean, detail: string) => findings.push({ part, ok, detail })
  const m = layout.manifest
  if (m === undefined) return { ok: false, findings, weak }

  const byPath = new Map<string, ManifestPart>(m.parts.map((p) => [p.path, p]))
  checkReferences(m, byPath, note)
  // README.txt: as bundles number their steps now, or as older bundles did (auditor-readme.ts).
  const derived = [
    ['README.txt', [auditorReadme(m, m.messages, m.notices), auditorReadme(m, m.messages, m.notices, 'legacy')]],
    ['SHA256SUMS', [checksumsFile(m.parts.filter((p) => p.path !== 'SHA256SUMS'))]],
  ] as const
  for (const [path, expected] of derived) {
    const got = layout.contents.get(path)
    const ok = got !== undefined && expected.some((e) => got.equals(e))
    note(path, ok, ok ? 'as derived from the manifest' : 'is not the file derived from the manifest')
  }

  const directories = new Map<string, Directory>()
  for (const p of m.parts.filter((x) => x.role === 'directory')) {
    try {
      const doc = await verifyDirectory(layout.contents.get(p.path)!.toString('utf8'), deps.anchors, { atIssue: true })
      const d = new Directory(doc)
      deps.anchors.addIntermediates(d.intermediates())
      directories.set(p.path, d)
      note(p.path, true, `signed directory serial ${doc.serial}, issued ${doc.issuedAt}, next update ${doc.nextUpdate}`)
    } catch (e) {
      note(p.path, false, `the directory does not verify: ${(e as Error).message}`)
    }
  }
  const crls = new Map<string, ParsedCrl>()
  for (const p of m.parts.filter((x) => x.role === 'crl')) {
    try {
      crls.set(p.path, parseCrl(layout.contents.get(p.path)!))
    } catch (e) {
      note(p.path, false, `not a DER CRL: ${(e as Error).message}`)
    }
  }

  const cas: X509Certificate[] = [...deps.anchors.anchors]
  const ctx: MessageContext = {
    manifest: m, contents: layout.contents, directories, crls, deps, note, weak,
    pathSeen: (path) => { for (const c of path.slice(1)) cas.push(c) },
    failures: () => findings.reduce((n, f) => n + (f.ok ? 0 : 1), 0),
  }
  for (const msg of m.messages) {
    try {
      await checkMessage(msg, ctx)
    } catch (e) {
      note(`messages/${msg.messageId}`, false, `could not be checked: ${(e as Error).message}`)
    }
  }
  for (const n of m.notices ?? []) {
    try {
      await checkNoticeEntry(n, ctx)
    } catch (e) {
      note(`notices/${n.messageId}`, false, `could not be checked: ${(e as Error).message}`)
    }
  }
  for (const [path, crl] of crls) {
    const signed = await crlSignedByAny(crl, cas)
    note(path, signed, signed ? `CRL of ${crl.thisUpdate.toISOString()}, signed by a CA of a checked path` : 'its signature does not verify with any CA of the checked paths')
  }
  if (m.messages.length === 0) note(MANIFEST_NAME, false, 'the bundle holds no message')
  return { ok: findings.every((f) => f.ok), findings, weak }
}

const MANIFEST_NAME = 'manifest.json'

function checkReferences(m: Manifest, byPath: ReadonlyMap<string, ManifestPart>, note: (part: string, ok: boolean, detail: string) => void): void {
  const used = new Set<string>(['README.txt', 'SHA256SUMS'])
  const expect = (path: string, role: PartRole, who: string) => {
    used.add(path)
    const p = byPath.get(path)
    if (p === undefined || p.role !== role) note(MANIFEST_NAME, false, `${who} names ${path}, which is not a part of role ${role}`)
  }
  for (const msg of m.messages) {
    const who = `message ${msg.messageId}`
    for (const k of MESSAGE_PATH_MEMBERS) if (msg[k] !== undefined) expect(msg[k], MEMBER_ROLE[k], who)
    for (const a of msg.attachments) expect(a, 'attachment', who)
    for (const c of msg.crls) expect(c, 'crl', who)
    for (const p of msg.log ?? []) for (const [k, role] of LOG_ROLE) expect(p[k], role, who)
  }
  for (const n of m.notices ?? []) {
    for (const k of NOTICE_PATH_MEMBERS) if (n[k] !== undefined) expect(n[k], NOTICE_ROLE[k], `notice ${n.messageId}`)
    for (const c of n.crls ?? []) expect(c, 'crl', `notice ${n.messageId}`)
    for (const p of n.log ?? []) for (const [k, role] of LOG_ROLE) expect(p[k], role, `notice ${n.messageId}`)
  }
  for (const p of m.parts) if (!used.has(p.path)) note(p.path, false, 'no message of the manifest refers to this part')
}
