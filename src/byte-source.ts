// Bytes readable by range without holding them all (issue 16 item 2): a Buffer, a stored envelope's
// chunk rows (storage/blob-chunks.ts), parts of those end to end (a circular's head, shared content
// and tail; a cms-v1 encryptedContent in chunks). The crypto ranged readers (crypto/ranged.ts) take
// one, and the storage layer gives one, so it lives below both.

export interface ByteSource {
  readonly length: number
  /** Bytes [offset, offset + length); a view or a copy that stays valid after later reads (the ranged
   *  readers keep a head while they read a tail, crypto/cms/v1-ranged.ts). */
  read(offset: number, length: number): Buffer
  /** Optional: as read(), into a buffer the source reuses, so valid only until the next call of
   *  either; for a caller that consumes the bytes at once (hashes, deciphers, binds them). A source
   *  whose reads allocate (a file) saves the allocation; the garbage of a 100 MB pass would
   *  otherwise wait for a collection in the process's memory (issue 16 item 2). */
  readTransient?(offset: number, length: number): Buffer
}

/** read() through readTransient() when the source has it (see there: consume the bytes at once). */
export function readNow(source: ByteSource, offset: number, length: number): Buffer {
  return source.readTransient ? source.readTransient(offset, length) : source.read(offset, length)
}

export function bufferSource(bytes: Buffer): ByteSource {
  return { length: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) }
}

/** Bytes [start, end) of `source`. */
export function subSource(source: ByteSource, start: number, end: number): ByteSource {
  if (start < 0 || end > source.length || start > end) throw new RangeError(`subSource: [${start}, ${end}) outside 0..${source.length}`)
  const transient = source.readTransient?.bind(source)
  return {
    length: end - start,
    read: (offset, length) => source.read(start + offset, Math.min(length, end - start - offset)),
    ...(transient ? { readTransient: (offset: number, length: number) => transient(start + offset, Math.min(length, end - start - offset)) } : {}),
  }
}

/** The index of the last of `starts[0..last]` (ascending) that is ≤ `offset`: the part or chunk holding it. */
export function partAt(starts: readonly number[], last: number, offset: number): number {
  let lo = 0, hi = last
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Sources end to end: a read spanning two is copied. */
export function joinedSource(parts: readonly ByteSource[]): ByteSource {
  if (parts.length === 1) return parts[0]!
  const starts = [0]
  for (const p of parts) starts.push(starts[starts.length - 1]! + p.length)
  const length = starts[parts.length]!
  return {
    length,
    read(offset, n) {
      const end = Math.min(offset + n, length)
      const pieces: Buffer[] = []
      for (let i = partAt(starts, parts.length - 1, offset); offset < end && i < parts.length; i++) {
        const upto = Math.min(end, starts[i + 1]!)
        if (upto > offset) pieces.push(parts[i]!.read(offset - starts[i]!, upto - offset))
        offset = Math.max(offset, upto)
      }
      return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
    },
  }
}
