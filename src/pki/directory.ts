// The federation directory: which agencies exist, where their nodes are, and which certificates
// speak for them. The operator signs it as a compact JWS (RFC 7515) with an x5c chain
// (RFC 7515 §4.1.6) whose leaf has the directory EKU (oids.ts). PROTOCOL.md §1.4.
import { createHash } from 'node:crypto'
import type { KeyObject, X509Certificate } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { check, schemaIds } from '../schema/index.js'
import type { TrustAnchors } from './validate.js'
import { signCompactJws, verifyCompactJws } from './compact-jws.js'
import { parseStrictJsonObject } from '../domain/strict-json.js'

export interface DirectoryAgency {
  id: string
  nameTh: string
  nameEn: string
  /** e-CMS ids (PROTOCOL.md §1.4): ministry (2 digits), department (5 digits), the 10-digit
   *  organisation id of the e-CMS directory, the ministry's Thai name; the e-CMS gateway maps with them. */
  ecms?: { ministry: string; department: string; organization?: string; ministryNameTh?: string }
  endpoints: string[] /* https base URLs, preferred first */
  certificates: { tls: string[]; signing: string[]; encryption: string[] } /* base64 DER */
  profiles: string[] /* e.g. ['jose-v1'] in preference order */
  status: 'active' | 'suspended'
  /** The hosting node that lists this agency (PROTOCOL.md §16.1). */
  node?: string
  /** Classified-information officers (PROTOCOL.md §1.4, §19.1). */
  officers?: DirectoryOfficer[]
}

/** A classified-information officer: registrar or deputy, with personal certificates (PROTOCOL.md §19.1). */
export interface DirectoryOfficer {
  id: string
  role: 'registrar' | 'deputy'
  nameTh: string
  nameEn?: string
  positionTh: string
  positionEn?: string
  certificates: { 'officer-signing': string[]; 'officer-encryption': string[] } /* base64 DER */
}

/** A hosting node: one TLS identity that may speak for the agencies it lists (PROTOCOL.md §16.1). */
export interface DirectoryNode {
  id: string
  endpoints: string[]
  certificates: { tls: string[] }
  agencies: string[]
}

export interface DirectoryDocument {
  version: 1
  serial: number
  issuedAt: string
  nextUpdate: string
  agencies: DirectoryAgency[]
  /** Issuing CA certificates (base64 DER) that help build paths from the leaf certificates above.
   *  Not trusted: see TrustAnchors#addIntermediates. */
  intermediates?: string[]
  nodes?: DirectoryNode[]
  /** PROTOCOL.md §19.8: pairs between which TOP_SECRET may travel electronically. */
  classifiedPolicy?: { topSecretElectronic?: Array<{ from: string; to: string }> }
}

/** A directory whose signature, signer path and payload were checked (not its freshness). */
export interface VerifiedDirectory {
  readonly doc: DirectoryDocument
  readonly jws: string
  /** SHA-256 of the payload bytes, lowercase hex: two JWS of one serial must carry the same payload. */
  readonly payloadSha256: string
}

export const DIRECTORY_TYP = 'saraban-directory+jws'
/** PROTOCOL.md §1.4: issuedAt may be at most this far after the verifier's clock. */
export const CLOCK_SKEW_MS = 5 * 60_000

export async function signDirectory(doc: DirectoryDocument, signer: { key: KeyObject; chain: X509Certificate[] }): Promise<string> {
  return signCompactJws(DIRECTORY_TYP, Buffer.from(JSON.stringify(doc), 'utf8'), signer)
}

const invalid = (detail: string, cause?: unknown) => new SarabanError('ERR_DIRECTORY_INVALID', detail, cause === undefined ? {} : { cause })

/**
 * Checks a signed directory without judging its freshness (PROTOCOL.md §1.4, §14.2): the strict JWS
 * (compact-jws.ts), the payload against schemas/protocol/directory.json, and the signer path for the
 * `directory` role at `signerAt` ('issuedAt': at the directory's own issuedAt, for evidence).
 * Throws ERR_DIRECTORY_INVALID.
 */
