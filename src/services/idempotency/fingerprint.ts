// What an idempotent request means, as one SHA-256 (issue 20 §9; README "Idempotency-Key"). A saraban
// system that rebuilds its request after a crash sends the same letter in other bytes: pretty-printed,
// with Thai as \u escapes or not, keys in another order, `"attachments": []` or none, as multipart
// instead of JSON. The fingerprint is taken of the parsed request in the JSON Canonicalization Scheme
// (RFC 8785), with each attachment's content replaced by the SHA-256 of its bytes, so all of those
// give the same fingerprint and a different letter does not.
import { createHash } from 'node:crypto'

/** RFC 8785 (JCS): object members sorted by their UTF-16 code units (§3.2.3), no whitespace, strings
 *  and numbers as ECMAScript's JSON.stringify writes them (§3.2.2.2, §3.2.2.3). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('RFC 8785: a number must be finite')
    return JSON.stringify(value) ?? 'null'
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
  // Plain `<` on JS strings compares UTF-16 code units, which is what §3.2.3 asks for.
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
}

/** One attachment as the fingerprint sees it: what the letter will say of it, not how it travelled. */
export interface AttachmentDigest {
  readonly filename: string
  readonly mediaType: string
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex')

/** POST /api/v1/letters: the letter draft as parsed and its attachments' digests, in order. */
export function letterFingerprint(letter: unknown, attachments: readonly AttachmentDigest[]): string {
  return sha256(canonicalJson({
    request: 'letter',
    letter,
    attachments: attachments.map((a) => ({ filename: a.filename, mediaType: a.mediaType, sha256: a.sha256 })),
  }))
}

/** Any other idempotent request (e.g. POST /api/v1/registers/{book}/numbers): the parsed body, scoped
 *  by what it acts on (the book), so one key cannot mean two things in two places. */
export function bodyFingerprint(scope: string, body: unknown): string {
  return sha256(canonicalJson({ request: scope, body: body ?? null }))
}

/** What an earlier request with the same key recorded. */
export interface RecordedRequest {
  readonly requestFingerprint: string | null
  readonly requestSha256: string | null
}

/** True when a request is the one recorded under its key: by fingerprint, or for a row written before
 *  migration 028 (no fingerprint) by the digest of its bytes, the comparison it was made under. */
export function sameRequest(recorded: RecordedRequest, fingerprint: string, requestSha256: string | undefined): boolean {
  if (recorded.requestFingerprint !== null) return recorded.requestFingerprint === fingerprint
  return recorded.requestSha256 !== null && recorded.requestSha256 === requestSha256
}
