// A small BER/DER reader (X.690 §8) over a Buffer, without copies: every element is an offset range
// into the input. It accepts what OpenSSL 3 emits (definite and indefinite lengths, constructed
// OCTET STRINGs) and nothing exotic (high tag numbers, lengths over 2^32, nesting deeper than 32,
// more than 2^17 elements in one constructed element, more elements than checkBer() allows).
// Callers turn DerError into their own coded error (ERR_ENVELOPE_MALFORMED, ERR_RECEIPT_INVALID).

export class DerError extends Error {}

export interface Tlv {
  readonly tag: number // the whole identifier octet (class | constructed | number)
  readonly constructed: boolean
  readonly start: number // first identifier octet
  readonly body: number // first content octet
  readonly end: number // just past the last content octet (before an end-of-contents)
  readonly next: number // just past the element (after its end-of-contents if indefinite)
}

const MAX_DEPTH = 32
/** Elements in one constructed element: OpenSSL streams 4 KiB chunks (~37 000 for 150 MB); a
 *  peer sending millions of tiny chunks would cost memory per chunk, so it is refused instead. */
const MAX_CHILDREN = 1 << 17

// PROTOCOL.md §12.7 (element budget): a tree of tiny elements costs time per element, not per byte
// (issue 13 §2: 140 MB of them stalled the event loop 3 s), so a peer's encoding is first walked
// once, counting, and refused past what a valid one can hold. A valid cms-v1 envelope or signed
// letter is a bounded structure (a few certificates, attributes, one RecipientInfo: far below
// STRUCTURE_ELEMENTS) plus its content strings, which BER may cut into segments: OpenSSL writes
// 4 KiB, CER (X.690 §9.2) 1000 octets; a receiver allows one element per MIN_SEGMENT_BYTES.
export const STRUCTURE_ELEMENTS = 16_384
export const MIN_SEGMENT_BYTES = 512

/** Elements an encoding of `bytes` may hold: the structure, plus one per `bytesPerElement`. */
export function elementBudget(bytes: number, bytesPerElement = MIN_SEGMENT_BYTES): number {
  return STRUCTURE_ELEMENTS + Math.ceil(bytes / bytesPerElement)
}

// Where each indefinite-length element ends (its `next`), found by checkBer: readTlv reuses it
// instead of walking the element's contents again at every level of nesting.
const indefiniteNext = new WeakMap<Buffer, Map<number, number>>()

/**
 * Walks the element at `at` (which must end by `limit`) once, without recursion, and refuses it
 * (DerError) when it nests deeper than MAX_DEPTH or holds more elements than elementBudget() allows
 * for its bytes. Returns where it ends. Call it on peer input before parsing it.
 */
export function checkBer(buf: Buffer, at = 0, limit = buf.length, bytesPerElement = MIN_SEGMENT_BYTES): number {
  const budget = elementBudget(limit - at, bytesPerElement)
  const ends = new Map<number, number>()
  const open: Array<{ start: number; end: number }> = [] // end -1: indefinite
  let count = 0
  let p = at
  for (;;) {
    const top = open[open.length - 1]
    if (top !== undefined) {
      if (top.end === -1) {
        if (p + 2 > limit) throw new DerError('no end-of-contents')
        if (buf[p] === 0 && buf[p + 1] === 0) {
          p += 2
          ends.set(top.start, p)
          open.pop()
          if (open.length === 0) break
          continue
        }
      } else if (p === top.end) {
        open.pop()
        if (open.length === 0) break
        continue
      }
    }
    const within = top !== undefined && top.end !== -1 ? top.end : limit
    if (++count > budget) throw new DerError(`more than ${budget} elements for ${limit - at} bytes`)
    if (open.length > MAX_DEPTH) throw new DerError('nested too deeply')
    const h = readHead(buf, p, within)
    if (h.constructed) {
      open.push({ start: p, end: h.length === -1 ? -1 : h.body + h.length })
      p = h.body
    } else {
      p = h.body + h.length
      if (open.length === 0) break
    }
  }
  if (ends.size > 0) {
    const known = indefiniteNext.get(buf)
    if (known) for (const [k, v] of ends) known.set(k, v)
    else indefiniteNext.set(buf, ends)
  }
  return p
}

/** Identifier and length octets at `at`, the content within `limit`; length -1: indefinite. */
function readHead(buf: Buffer, at: number, limit: number): { tag: number; constructed: boolean; body: number; length: number } {
  if (at + 2 > limit) throw new DerError('truncated')
  const tag = buf[at]!
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here')
  const constructed = (tag & 0x20) !== 0
  let lb = buf[at + 1]!
  let body = at + 2
  if (lb === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive element')
    return { tag, constructed, body, length: -1 }
  }
  let length = lb
  if (lb > 0x80) {
    lb &= 0x7f
    if (lb > 4 || body + lb > limit) throw new DerError('length too long')
    length = 0
    for (let i = 0; i < lb; i++) length = length * 256 + buf[body + i]!
    body += lb
  }
  if (body + length > limit) throw new DerError('content runs past its container')
  return { tag, constructed, body, length }
}

