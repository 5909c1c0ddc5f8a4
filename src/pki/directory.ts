// The federation directory: which agencies exist, where their nodes are, and which certificates
// speak for them. The operator signs it as a compact JWS (RFC 7515) with an x5c chain
// (RFC 7515 §4.1.6) whose leaf has the directory EKU (oids.ts). PROTOCOL.md §1.4.
import type { X509Certificate } from 'node:crypto'
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { certFromBase64Der, toBase64Der } from './cert.js'
import { keyKind, signingAlgFor } from './keys.js'
import type { KeyKind } from './keys.js'
import type { TrustAnchors } from './validate.js'
import { checkDirectoryShape } from './directory-shape.js'

export interface DirectoryAgency {
  id: string
  nameTh: string
  nameEn: string
  /** e-CMS ministry (2 digits) and department (5 digits) codes, for a future gateway (domain.md) */
  ecms?: { ministry: string; department: string }
  endpoints: string[] /* https base URLs, preferred first */
  certificates: { tls: string[]; signing: string[]; encryption: string[] } /* base64 DER */
  profiles: string[] /* e.g. ['jose-v1'] in preference order */
  status: 'active' | 'suspended'
  /** The hosting node that lists this agency (PROTOCOL.md §16.1). */
  node?: string
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
}

export const DIRECTORY_TYP = 'saraban-directory+jws'

// Verification allow-list: JWS alg per key kind of the x5c leaf (PROTOCOL.md §5.1: PS256 accepted on verify).
const VERIFY_ALGS: Readonly<Partial<Record<KeyKind, readonly string[]>>> = {
  rsa: ['RS256', 'PS256'],
  'ec-p256': ['ES256'],
}
const MAX_X5C = 8
const CLOCK_SKEW_MS = 5 * 60_000

export async function signDirectory(doc: DirectoryDocument, signer: { key: KeyObject; chain: X509Certificate[] }): Promise<string> {
  const alg = signingAlgFor(signer.key)
  return new CompactSign(new TextEncoder().encode(JSON.stringify(doc)))
    .setProtectedHeader({ alg, typ: DIRECTORY_TYP, x5c: signer.chain.map(toBase64Der) })
    .sign(signer.key)
}

/** Verifies a signed directory. `at`: a Date checks the signer path at that time and that nextUpdate
 *  has not passed (ERR_DIRECTORY_EXPIRED); `{ atIssue: true }` (evidence of past exchanges) checks the
 *  signer path at the directory's own issuedAt and ignores nextUpdate. Throws ERR_DIRECTORY_INVALID. */
export async function verifyDirectory(jws: string, anchors: TrustAnchors, at: Date | { atIssue: true }): Promise<DirectoryDocument> {
  const invalid = (detail: string, cause?: unknown) => new SarabanError('ERR_DIRECTORY_INVALID', detail, { cause })
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(jws)
  } catch (e) {
    throw invalid('the directory is not a compact JWS', e)
  }
  if (header.typ !== DIRECTORY_TYP) throw invalid(`the JWS typ is not ${DIRECTORY_TYP}`)
  const x5c = header.x5c
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_X5C || !x5c.every((c) => typeof c === 'string')) {
    throw invalid('the JWS header has no usable x5c chain')
  }
  let chain: X509Certificate[]
  try {
    chain = x5c.map(certFromBase64Der)
  } catch (e) {
    throw invalid('an x5c certificate cannot be parsed', e)
  }
  const leaf = chain[0]!
  let allowed: readonly string[] | undefined
  try {
    allowed = VERIFY_ALGS[keyKind(leaf)]
  } catch (e) {
    throw invalid('the directory signer key is not supported', e)
  }
  if (allowed === undefined || typeof header.alg !== 'string' || !allowed.includes(header.alg)) {
    throw invalid(`JWS alg ${String(header.alg)} is not allowed for the directory signer key`)
  }
  let payload: Uint8Array
  try {
    payload = (await compactVerify(jws, leaf.publicKey, { algorithms: [...allowed] })).payload
  } catch (e) {
    throw invalid('the directory signature does not verify', e)
  }
  let doc: DirectoryDocument
  try {
    doc = checkDirectoryShape(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)))
  } catch (e) {
    throw invalid(`the directory document is malformed: ${(e as Error).message}`, e)
  }
  const when = at instanceof Date ? at : new Date(doc.issuedAt)
  const path = await anchors.validate(chain, { at: when, role: 'directory' })
  if (!path.ok) throw invalid(`the directory signer is not trusted: ${path.reason}`)
  if (at instanceof Date) {
    if (Date.parse(doc.issuedAt) > at.getTime() + CLOCK_SKEW_MS) throw invalid(`the directory is issued in the future (${doc.issuedAt})`)
    if (Date.parse(doc.nextUpdate) <= at.getTime()) {
      throw new SarabanError('ERR_DIRECTORY_EXPIRED', `directory serial ${doc.serial} expired at ${doc.nextUpdate}`)
    }
  }
  return doc
}

export { Directory } from './directory-index.js' // lookups, hosting nodes (PROTOCOL.md §16)
