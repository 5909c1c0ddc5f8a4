// Which process of a node leads a periodic job (migration 041; issue 19 item 2, PROTOCOL.md
// implementation note "In-process state under several processes", "One process only"). A lease is a
// row per job name: its holder (an owner name, the outbox's claimed_by) and the end of its lease. It
// is taken, renewed or taken over in one statement, so two processes asking at once cannot both get
// it, on SQLite (one writer at a time) as on PostgreSQL (the row's unique key: INSERT … ON CONFLICT
// waits for the other transaction and then re-checks its WHERE against the row it committed).
// Times are the callers' clocks (ms since the epoch): the processes of one node must agree on time
// to within a small part of a lease (one host: the same clock).
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

/** Who holds a lease, until when, and since when (without a break in that owner's hold). */
export interface LeaseHolder {
  readonly owner: string
  readonly until: number
  readonly acquiredAt: number
}

/** The outcome of tryAcquire: `held` when the caller holds the lease now; `holder` is who does. */
export interface LeaseAttempt {
  readonly held: boolean
  readonly holder: LeaseHolder
}

/** Insert, or take over a lease that ran out, or renew one's own: never another's that still runs.
 *  The same text runs on PostgreSQL with $1… for the named parameters (both have ON CONFLICT … WHERE
 *  and RETURNING; a row comes back only when this statement inserted or updated it). */
export const ACQUIRE_SQL = `INSERT INTO process_leases (name, owner, lease_until, acquired_at) VALUES (@name, @owner, @until, @now)
  ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
    acquired_at = CASE WHEN process_leases.owner = excluded.owner AND process_leases.lease_until >= excluded.acquired_at
      THEN process_leases.acquired_at ELSE excluded.acquired_at END
  WHERE process_leases.lease_until < excluded.acquired_at OR process_leases.owner = excluded.owner
  RETURNING owner, lease_until AS until, acquired_at AS acquiredAt`

export class ProcessLeaseStore {
  readonly #db: Db
  readonly #s: {
    acquire: Database.Statement<[{ name: string; owner: string; until: number; now: number }], LeaseHolder>
    row: Database.Statement<[string], LeaseHolder>
    holder: Database.Statement<[{ name: string; now: number }], LeaseHolder>
    release: Database.Statement<[{ name: string; owner: string }]>
  }

  constructor(db: Db) {
    this.#db = db
    const cols = 'owner, lease_until AS until, acquired_at AS acquiredAt'
    this.#s = {
      acquire: db.sqlite.prepare(ACQUIRE_SQL),
      row: db.sqlite.prepare(`SELECT ${cols} FROM process_leases WHERE name = ?`),
      holder: db.sqlite.prepare(`SELECT ${cols} FROM process_leases WHERE name = @name AND lease_until > @now`),
      release: db.sqlite.prepare('DELETE FROM process_leases WHERE name = @name AND owner = @owner'),
    }
  }

  /** Takes `name` for `owner` until now + ms when it is free, ran out (lease_until < now) or is the
   *  owner's own (a renewal, or its restart's); otherwise leaves it and says who holds it. */
  tryAcquire(name: string, owner: string, now: number, ms: number): Promise<LeaseAttempt> {
    if (!Number.isInteger(ms) || ms <= 0) return Promise.reject(new RangeError('process lease: ms must be a positive integer'))
    return this.#db.write(() => {
      const mine = this.#s.acquire.get({ name, owner, until: now + ms, now })
      if (mine !== undefined) return { held: true, holder: mine }
      // Read in the same transaction: the holder whose lease refused ours.
      return { held: false, holder: this.#s.row.get(name)! }
    })
  }

  /** Gives `name` up at once if `owner` holds it (a process that stops); true when it did. */
  release(name: string, owner: string): Promise<boolean> {
    return this.#db.write(() => this.#s.release.run({ name, owner }).changes === 1)
  }

  /** Who holds `name` at `now` (a lease that ran out is held by no one). */
  holder(name: string, now: number): LeaseHolder | undefined {
    return this.#s.holder.get({ name, now })
  }
}
