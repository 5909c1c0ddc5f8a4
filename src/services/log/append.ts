// Turns the state changes migration 018's triggers recorded into log entries, inside the write()
// that made them (storage/db.ts calls drain() before it releases each write's savepoint, and flush()
// before the transaction's hooks and COMMIT): the change and its entries commit together, or neither
// does (log-design.md §4).
import type Database from 'better-sqlite3'
import { appendLeaves, LogStore } from '../../storage/log.js'
import { isSourceName, LogRows } from '../../storage/log-rows.js'
import { buildEntry, entryBytes, leavesOf } from './leaves.js'
import type { WriteLog } from '../../storage/write-log.js'

export interface AppendDeps {
  readonly sqlite: Database.Database
  /** The agencies this node hosts now: node-wide changes (directory, CRL) go to each one's log. */
  readonly hosted: () => Iterable<string>
}

/** The log's WriteLog (storage/db.ts): a fn's entries are built at its end, inside its savepoint (so a
 *  row it changed is read as it left it), and appended once per transaction (issue 14 §6). */
export class LeafAppender implements WriteLog {
  readonly #sqlite: Database.Database
  readonly #hosted: () => Iterable<string>
  readonly #store: LogStore
  readonly #rows: LogRows
  /** Entries built and not yet appended, in the order of their changes. */
  #kept: Array<{ readonly agency: string; readonly bytes: Buffer }> = []

  constructor(d: AppendDeps) {
    this.#sqlite = d.sqlite
    this.#hosted = d.hosted
    this.#store = new LogStore(d.sqlite)
    this.#rows = new LogRows(d.sqlite)
  }

  /** Builds the entries of every pending change, oldest first, and keeps them for flush(); returns how
   *  many. Throws (and so rolls the caller's fn back, keeping nothing) when an entry cannot be built. */
  drain(): number {
    const built: Array<{ agency: string; bytes: Buffer }> = []
    for (const p of this.#store.takePending()) {
      if (!isSourceName(p.source)) throw new Error(`log: unknown row source "${p.source}" (migration 018)`)
      // Gone again within the same transaction: no state change survived, so no entry.
      const row = this.#rows.one(p.source, p.ref)
      if (!row) continue
      for (const leaf of leavesOf(p.source)) {
        for (const a of row.agency === null ? [...this.#hosted()] : [undefined]) {
          const e = buildEntry(leaf, row, a)
          built.push({ agency: e.agency, bytes: entryBytes(e) })
        }
      }
    }
    for (const b of built) this.#kept.push(b)
    return built.length
  }

  /** Appends the kept entries, each log's in order; its head is read and written once. */
  flush(): void {
    if (this.#kept.length === 0) return
    const kept = this.#kept
    this.#kept = []
    const byAgency = new Map<string, Buffer[]>()
    for (const k of kept) {
      let list = byAgency.get(k.agency)
      if (!list) byAgency.set(k.agency, (list = []))
      list.push(k.bytes)
    }
    for (const [agency, entries] of byAgency) appendLeaves(this.#sqlite, agency, entries)
  }

  mark(): number {
    return this.#kept.length
  }

  undo(mark: number): void {
    this.#kept.length = Math.min(mark, this.#kept.length)
  }
}
