// Turns the state changes migration 018's triggers recorded into log entries, inside the write()
// that made them (storage/db.ts calls drain() before it releases each write's savepoint): the
// change and its entries commit together, or neither does (log-design.md §4).
import type Database from 'better-sqlite3'
import { appendLeaves, LogStore } from '../../storage/log.js'
import { isSourceName, LogRows } from '../../storage/log-rows.js'
import { buildEntry, entryBytes, leavesOf } from './leaves.js'

export interface AppendDeps {
  readonly sqlite: Database.Database
  /** The agencies this node hosts now: node-wide changes (directory, CRL) go to each one's log. */
  readonly hosted: () => Iterable<string>
}

/** Pending changes read at once (one transaction rarely holds more). */
const BATCH = 64

export class LeafAppender {
  readonly #sqlite: Database.Database
  readonly #hosted: () => Iterable<string>
  readonly #store: LogStore
  readonly #rows: LogRows

  constructor(d: AppendDeps) {
    this.#sqlite = d.sqlite
    this.#hosted = d.hosted
    this.#store = new LogStore(d.sqlite)
    this.#rows = new LogRows(d.sqlite)
  }

  /** Appends the entries of every pending change, oldest first; returns how many were appended.
   *  Throws (and so rolls the caller's write back) when an entry cannot be built. */
  drain(): number {
    // Each log's entries in order of their changes; its head is read and written once per drain.
    const byAgency = new Map<string, Uint8Array[]>()
    let appended = 0
    for (;;) {
      const batch = this.#store.pending(BATCH)
      for (const p of batch) {
        if (!isSourceName(p.source)) throw new Error(`log: unknown row source "${p.source}" (migration 018)`)
        // Gone again within the same transaction: no state change survived, so no entry.
        const row = this.#rows.one(p.source, p.ref)
        if (!row) continue
        for (const leaf of leavesOf(p.source)) {
          for (const a of row.agency === null ? [...this.#hosted()] : [undefined]) {
            const e = buildEntry(leaf, row, a)
            let list = byAgency.get(e.agency)
            if (!list) byAgency.set(e.agency, (list = []))
            list.push(entryBytes(e))
            appended++
          }
        }
      }
      if (batch.length > 0) this.#store.donePending(batch[batch.length - 1]!.seq)
      if (batch.length < BATCH) break
    }
    for (const [agency, entries] of byAgency) appendLeaves(this.#sqlite, agency, entries)
    return appended
  }
}
