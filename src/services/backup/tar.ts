// The backup container's framing (issue 17 item 3, README "Backups"): POSIX ustar (POSIX.1-1988 /
// pax interchange format without extended headers), so an operator can list and unpack a plain
// backup with `tar`. Only what the backup writes is read back: regular files, mode 0600, uid/gid 0,
// names under 100 bytes. A header is accepted only when it is byte for byte the header this writer
// makes for the same name, size and mtime (canonical framing): with the padding and the trailer
// required to be zero, no byte of a backup can change without the restore noticing (the manifest
// digests cover the contents, its signature covers the manifest).

export const BLOCK = 512
/** End of archive: two zero blocks (POSIX ustar). */
export const TRAILER = Buffer.alloc(2 * BLOCK)
const MAX_OCTAL_SIZE = 0o77777777777 // 11 octal digits; larger sizes use the base-256 form (GNU, star)

export interface TarEntry {
  readonly name: string
  readonly size: number
  /** seconds since the epoch */
  readonly mtime: number
}

function putString(h: Buffer, at: number, len: number, s: string): void {
  const b = Buffer.from(s, 'utf8')
  if (b.length > len) throw new RangeError(`tar: "${s}" is longer than ${len} bytes`)
  b.copy(h, at)
}

function putOctal(h: Buffer, at: number, len: number, n: number): void {
  putString(h, at, len, n.toString(8).padStart(len - 1, '0')) // digits then NUL
}

function putSize(h: Buffer, at: number, n: number): void {
  if (n <= MAX_OCTAL_SIZE) return putOctal(h, at, 12, n)
  h[at] = 0x80 // base-256, big-endian in the remaining 11 bytes
  let v = BigInt(n)
  for (let i = 11; i >= 1; i--) (h[at + i] = Number(v & 0xffn), (v >>= 8n))
}

/** The one header this writer makes for an entry. */
export function encodeHeader(e: TarEntry): Buffer {
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw new RangeError('tar: bad size')
  const h = Buffer.alloc(BLOCK)
  putString(h, 0, 100, e.name)
  putOctal(h, 100, 8, 0o600)
  putOctal(h, 108, 8, 0)
  putOctal(h, 116, 8, 0)
  putSize(h, 124, e.size)
  putOctal(h, 136, 12, e.mtime)
  h.fill(0x20, 148, 156) // the checksum is computed with its own field as spaces
  h[156] = 0x30 // '0': regular file
  putString(h, 257, 6, 'ustar')
  putString(h, 263, 2, '00')
  let sum = 0
  for (const b of h) sum += b
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return h
}

/** Zero bytes after a member's content up to the next block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)
}

/** Bytes of a whole archive holding entries of these sizes. */
export function archiveSize(sizes: readonly number[]): number {
  return sizes.reduce((n, s) => n + BLOCK + s + padding(s).length, 0) + TRAILER.length
}

function readSize(h: Buffer): number | undefined {
  if (h[124] === 0x80) {
    let v = 0n
    for (let i = 1; i < 12; i++) v = (v << 8n) | BigInt(h[124 + i]!)
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined
  }
  const s = h.subarray(124, 135).toString('latin1')
  return /^[0-7]{11}$/.test(s) ? parseInt(s, 8) : undefined
}

/** The entry of a header block, or undefined when it is not exactly a header encodeHeader() writes. */
export function decodeHeader(h: Buffer): TarEntry | undefined {
  if (h.length !== BLOCK) return undefined
  const nameEnd = h.indexOf(0, 0)
  const name = h.subarray(0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd).toString('utf8')
  const size = readSize(h)
  const m = h.subarray(136, 147).toString('latin1')
  if (size === undefined || !/^[0-7]{11}$/.test(m)) return undefined
  const entry = { name, size, mtime: parseInt(m, 8) }
  let again: Buffer
  try {
    again = encodeHeader(entry)
  } catch {
    return undefined
  }
  return again.equals(h) ? entry : undefined
}

/** A block of zeros (the start of the trailer). */
export function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false
  return true
}