/** The element at `at`, which must end by `limit`. */
export function readTlv(buf: Buffer, at: number, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nested too deeply')
  const { tag, constructed, body, length } = readHead(buf, at, limit)
  if (length === -1) {
    const known = indefiniteNext.get(buf)?.get(at)
    if (known !== undefined && known <= limit) return { tag, constructed, start: at, body, end: known - 2, next: known }
    let p = body
    for (let n = 0; ; n++) {
      if (n > MAX_CHILDREN) throw new DerError('too many elements')
      if (p + 2 > limit) throw new DerError('no end-of-contents')
      if (buf[p] === 0 && buf[p + 1] === 0) return { tag, constructed, start: at, body, end: p, next: p + 2 }
      p = readTlv(buf, p, limit, depth + 1).next
    }
  }
  return { tag, constructed, start: at, body, end: body + length, next: body + length }
}

/** The elements inside a constructed element, in order. */
export function children(buf: Buffer, parent: Tlv, depth = 0): Tlv[] {
  if (!parent.constructed) throw new DerError('not a constructed element')
  const out: Tlv[] = []
  for (let p = parent.body; p < parent.end;) {
    const c = readTlv(buf, p, parent.end, depth + 1)
    if (out.push(c) > MAX_CHILDREN) throw new DerError('too many elements')
    p = c.next
  }
  return out
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`)
  return t
}

export function content(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.body, t.end)
}

/** The raw bytes of the whole element (identifier to end), e.g. to compare or hash it. */
export function raw(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.start, t.next)
}

export function readOid(buf: Buffer, t: Tlv | undefined): string {
  const e = expectTag(t, 0x06, 'OBJECT IDENTIFIER')
  const b = content(buf, e)
  if (b.length === 0 || b.length > 64) throw new DerError('bad OBJECT IDENTIFIER')
  const arcs: number[] = []
  let v = 0
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f)
    if ((b[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else arcs.push(v)
      v = 0
    } else if (i === b.length - 1) throw new DerError('bad OBJECT IDENTIFIER')
  }
  return arcs.join('.')
}

export function readSmallInt(buf: Buffer, t: Tlv | undefined): number {
  const b = content(buf, expectTag(t, 0x02, 'INTEGER'))
  if (b.length === 0 || b.length > 4) throw new DerError('INTEGER out of range')
  return b.readIntBE(0, b.length)
}

/** An OCTET STRING's content, primitive or constructed (BER: chunks), as views in order. `tag` is
 *  0x04 or an IMPLICIT context tag's primitive form (its constructed form is tag | 0x20). */
export function octetChunks(buf: Buffer, t: Tlv, tag = 0x04, depth = 0): Buffer[] {
  if (t.tag === tag) return [content(buf, t)]
  if (t.tag !== (tag | 0x20)) throw new DerError('expected an OCTET STRING')
  return children(buf, t, depth).flatMap((c) => octetChunks(buf, c, 0x04, depth + 1))
}

export function octetString(buf: Buffer, t: Tlv | undefined, tag = 0x04): Buffer {
  if (t === undefined) throw new DerError('missing OCTET STRING')
  const chunks = octetChunks(buf, t, tag)
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/** AlgorithmIdentifier: the OID and the parameters element, if any. */
export function readAlgId(buf: Buffer, t: Tlv | undefined): { oid: string; params: Tlv | undefined } {
  const parts = children(buf, expectTag(t, 0x30, 'AlgorithmIdentifier'))
  if (parts.length < 1 || parts.length > 2) throw new DerError('bad AlgorithmIdentifier')
  return { oid: readOid(buf, parts[0]), params: parts[1] }
}

/** Parameters absent or NULL (RFC 5754 §2: both are seen for SHA-2). */
export function absentOrNull(buf: Buffer, params: Tlv | undefined): boolean {
  return params === undefined || (params.tag === 0x05 && params.end === params.body)
}

/** UTCTime or GeneralizedTime (RFC 5652 §11.3), to a Date; undefined if not a valid time. */
export function readTime(buf: Buffer, t: Tlv): Date | undefined {
  const s = content(buf, t).toString('latin1')
  let m: RegExpMatchArray | null
  if (t.tag === 0x17 && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/))) {
    const yy = Number(m[1])
    return valid(`${yy < 50 ? 2000 + yy : 1900 + yy}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`)
  }
  if (t.tag === 0x18 && (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/))) {
    return valid(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`)
  }
  return undefined
}

function valid(iso: string): Date | undefined {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? undefined : d
}
