// Range requests on attachment downloads (RFC 9110 §14): one byte range, or the whole file. Several
// ranges, or a header this does not parse, are ignored (§14.2 lets a server do that) and the whole
// attachment is sent; If-Range is compared with the attachment's strong ETag (its SHA-256).
export interface ByteRange {
  readonly start: number // first byte
  readonly end: number // just past the last byte
}

const SPEC = /^bytes=(\d*)-(\d*)$/

/** The range to send, 'unsatisfiable' (416), or undefined for the whole attachment. */
export function byteRange(header: string | undefined, ifRange: string | undefined, etag: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  if (ifRange !== undefined && ifRange !== etag) return undefined // RFC 9110 §13.1.5: the file changed, send it all
  const m = SPEC.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2]) // bytes=-N: the last N bytes
    if (!Number.isSafeInteger(suffix) || suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size }
  }
  const first = Number(m[1])
  const last = m[2] === '' ? Number.MAX_SAFE_INTEGER : Number(m[2])
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) return undefined
  if (first >= size) return 'unsatisfiable'
  return { start: first, end: Math.min(last, size - 1) + 1 }
}

export const etagOf = (sha256: string): string => `"${sha256}"`
