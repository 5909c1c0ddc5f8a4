// Alerts already raised (migration 029; issue 17 item 4): an event per threshold crossing, never one
// per check. Writers are synchronous and meant to run inside db.write(), beside the event they gate.
import type { Db } from './db.js'

export class ExpiryAlertStore {
  readonly #insert
  readonly #has

  constructor(db: Db) {
    this.#insert = db.sqlite.prepare('INSERT OR IGNORE INTO expiry_alerts (alert_key, raised_at) VALUES (?, ?)')
    this.#has = db.sqlite.prepare('SELECT 1 FROM expiry_alerts WHERE alert_key = ?').pluck()
  }

  /** Records `key`; true when it was not raised before (the caller raises its event then). */
  raise(key: string, at: number): boolean {
    return this.#insert.run(key, at).changes === 1
  }

  raised(key: string): boolean {
    return this.#has.get(key) !== undefined
  }
}
