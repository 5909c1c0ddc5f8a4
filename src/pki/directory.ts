// The federation directory: which agencies exist, where their nodes are, and which certificates
// speak for them. The operator signs it as a compact JWS (RFC 7515) with an x5c chain
// (RFC 7515 §4.1.6) whose leaf has the directory EKU (oids.ts). PROTOCOL.md §1.4.
import { createHash } from 'node:crypto'
import type { KeyObject, X509Certificate } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { check, schemaIds } from '../schema/index.js'
import { certFromBase64Der, fingerprintDer, notAfter, notBefore } from './cert.js'
import type { TrustAnchors } from './validate.js'
import { signCompactJws, verifyCompactJws } from './compact-jws.js'

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
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
  } catch (e) {
    throw invalid('the directory payload is not UTF-8 JSON', e)
  }
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

/** Lookups over one directory document, with fingerprint maps built once. Fingerprints are SHA-256 of
 *  the DER, lowercase hex (cert.ts). `agency` and `agencyByTlsFingerprint` return suspended agencies
 *  too (callers report the status); the other lookups answer only for active agencies. */
export class Directory {
  readonly #doc: DirectoryDocument
  readonly #byId = new Map<string, DirectoryAgency>()
  readonly #byTls = new Map<string, DirectoryAgency>()
  readonly #signing = new Map<string, Set<string>>()
  readonly #encryption = new Map<string, X509Certificate[]>() // newest notBefore first
  readonly #intermediates: X509Certificate[]

  constructor(doc: DirectoryDocument) {
    this.#doc = doc
    const bad = (detail: string) => new SarabanError('ERR_DIRECTORY_INVALID', detail)
    for (const a of doc.agencies) {
      if (this.#byId.has(a.id)) throw bad(`agency ${a.id} is listed twice`)
      this.#byId.set(a.id, a)
      for (const der of a.certificates.tls) {
        const fp = fingerprintDer(der)
        if (this.#byTls.has(fp)) throw bad(`TLS certificate ${fp} is listed for two agencies`)
        this.#byTls.set(fp, a)
      }
      this.#signing.set(a.id, new Set(a.certificates.signing.map((d) => fingerprintDer(d))))
      const enc = a.certificates.encryption.map((der) => parseOr(der, () => bad(`an encryption certificate of ${a.id} cannot be parsed`)))
      this.#encryption.set(a.id, enc.sort((x, y) => notBefore(y).getTime() - notBefore(x).getTime()))
    }
    this.#intermediates = (doc.intermediates ?? []).map((der) => parseOr(der, () => bad('an intermediate cannot be parsed')))
  }

  /** The verified document this directory was built from. */
  document(): DirectoryDocument {
    return this.#doc
  }

  agency(id: string): DirectoryAgency | undefined {
    return this.#byId.get(id)
  }

  agencyByTlsFingerprint(fp: string): DirectoryAgency | undefined {
    return this.#byTls.get(fp)
  }

  isSigningCertOf(agencyId: string, fp: string): boolean {
    return this.#active(agencyId) !== undefined && (this.#signing.get(agencyId)?.has(fp) ?? false)
  }

  /** The encryption certificate with the newest notBefore among those valid at `at` (rollover:
   *  PROTOCOL.md §1.4): one published ahead of its notBefore does not block sending meanwhile. */
  encryptionCertFor(agencyId: string, at: Date = new Date()): X509Certificate | undefined {
    if (!this.#active(agencyId)) return undefined
    return this.#encryption.get(agencyId)?.find((c) => notBefore(c) <= at && at <= notAfter(c))
  }

  endpointFor(agencyId: string): string | undefined {
    return this.#active(agencyId)?.endpoints[0]
  }

  all(): DirectoryAgency[] {
    return [...this.#doc.agencies]
  }

  /** CA certificates for TrustAnchors#addIntermediates. */
  intermediates(): X509Certificate[] {
    return [...this.#intermediates]
  }

  #active(id: string): DirectoryAgency | undefined {
    const a = this.#byId.get(id)
    return a?.status === 'active' ? a : undefined
  }
}

function parseOr(der: string, err: () => Error): X509Certificate {
  try {
    return certFromBase64Der(der)
  } catch {
    throw err()
  }
}