export async function checkSignedDirectory(jws: string, anchors: TrustAnchors, signerAt: Date | 'issuedAt'): Promise<VerifiedDirectory> {
  const text = jws.trim()
  const { payload, chain } = verifyCompactJws(text, DIRECTORY_TYP, (d) => invalid(`the directory JWS is refused: ${d}`))
  // PROTOCOL.md §5.6, §11: the signed directory is strict I-JSON (no member name twice).
  const parsed = parseStrictJsonObject(payload)
  if (!parsed.ok) throw invalid(`the directory payload ${parsed.detail}`)
  const json: unknown = parsed.value
  const checked = check<DirectoryDocument>(schemaIds.directory, json)
  if (!checked.ok) {
    const first = checked.errors[0]!
    throw new SarabanError('ERR_DIRECTORY_INVALID', `the directory document is malformed: ${first.field || '(root)'} ${first.message}`, { errors: checked.errors })
  }
  const doc = checked.value
  if (Date.parse(doc.nextUpdate) <= Date.parse(doc.issuedAt)) throw invalid(`the directory nextUpdate (${doc.nextUpdate}) is not after its issuedAt (${doc.issuedAt})`)
  const when = signerAt === 'issuedAt' ? new Date(doc.issuedAt) : signerAt
  const path = await anchors.validate(chain, { at: when, role: 'directory' })
  if (!path.ok) throw invalid(`the directory signer is not trusted: ${path.reason}`)
  return { doc, jws: text, payloadSha256: createHash('sha256').update(payload).digest('hex') }
}

/** Freshness at `at` (PROTOCOL.md §1.4): issuedAt not in the future beyond the skew, nextUpdate not
 *  reached (ERR_DIRECTORY_EXPIRED). A document a node accepts anew must pass this. */
export function checkDirectoryFresh(doc: DirectoryDocument, at: Date): void {
  if (Date.parse(doc.issuedAt) > at.getTime() + CLOCK_SKEW_MS) throw invalid(`the directory is issued in the future (${doc.issuedAt})`)
  if (Date.parse(doc.nextUpdate) <= at.getTime()) {
    throw new SarabanError('ERR_DIRECTORY_EXPIRED', `directory serial ${doc.serial} expired at ${doc.nextUpdate}`)
  }
}

/**
 * Anti-rollback (PROTOCOL.md §14.3): a candidate may replace the held directory only with a higher
 * serial; the same serial is the same document only when its payload is byte for byte the same.
 * Returns 'newer' or 'same'; throws ERR_DIRECTORY_ROLLBACK otherwise.
 */
export function compareToHeld(held: Pick<VerifiedDirectory, 'doc' | 'payloadSha256'>, candidate: Pick<VerifiedDirectory, 'doc' | 'payloadSha256'>): 'newer' | 'same' {
  const a = held.doc.serial
  const b = candidate.doc.serial
  if (b > a) return 'newer'
  if (b === a && held.payloadSha256 === candidate.payloadSha256) return 'same'
  const why = b < a ? `serial ${b} is lower than serial ${a}, which this node holds` : `serial ${b} is already held with other contents`
  throw new SarabanError('ERR_DIRECTORY_ROLLBACK', `directory refused: ${why}`)
}

/** Verifies a signed directory. `at`: a Date checks the signer path at that time and freshness
 *  (checkDirectoryFresh); `{ atIssue: true }` (evidence of past exchanges) checks the signer path at
 *  the directory's own issuedAt and ignores nextUpdate. Throws ERR_DIRECTORY_INVALID / _EXPIRED. */
export async function verifyDirectory(jws: string, anchors: TrustAnchors, at: Date | { atIssue: true }): Promise<DirectoryDocument> {
  const v = await checkSignedDirectory(jws, anchors, at instanceof Date ? at : 'issuedAt')
  if (at instanceof Date) checkDirectoryFresh(v.doc, at)
  return v.doc
}

export { Directory } from './directory-index.js' // lookups, hosting nodes (PROTOCOL.md §16)
