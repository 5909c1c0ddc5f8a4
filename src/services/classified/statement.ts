// Verifying an officer's statement on the node (PROTOCOL.md §19.4): a CMS SignedData (id-data,
// attached UTF-8 JSON, one SignerInfo) whose signer certificate is, by SHA-256, an officer-signing
// certificate of the officer the statement names in the signed directory, valid to the federation
// roots for that role now; then the statement says what the caller expects (type, agency, control
// number, inner digest, message id). Structural and signature failures say one thing (no oracle).
import { createHash } from 'node:crypto'
import { isSarabanError, SarabanError } from '../../errors.js'
import { readStatement, type OfficerStatement, type StatementType } from '../../classified/statement.js'
import { fingerprint } from '../../pki/cert.js'
import type { Directory } from '../../pki/directory.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { DirectoryOfficer } from '../../pki/directory.js'

export type { OfficerStatement, StatementType } from '../../classified/statement.js'

export interface VerifiedStatement {
  readonly statement: OfficerStatement
  readonly officer: DirectoryOfficer
  readonly certSha256: string
  readonly der: Buffer
}

export interface StatementExpect {
  readonly type: StatementType
  /** The agency whose officer must have signed it. */
  readonly agency: string
  readonly controlNumber?: string | undefined
  readonly innerSha256?: string | undefined
  readonly messageId?: string | undefined
}

export interface StatementDeps {
  readonly directory: () => Directory
  readonly anchors: TrustAnchors
  readonly clock: { now(): number }
}


function invalid(detail: string, field: string): SarabanError {
  return new SarabanError('ERR_STATEMENT_INVALID', detail, { field })
}

/** Strict standard base64 → bytes (RFC 4648 §4). */
export function strictBase64(text: string, field: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64')
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  if (text.length === 0 || text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - pad) {
    throw new SarabanError('ERR_REQUEST_INVALID', `${what} must be standard base64 (RFC 4648 §4), without line breaks.`, { field })
  }
  return bytes
}

export async function verifyStatement(deps: StatementDeps, b64: string, expect: StatementExpect, field: string): Promise<VerifiedStatement> {
  const der = strictBase64(b64, field, 'The statement')
  // PROTOCOL.md §19.4: one reader for the officer's software and the node; a bad signature is, to
  // the node, one more way for a statement not to be valid.
  let read
  try {
    read = readStatement(der, field)
  } catch (e) {
    if (isSarabanError(e) && e.code === 'ERR_SIGNATURE_INVALID') throw invalid('The statement is not a valid CMS SignedData signed by one officer (PROTOCOL.md §19.4).', field)
    throw e
  }
  const st = read.statement
  const v = { chain: read.chain }
  const directory = deps.directory()
  const certSha256 = fingerprint(v.chain[0]!)
  const owner = directory.officerByCertFingerprint(certSha256)
  // PROTOCOL.md §19.1: a certificate speaks for an officer only through the signed directory.
  if (!owner || owner.role !== 'officer-signing' || owner.agency !== st.agency || owner.officer.id !== st.officer) {
    throw new SarabanError('ERR_OFFICER_UNTRUSTED', `The statement is not signed with an officer-signing certificate of officer "${st.officer}" of "${st.agency}" in the directory.`, { field })
  }
  const path = await deps.anchors.validate(v.chain, { at: new Date(deps.clock.now()), role: 'officer-signing', code: 'ERR_OFFICER_UNTRUSTED' })
  if (!path.ok) throw new SarabanError(path.code, `The officer's signing certificate does not validate: ${path.reason}`, { field })
  const want = (ok: boolean, what: string) => {
    if (!ok) throw invalid(`The statement ${what}.`, field)
  }
  want(st.type === expect.type, `is a "${st.type}" statement, not "${expect.type}"`)
  want(st.agency === expect.agency, `is by an officer of "${st.agency}", not of "${expect.agency}"`)
  if (expect.controlNumber !== undefined) want(st.controlNumber === expect.controlNumber, `names control number ${st.controlNumber}, not ${expect.controlNumber}`)
  if (expect.innerSha256 !== undefined) want(st.innerSha256 === expect.innerSha256, 'names other inner-envelope bytes (innerSha256) than this item holds')
  if (expect.messageId !== undefined) want(st.messageId === expect.messageId, `names message ${st.messageId ?? '(none)'}, not ${expect.messageId}`)
  return { statement: st, officer: owner.officer, certSha256, der }
}

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}
