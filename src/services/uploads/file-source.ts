// A spooled upload read by range (byte-source.ts), synchronously: the sealing (uploads/seal-from-files.ts)
// reads it 1 MiB from the file at a time and takes slices of that block (readTransient). Issue 16 item 2.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import type { ByteSource } from '../../byte-source.js'
import type { SpooledFile } from './spool.js'

const BLOCK = 1024 * 1024

export interface FileSource extends ByteSource {
  close(): void
}

/** Opens a spooled file; refuses one whose size is not the size it was spooled with. */
export function openFileSource(file: SpooledFile): FileSource {
  const fd = openSync(file.path, 'r')
  try {
    if (fstatSync(fd).size !== file.size) throw new Error(`uploads: ${file.path} is not ${file.size} bytes any more`)
  } catch (err) {
    closeSync(fd)
    throw err
  }
  const block = Buffer.allocUnsafeSlow(BLOCK) // not the shared pool: letter contents
  let from = 0
  let to = 0 // block holds the file's bytes [from, to)
  let open = true
  const fill = (offset: number): void => {
    let n = 0
    const want = Math.min(BLOCK, file.size - offset)
    while (n < want) {
      const got = readSync(fd, block, n, want - n, offset + n)
      if (got === 0) throw new Error(`uploads: ${file.path} ended at ${offset + n} of ${file.size} bytes`)
      n += got
    }
    from = offset
    to = offset + n
  }
  // Views of the one block: valid until the next read (byte-source.ts readTransient); read() copies,
  // for a reader that keeps what it read.
  const readTransient = (offset: number, n: number): Buffer => {
    if (!open) throw new Error('uploads: read after close')
    const end = Math.min(offset + n, file.size)
    if (offset < 0 || offset > end) throw new RangeError(`uploads: read [${offset}, ${offset + n}) of ${file.size} bytes`)
    if (offset >= from && end <= to) return block.subarray(offset - from, end - from)
    if (end - offset > BLOCK) {
      const out = Buffer.allocUnsafeSlow(end - offset)
      if (readSync(fd, out, 0, out.length, offset) !== out.length) throw new Error(`uploads: ${file.path} is shorter than ${file.size} bytes`)
      return out
    }
    fill(offset)
    return block.subarray(0, end - offset)
  }
  return {
    length: file.size,
    readTransient,
    read: (offset, n) => Buffer.from(readTransient(offset, n)),
    close(): void {
      if (open) closeSync(fd)
      open = false
    },
  }
}
