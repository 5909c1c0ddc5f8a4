// Parsing POST /api/v1/letters bodies without putting attachment base64 on the V8 heap.
// A string over 128 KiB lands in V8's large-object space, which maps fresh memory for every
// allocation; on the machines measured here that made turning a 137 KB body into a string cost
// ~0.8-1.2 ms, more than sealing the letter. So long string values are cut out of the JSON text by
// position, the small remainder is parsed as usual, and attachments[i].content is base64-decoded
// straight from the request bytes in slices that stay small. Behaviour is that of JSON.parse:
// any other long string is restored as a string, and malformed JSON still fails in JSON.parse.
import { randomBytes } from 'node:crypto'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LONG = 32 * 1024 // shorter strings are cheaper to leave to JSON.parse
const SLICE = 48 * 1024 // base64 characters per decoding step: a multiple of 4, below V8's limit

export interface JsonBody {
  readonly value: unknown
  /** attachments[i].content decoded from base64, by index; that content is replaced by `sentinel`. */
  readonly attachmentBytes: ReadonlyMap<number, Buffer>
  readonly sentinel: string
}

/** Returns undefined when a decoded attachment is not strict base64 (the caller reports the field). */
function decodeBase64Slices(buf: Buffer, start: number, end: number): Buffer | undefined {
  const chars = end - start
  if (chars % 4 !== 0) return undefined
  const region = buf.subarray(start, end)
  if (region.includes(0x2d) || region.includes(0x5f) || region.includes(BACKSLASH)) return undefined // base64url or escapes
  const parts: Buffer[] = []
  let total = 0
  for (let a = start; a < end; a += SLICE) {
    const b = Math.min(a + SLICE, end)
    const text = buf.toString('latin1', a, b)
    const bytes = Buffer.from(text, 'base64')
    const pad = b === end ? (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0) : 0
    if (bytes.length !== ((b - a) / 4) * 3 - pad) return undefined // a character outside the alphabet, or '=' inside
    parts.push(bytes)
    total += bytes.length
  }
  return Buffer.concat(parts, total)
}

export function parseJsonBody(buf: Buffer): JsonBody {
  const nonce = randomBytes(12).toString('hex')
  let marker = `\u0000srb:${nonce}:`
  while (marker.length % 4 !== 0) marker += '~' // the sentinel must itself look like padded base64 text
  const long: Array<[start: number, end: number]> = []
  const pieces: Buffer[] = []
  let copied = 0
  for (let pos = buf.indexOf(QUOTE); pos !== -1; ) {
    let end = buf.indexOf(QUOTE, pos + 1)
    for (;;) {
      if (end === -1) break
      let slashes = 0
      while (buf[end - 1 - slashes] === BACKSLASH) slashes++
      if (slashes % 2 === 0) break
      end = buf.indexOf(QUOTE, end + 1)
    }
    if (end === -1) break // unterminated: JSON.parse reports it
    if (end - pos - 1 >= LONG) {
      pieces.push(buf.subarray(copied, pos), Buffer.from(JSON.stringify(marker + long.length)))
      long.push([pos + 1, end])
      copied = end + 1
    }
    pos = buf.indexOf(QUOTE, end + 1)
  }
  if (long.length === 0) return { value: JSON.parse(buf.toString('utf8')), attachmentBytes: new Map(), sentinel: marker }
  pieces.push(buf.subarray(copied))
  const value = JSON.parse(Buffer.concat(pieces).toString('utf8')) as unknown

  const indexOf = (v: unknown) => (typeof v === 'string' && v.startsWith(marker) ? Number(v.slice(marker.length)) : -1)
  const attachmentBytes = new Map<number, Buffer>()
  const files = (value as { attachments?: unknown } | null)?.attachments
  if (Array.isArray(files)) {
    files.forEach((f: { content?: unknown }, i) => {
      const k = f && typeof f === 'object' ? indexOf(f.content) : -1
      if (k < 0) return
      const bytes = decodeBase64Slices(buf, long[k]![0], long[k]![1])
      if (bytes === undefined) return // left as a long string below: the usual strict decoding reports it
      attachmentBytes.set(i, bytes)
      f.content = marker
      long[k] = [-1, -1]
    })
  }
  // Every other long string comes back exactly as JSON.parse would have produced it.
  const restore = (v: unknown): unknown => {
    const k = indexOf(v)
    if (k >= 0 && v !== marker) return JSON.parse(buf.toString('utf8', long[k]![0] - 1, long[k]![1] + 1))
    if (Array.isArray(v)) v.forEach((x, i) => (v[i] = restore(x)))
    else if (v && typeof v === 'object') {
      for (const [key, x] of Object.entries(v)) {
        const y = restore(x)
        // defineProperty, not assignment: a member named "__proto__" must stay a plain member.
        if (y !== x) Object.defineProperty(v, key, { value: y, writable: true, enumerable: true, configurable: true })
      }
    }
    return v
  }
  return { value: restore(value), attachmentBytes, sentinel: marker }
}
