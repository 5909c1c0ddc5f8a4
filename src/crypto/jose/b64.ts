// base64url without padding (RFC 7515 §2, RFC 4648 §5), on Buffers. Node's decoder is lenient (it
// skips unknown characters and also accepts '+' '/' '='), so decoding here is strict: an input that is
// not the one canonical encoding of its bytes is refused. Large parts are decoded in slices so that no
// string of the whole ciphertext is ever built.

/** Characters of the base64url encoding of `n` bytes, without padding. */
export function encodedLength(n: number): number {
  return Math.floor(n / 3) * 4 + [0, 2, 3][n % 3]!
}

/** Bytes encoded by `chars` base64url characters, or -1 if no unpadded encoding has that length. */
export function decodedLength(chars: number): number {
  return chars % 4 === 1 ? -1 : Math.floor((chars * 3) / 4)
}

const PLUS = 0x2b
const SLASH = 0x2f
// Value of each base64url character (for the canonical-trailing-bits check only).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const VALUE = new Int8Array(256).fill(-1)
for (let i = 0; i < 64; i++) VALUE[ALPHABET.charCodeAt(i)] = i

/**
 * Checks what Node's decoder would let through: '+' and '/' (base64, not base64url) and non-zero
 * unused bits in the last character (RFC 4648 §3.5). Skipped or padding characters are caught by
 * the length check of the caller.
 */
function canonicalTail(src: Buffer): boolean {
  if (src.indexOf(PLUS) !== -1 || src.indexOf(SLASH) !== -1) return false
  const rem = src.length % 4
  if (rem === 0) return true
  const last = VALUE[src[src.length - 1]!]!
  if (last < 0) return false
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0
}

/** Strictly decodes base64url ASCII bytes; returns undefined if they are not canonical base64url. */
export function decodeStrict(src: Buffer): Buffer | undefined {
  const expected = decodedLength(src.length)
  if (expected < 0 || !canonicalTail(src)) return undefined
  const out = Buffer.from(src.toString('latin1'), 'base64url')
  return out.length === expected ? out : undefined
}

/**
 * Strictly decodes a large base64url part slice by slice, handing each decoded slice to `sink`
 * (e.g. a decipher). Returns false (after possibly feeding some slices) if the input is not canonical.
 */
export function decodeStrictInSlices(src: Buffer, sink: (bytes: Buffer) => void, sliceChars = 64 * 1024): boolean {
  if (decodedLength(src.length) < 0 || !canonicalTail(src)) return false
  const step = sliceChars - (sliceChars % 4)
  for (let at = 0; at < src.length; at += step) {
    const end = Math.min(at + step, src.length)
    const out = Buffer.from(src.toString('latin1', at, end), 'base64url')
    if (out.length !== decodedLength(end - at)) return false
    sink(out)
  }
  return true
}

/** base64url of a small value, as a string (headers, signatures). */
export function b64u(bytes: Buffer | Uint8Array | string): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64url')
}

/**
 * As decodeStrictInSlices(), for a part read by range (issue 16 item 2: a received envelope staged
 * on disk): each slice is read, checked and decoded on its own; the same canonical-form checks.
 */
export function decodeStrictSourceInSlices(src: { length: number; read(offset: number, length: number): Buffer; readTransient?(offset: number, length: number): Buffer }, sink: (bytes: Buffer) => void, sliceChars = 64 * 1024): boolean {
  if (decodedLength(src.length) < 0) return false
  const step = sliceChars - (sliceChars % 4)
  // Decoded into one buffer: `sink` consumes each slice at once (a decipher), as the text is read transient.
  const out = Buffer.allocUnsafeSlow(decodedLength(Math.min(step, src.length)))
  for (let at = 0; at < src.length; at += step) {
    const end = Math.min(at + step, src.length)
    const text = src.readTransient ? src.readTransient(at, end - at) : src.read(at, end - at)
    // '+' and '/' anywhere; the unused bits only in the last slice (the others are whole quanta).
    if (end < src.length ? text.indexOf(PLUS) !== -1 || text.indexOf(SLASH) !== -1 : !canonicalTail(text)) return false
    const n = out.write(text.toString('latin1'), 0, 'base64url')
    if (n !== decodedLength(end - at)) return false
    sink(out.subarray(0, n))
  }
  return true
}
