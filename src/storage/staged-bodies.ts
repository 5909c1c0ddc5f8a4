// A large federation body staged on disk as it arrives (issue 16 item 2; PROTOCOL.md implementation
// note "Large envelopes received in bounded memory"): a private file (0600, in <dataDir>/staging, 0700)
// written as the socket delivers it and hashed on the way, then read by range (a ByteSource) by the
// receive checks and, once accepted, copied into the inbox's chunk rows inside the transaction that
// commits the receipt (storage/blob-chunks.ts storeSource). The file is never the stored copy: it is
// not fsync'd, and it is removed once the request is answered, refused or cut. A file whose process
// died is removed when that process starts again (its name carries the process's owner name, as the
// staged sealing rows of migration 043), or by any process of the node once it is a day old.
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { ByteSource } from '../byte-source.js'
import { preparePrivateDir, PRIVATE_FILE_MODE } from './private-files.js'
import { ownerTag } from './owner.js'

const SUFFIX = '.body'
const DAY_MS = 24 * 60 * 60 * 1000

/** A body being written: feed it the request's chunks in order, then finish() or discard(). */
export interface StagingWrite {
  /** Appends a chunk (sync: a write(2) of at most the socket's chunk, ~64 KiB). */
  write(chunk: Buffer): void
  /** All bytes are in: the staged body. */
  finish(): StagedBody
  /** A refusal or a cut connection: the file goes. Idempotent. */
  discard(): void
  readonly received: number
}

/** A staged body: its exact bytes read by range, their SHA-256 (hex) and length. */
export interface StagedBody {
  readonly source: ByteSource
  readonly sha256: string
  readonly length: number
  /** Removes the file; reads after it throw. Idempotent. */
  remove(): void
}

export class BodyStaging {
  readonly #dir: string
  readonly #prefix: string

  /** `owner`: this process's owner name (storage/owner.ts ownerFor). */
  constructor(dataDir: string, owner: string) {
    this.#dir = join(dataDir, 'staging')
    this.#prefix = ownerTag(owner)
    preparePrivateDir(this.#dir, '/dataDir')
  }

  /** At start: removes what this process staged in an earlier life, and every staged body older than
   *  a day (a process that died and never came back); another live process's bodies stay. */
  dropAbandoned(now = Date.now()): number {
    let n = 0
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith(SUFFIX)) continue
      const path = join(this.#dir, name)
      try {
        if (!name.startsWith(`${this.#prefix}-`) && now - statSync(path).mtimeMs < DAY_MS) continue
        rmSync(path, { force: true })
        n++
      } catch {
        // gone meanwhile (its process removed it)
      }
    }
    return n
  }

  /** Bodies staged and not yet removed, by this process or another (tests, doctor). */
  staged(): string[] {
    return readdirSync(this.#dir).filter((n) => n.endsWith(SUFFIX))
  }

  begin(): StagingWrite {
    const path = join(this.#dir, `${this.#prefix}-${process.pid}-${randomBytes(8).toString('hex')}${SUFFIX}`)
    const fd = openSync(path, 'wx+', PRIVATE_FILE_MODE) // read back by the checks
    const hash = createHash('sha256')
    let received = 0
    let open = true
    const close = () => {
      if (!open) return
      open = false
      closeSync(fd)
    }
    const remove = () => {
      close()
      rmSync(path, { force: true })
    }
    return {
      get received() {
        return received
      },
      write(chunk) {
        for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at, received + at)
        hash.update(chunk)
        received += chunk.length
      },
      finish() {
        const length = received
        if (fstatSync(fd).size !== length) throw new Error(`staging: ${path} holds ${fstatSync(fd).size} bytes, ${length} were written`)
        return { source: fileSource(fd, length, () => open), sha256: hash.digest('hex'), length, remove }
      },
      discard: remove,
    }
  }
}

/** Bytes [offset, offset + n) of the file, each read into a buffer of its own (a reader may hold one
 *  read while it makes the next: crypto/jose/v1-ranged.ts keeps the head while it reads the tail). */
function fileSource(fd: number, length: number, isOpen: () => boolean): ByteSource {
  let scratch = Buffer.alloc(0)
  const into = (out: Buffer, offset: number): Buffer => {
    if (!isOpen()) throw new Error('staging: the staged body was removed')
    for (let at = 0; at < out.length;) {
      const got = readSync(fd, out, at, out.length - at, offset + at)
      if (got === 0) throw new Error('staging: the staged body is shorter than written')
      at += got
    }
    return out
  }
  const span = (offset: number, n: number): number => {
    const end = Math.min(offset + n, length)
    if (offset < 0 || offset > end) throw new RangeError(`staging: read [${offset}, ${offset + n}) of ${length} bytes`)
    return end - offset
  }
  return {
    length,
    read: (offset, n) => into(Buffer.allocUnsafeSlow(span(offset, n)), offset), // not the shared pool: envelope bytes
    // The passes over the whole body (decrypting, hashing, copying into chunk rows) read into one
    // buffer, grown to the largest read (1 MiB, CHUNK_BYTES), instead of ~2,000 new ones per pass.
    readTransient(offset, n) {
      const k = span(offset, n)
      if (scratch.length < k) scratch = Buffer.allocUnsafeSlow(k)
      return into(scratch.subarray(0, k), offset)
    },
  }
}
