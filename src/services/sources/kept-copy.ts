// The last good copy of a trust document on disk (PROTOCOL.md §14.5): replaced so that a crash at any
// moment leaves either the old or the new copy, never a torn one.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrict } from '../../storage/private-files.js'

/** The file's bytes as a one-element list, or an empty list when it cannot be read. */
export function readIfExists(file: string): Buffer[] {
  try {
    return [readFileSync(file)]
  } catch {
    return []
  }
}

/** Write to a temporary file, fsync it, rename over the old copy: a crash leaves one or the other. */
export function writeAtomic(file: string, bytes: Buffer): void {
  // Inside the node's data folder: the folder 0700, the file 0600 whatever the umask (issue 13 §1).
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE })
  // A name of its own: several processes of one node (issue 19 item 2) keep the same documents in the
  // same folder, and with one shared name one's rename took the file from under another's (ENOENT).
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, bytes, { mode: PRIVATE_FILE_MODE })
    restrict(tmp)
    const fd = openSync(tmp, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  // The rename itself is durable once the folder is flushed (POSIX; not possible on every platform).
  try {
    const dir = openSync(dirname(file), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
  } catch {
    /* best effort */
  }
}
