// storage.durableSync 'threadpool' (issue 16 item 1; OpenOptions.durableSync in db.ts): a write()
// batch commits with synchronous=NORMAL and the WAL is fdatasync'd here, in libuv's thread pool, so
// the event loop goes on during the fsync. A batch's completion runs once a sync that began after its
// COMMIT returned; batches that commit while one is in flight share the next one (group commit across
// turns).
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

/** A batch's completion: no error once its commit is on disk. */
export type SyncDone = (err?: unknown) => void

export class WalSync {
  readonly #file: string
  /** The WAL's fd, opened at the first sync. */
  #fd: number | undefined
  #syncing: Promise<void> | undefined
  #waiting: SyncDone[] = []

  /** `file`: the database file; its WAL is `${file}-wal`. */
  constructor(file: string) {
    this.#file = file
  }

  /** `done` runs once an fdatasync of the WAL that began after this call has returned. */
  after(done: SyncDone): void {
    this.#waiting.push(done)
    if (this.#syncing === undefined) this.#sync()
  }

  /** Resolves once no sync is in flight (close). */
  async settle(): Promise<void> {
    while (this.#syncing) await this.#syncing
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  #sync(): void {
    const waiting = this.#waiting
    this.#waiting = []
    let fd: number
    try {
      fd = this.#fd ??= this.#openWal()
    } catch (err) {
      for (const c of waiting) c(err)
      return
    }
    this.#syncing = new Promise<void>((resolve) => {
      fdatasync(fd, (err) => {
        for (const c of waiting) c(err ?? undefined)
        this.#syncing = undefined
        if (this.#waiting.length > 0) this.#sync()
        resolve()
      })
    })
  }

  /** The WAL exists once a batch committed; SQLite keeps this file (it truncates, never replaces it)
   *  while the connection is open. Its directory entry is synced once, as SQLite does for a new WAL. */
  #openWal(): number {
    const wal = openSync(`${this.#file}-wal`, 'r')
    try {
      const dir = openSync(dirname(this.#file), 'r')
      try {
        fsyncSync(dir)
      } finally {
        closeSync(dir)
      }
    } catch (err) {
      closeSync(wal)
      throw err
    }
    return wal
  }
}
