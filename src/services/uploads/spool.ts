// Uploaded attachment files spooled to disk while they arrive (issue 16 item 2: a 100 MB letter in
// bounded memory; PROTOCOL.md implementation notes "Multipart uploads"). Each file part of a
// multipart letter is written to a private file (0600, in a 0700 folder under the data folder) and
// hashed (SHA-256, for the signed manifest) as it is read, 1 MiB at a time, instead of being held in
// one buffer; the letter is then sealed from the files straight into chunk rows (services/send.ts).
// The files are temporary: the letter's durable copy is its sealed envelope, committed in SQLite
// before the 202. They are removed once the request is answered, whatever the outcome, and at
// start (what a process that died left). Each process of a node (issue 19 item 2: several share one
// data folder) spools into a folder of its own, named by its stable owner name, and at start empties
// only that one, so that it never deletes what another live process is receiving.
import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { preparePrivateDir, PRIVATE_FILE_MODE } from '../../storage/private-files.js'
import { ownerTag } from '../../storage/owner.js'

/** A spooled file: where it is, how long, its SHA-256 (lowercase hex). */
export interface SpooledFile {
  readonly path: string
  readonly size: number
  readonly sha256: string
}

const BLOCK = 1024 * 1024

export class UploadSpool {
  readonly dir: string

  /** `root`: the uploads folder of the data folder; `owner`: this process's stable name (storage/owner.ts). */
  constructor(root: string, owner: string) {
    preparePrivateDir(root)
    this.dir = join(root, ownerTag(owner))
    preparePrivateDir(this.dir)
  }

  /** At start: removes what this process's earlier life left (it answered no request for them). Returns how many. */
  sweep(): number {
    const names = readdirSync(this.dir)
    for (const n of names) rmSync(join(this.dir, n), { force: true, recursive: true })
    mkdirSync(this.dir, { recursive: true })
    return names.length
  }

  /** A new private file to write one upload into. */
  async create(): Promise<SpoolWriter> {
    const path = join(this.dir, `${randomUUID()}.part`)
    const fh = await open(path, 'wx', PRIVATE_FILE_MODE)
    return new SpoolWriter(path, fh)
  }
}

/** One file being spooled: write() the chunks in order, then finish(); discard() on any failure. */
export class SpoolWriter {
  readonly #hash = createHash('sha256')
  #block: Buffer | undefined
  #fill = 0
  #size = 0
  #fh: FileHandle | undefined

  constructor(readonly path: string, fh: FileHandle) {
    this.#fh = fh
  }

  get size(): number {
    return this.#size
  }

  /** Copies `chunk` into a 1 MiB block, written to the file when full (fewer, larger writes). */
  async write(chunk: Buffer): Promise<void> {
    this.#hash.update(chunk)
    this.#size += chunk.length
    for (let at = 0; at < chunk.length;) {
      this.#block ??= Buffer.allocUnsafeSlow(BLOCK) // not the shared pool: letter contents
      const n = chunk.copy(this.#block, this.#fill, at, at + BLOCK - this.#fill)
      this.#fill += n
      at += n
      if (this.#fill === BLOCK) await this.#flush()
    }
  }

  /** The file, complete and closed (not fsync'd: it is a temporary copy, see the file comment). */
  async finish(): Promise<SpooledFile> {
    await this.#flush()
    await this.#fh?.close()
    this.#fh = undefined
    this.#block = undefined
    return { path: this.path, size: this.#size, sha256: this.#hash.digest('hex') }
  }

  /** Closes and removes the file; never throws. */
  async discard(): Promise<void> {
    this.#block = undefined
    await this.#fh?.close().catch(() => {})
    this.#fh = undefined
    await rm(this.path, { force: true }).catch(() => {})
  }

  async #flush(): Promise<void> {
    if (this.#fill === 0) return
    let at = 0
    while (at < this.#fill) at += (await this.#fh!.write(this.#block!, at, this.#fill - at)).bytesWritten
    this.#fill = 0
  }
}

/** Removes spooled files; never throws. */
export async function removeSpooled(files: Iterable<SpooledFile>): Promise<void> {
  await Promise.all([...files].map((f) => rm(f.path, { force: true }).catch(() => {})))
}
