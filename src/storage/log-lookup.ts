// Finding an entry of this node's own log by its leaf hash (PROTOCOL.md §20.5): a receipt names the
// index of its `message.received` entry, appended moments before by the storing write. Searched from
// the newest entry backwards over the primary key (agency, idx), so a recent entry costs a few rows
// and needs no extra index; an old one (the replay of an envelope whose receipt was never signed)
// scans further, which is rare.
import type Database from 'better-sqlite3'

const stmts = new WeakMap<Database.Database, Database.Statement<[string, number, Buffer], number>>()

/** The index of the newest entry of `agency`'s log with this leaf hash at or after `notBefore`. */
export function leafIndex(sqlite: Database.Database, agency: string, leafHash: Buffer, notBefore = 0): number | undefined {
  let s = stmts.get(sqlite)
  if (!s) {
    s = sqlite.prepare<[string, number, Buffer], number>('SELECT idx FROM log_entries WHERE agency = ? AND idx >= ? AND leaf_hash = ? ORDER BY idx DESC LIMIT 1').pluck()
    stmts.set(sqlite, s)
  }
  return s.get(agency, notBefore, leafHash)
}
