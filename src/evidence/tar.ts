// The evidence bundle's container (PROTOCOL.md §8.4): a POSIX ustar archive (POSIX.1-1988, IEEE Std
// 1003.1 "ustar Interchange Format") that any `tar x` extracts. We write exactly one canonical form
// and read only that form, so that every byte of an archive is accounted for: 512-byte headers with
// fixed fields, contents padded with NUL bytes to 512, and two NUL blocks at the end, nothing more.
export const BLOCK = 512
const NAME_MAX = 100
const SIZE_MAX = 0o77777777777 // 11 octal digits: 8 GiB − 1

export interface TarEntry {
  readonly path: string
  readonly data: Buffer
}

export interface TarFields {
  readonly path: string
  readonly size: number
  readonly mtime: number // seconds since 1970
}

/** A path we write: printable ASCII, relative, no `..`, at most 100 bytes (ustar name, no prefix). */
export function checkPath(path: string): void {
  if (path.length === 0 || path.length > NAME_MAX || !/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(path) || path.split('/').includes('..')) {
    throw new Error(`not an evidence archive path: ${JSON.stringify(path)}`)
  }
}

function octal(value: number, width: number): string {
  // width − 1 octal digits, zero-padded, then NUL (the form GNU tar and bsdtar write)
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

/** The one header we write for a regular file. */
export function tarHeader(f: TarFields): Buffer {
  checkPath(f.path)
  if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > SIZE_MAX) throw new Error(`file too large for ustar: ${f.path}`)
  const h = Buffer.alloc(BLOCK)
  h.write(f.path, 0, 'ascii') // name[100]
  h.write(octal(0o644, 8), 100, 'ascii') // mode
  h.write(octal(0, 8), 108, 'ascii') // uid
  h.write(octal(0, 8), 116, 'ascii') // gid
  h.write(octal(f.size, 12), 124, 'ascii') // size
  h.write(octal(f.mtime, 12), 136, 'ascii') // mtime
  h.write('        ', 148, 'ascii') // chksum, as spaces while summing
  h.write('0', 156, 'ascii') // typeflag: regular file
  h.write('ustar\0', 257, 'ascii') // magic
  h.write('00', 263, 'ascii') // version
  h.write(octal(0, 8), 329, 'ascii') // devmajor
  h.write(octal(0, 8), 337, 'ascii') // devminor
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return h
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

/** The archive: one header + padded content per entry, in order, then two NUL blocks. */
export function writeTar(entries: readonly TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(tarHeader({ path: e.path, size: e.data.length, mtime }), e.data, Buffer.alloc(padding(e.data.length)))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}

/** Reads the fields of a header without trusting it; `undefined` members did not parse. */
export function parseHeader(h: Buffer): { path?: string; size?: number; mtime?: number; checksumOk: boolean } {
  const field = (off: number, len: number) => h.subarray(off, off + len)
  const num = (off: number, len: number): number | undefined => {
    const s = field(off, len).toString('latin1')
    return /^[0-7]+\0$/.test(s) ? parseInt(s, 8) : undefined
  }
  const nameRaw = field(0, NAME_MAX)
  const nul = nameRaw.indexOf(0)
  const path = (nul === -1 ? nameRaw : nameRaw.subarray(0, nul)).toString('latin1')
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!
  const stored = field(148, 8).toString('latin1')
  const checksumOk = /^[0-7]{6}\0 $/.test(stored) && parseInt(stored.slice(0, 6), 8) === sum
  const size = num(124, 12)
  const mtime = num(136, 12)
  return { path, ...(size === undefined ? {} : { size }), ...(mtime === undefined ? {} : { mtime }), checksumOk }
}

export function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false
  return true
}
