// A small DER writer (X.690 §8, §10) for the CMS structures this profile emits. The structures are
// small (headers, attributes, recipient infos); the one large value, the encrypted content, is framed
// by hand around a preallocated buffer (auth-enveloped.ts), never built here.

/** The identifier and length octets of a TLV whose content is `length` bytes (definite form). */
export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length])
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff)
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes])
}

/** Total bytes of a TLV with `length` content bytes. */
export function tlvLength(length: number): number {
  return header(0, length).length + length
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const length = content.reduce((n, b) => n + b.length, 0)
  return Buffer.concat([header(tag, length), ...content])
}

export const seq = (...content: Buffer[]): Buffer => tlv(0x30, ...content)
export const octets = (bytes: Buffer): Buffer => tlv(0x04, bytes)
export const NULL = Buffer.from([0x05, 0x00])

/** Context-specific tag n, constructed (EXPLICIT, or IMPLICIT of a constructed type). */
export const ctx = (n: number, ...content: Buffer[]): Buffer => tlv(0xa0 | n, ...content)

/** X.690 §11.6: a SET OF's elements in ascending order of their encodings. */
export function setOf(...elements: Buffer[]): Buffer {
  return tlv(0x31, ...[...elements].sort(compareDer))
}

function compareDer(a: Buffer, b: Buffer): number {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0) // the shorter one padded with zero octets
    if (d !== 0) return d
  }
  return 0
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const out: number[] = []
  const base128 = (v: number): void => {
    const chunk = [v & 0x7f]
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f))
    out.push(...chunk)
  }
  base128(arcs[0]! * 40 + arcs[1]!)
  for (const a of arcs.slice(2)) base128(a)
  return tlv(0x06, Buffer.from(out))
}

/** INTEGER from a small number or from the unsigned big-endian magnitude. */
export function int(value: number | Buffer): Buffer {
  let b = typeof value === 'number' ? Buffer.from([value]) : value
  let i = 0
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++
  b = b.subarray(i)
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b)
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2): parameters absent unless given. */
export function algId(algorithm: string, parameters?: Buffer): Buffer {
  return parameters === undefined ? seq(oid(algorithm)) : seq(oid(algorithm), parameters)
}

export function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.from([0]), bytes)
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, 'Z'. */
export function signingTime(d: Date): Buffer {
  const iso = d.toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  const y = d.getUTCFullYear()
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '')
  return y >= 1950 && y < 2050 ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z', 'ascii')) : tlv(0x18, Buffer.from(digits + 'Z', 'ascii'))
}
