// Compact Serialization (RFC 7515 §7.1: 3 parts, RFC 7516 §7.1: 5 parts), split on a Buffer without
// building a string of the whole input. The protected header is bounded before it is decoded and
// parsed (a stranger's bytes reach this code before any key is used).
import { SarabanError, type ErrorCode } from '../../errors.js'
import { decodeStrict } from './b64.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'

const DOT = 0x2e

/** Splits into exactly `count` parts; undefined when the part count is wrong or part 1 is too long. */
export function splitCompact(bytes: Buffer, count: 3 | 5, maxHeaderChars: number): Buffer[] | undefined {
  const first = bytes.subarray(0, maxHeaderChars + 1).indexOf(DOT)
  if (first <= 0) return undefined
  const parts: Buffer[] = []
  let start = 0
  let dot = first
  while (parts.length < count - 1) {
    if (dot < 0) return undefined
    parts.push(bytes.subarray(start, dot))
    start = dot + 1
    dot = bytes.indexOf(DOT, start)
  }
  if (dot !== -1) return undefined // more parts than `count`
  parts.push(bytes.subarray(start))
  return parts
}

/** Decodes and parses a protected header part into a plain JSON object, or throws `code`. */
export function parseProtectedHeader(part: Buffer, maxChars: number, code: ErrorCode, what: string): Record<string, unknown> {
  if (part.length === 0 || part.length > maxChars) throw new SarabanError(code, `The ${what} protected header is empty or longer than ${maxChars} characters.`)
  const raw = decodeStrict(part)
  if (raw === undefined) throw new SarabanError(code, `The ${what} protected header is not base64url.`)
  const r = parseStrictJsonObject(raw)
  if (!r.ok) {
    // PROTOCOL.md §5.6: a repeated member name is refused, named by its pointer (RFC 7493 §2.3).
    if (r.problem === 'duplicate') throw new SarabanError(code, `The ${what} protected header ${r.detail}.`, { field: r.pointer!.slice(1) })
    throw new SarabanError(code, `The ${what} protected header is not a UTF-8 JSON object.`)
  }
  return r.value
}

/** Strict UTF-8 (RFC 8259 §8.1) JSON object without a repeated member name (RFC 7493, PROTOCOL.md
 *  §5.6), or undefined; parseStrictJsonObject says why. */
export function parseJsonObject(raw: Uint8Array): Record<string, unknown> | undefined {
  const r = parseStrictJsonObject(raw)
  return r.ok ? r.value : undefined
}

/**
 * Header members must be exactly `required` plus any of `optional` (a closed profile: jose-v1 defines
 * every member, and `crit` (RFC 7515 §4.1.11) is not among them, so any `crit` is refused as unknown).
 */
export function checkMembers(
  header: Record<string, unknown>, required: readonly string[], optional: readonly string[], what: string,
): void {
  if ('crit' in header) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `The ${what} header names critical extensions this node does not understand.`, { field: 'crit' })
  for (const k of required) {
    if (!(k in header)) throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The ${what} header lacks "${k}".`, { field: k })
  }
  for (const k of Object.keys(header)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw new SarabanError('ERR_ENVELOPE_MALFORMED', `The ${what} header has a member "${k}" that this profile does not define.`, { field: k })
    }
  }
}
