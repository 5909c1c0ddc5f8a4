// History of the trust documents this node accepted (migration 003, PROTOCOL.md §14.5): every
// directory by serial, every CRL by issuer and number. Evidence asks what was in force at a time.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export interface NewCrl {
  /** SHA-256 of the issuer certificate DER, lowercase hex */
  issuerFp: string
  /** cRLNumber in decimal */
  crlNumber: string
  thisUpdate: number
  nextUpdate?: number
  der: Buffer
  fetchedAt: number
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>

export class TrustHistoryStore {
  readonly #s

  constructor(db: Db) {
    const p = <R>(sql: string): Stmt<R> => db.sqlite.prepare<unknown[], R>(sql)
    this.#s = {
      insertDirectory: p(`INSERT INTO directory_history (serial, issued_at, next_update, payload_sha256, jws, fetched_at)
        VALUES (@serial, @issuedAt, @nextUpdate, @payloadSha256, @jws, @fetchedAt) ON CONFLICT (serial) DO NOTHING`),
      directoryAt: p<string>(`SELECT jws FROM directory_history WHERE fetched_at <= ? ORDER BY serial DESC LIMIT 1`).pluck(),
      latestDirectories: p<string>('SELECT jws FROM directory_history ORDER BY serial DESC LIMIT ?').pluck(),
      insertCrl: p(`INSERT INTO crl_history (issuer_fp, crl_number, this_update, next_update, der, fetched_at)
        VALUES (@issuerFp, @crlNumber, @thisUpdate, @nextUpdate, @der, @fetchedAt) ON CONFLICT (issuer_fp, crl_number) DO NOTHING`),
      // per issuer, the CRL accepted last at or before the time
      crlsAt: p<Buffer>(`SELECT der FROM crl_history AS c WHERE c.fetched_at <= @at AND c.rowid = (
          SELECT rowid FROM crl_history WHERE issuer_fp = c.issuer_fp AND fetched_at <= @at
          ORDER BY fetched_at DESC, this_update DESC LIMIT 1)
        ORDER BY c.issuer_fp`).pluck(),
      // cRLNumber is decimal text of up to 20 octets: longer is larger, then by text (no leading zeros).
      newestCrl: p<Buffer>(`SELECT der FROM crl_history WHERE issuer_fp = ?
        ORDER BY length(crl_number) DESC, crl_number DESC, this_update DESC LIMIT 1`).pluck(),
    }
  }

  /** Inside db.write(). A serial already recorded keeps its first row (the first time it was accepted). */
  recordDirectory(doc: { serial: number; issuedAt: string; nextUpdate: string }, jws: string, payloadSha256: string, fetchedAt: number): void {
    this.#s.insertDirectory.run({ serial: doc.serial, issuedAt: Date.parse(doc.issuedAt), nextUpdate: Date.parse(doc.nextUpdate), payloadSha256, jws, fetchedAt })
  }

  /** The signed directory this node was using at `time` (ms): the highest serial accepted at or before it. */
  directoryAt(time: number): string | undefined {
    return this.#s.directoryAt.get(time)
  }

  /** The newest recorded directories, highest serial first. */
  latestDirectories(limit: number): string[] {
    return this.#s.latestDirectories.all(limit)
  }

  /** Inside db.write(). */
  recordCrl(c: NewCrl): void {
    this.#s.insertCrl.run({ ...c, nextUpdate: c.nextUpdate ?? null })
  }

  /** The DER of the highest-numbered CRL of an issuer that any process of the node took into use
   *  (the anti-rollback reference with several processes, PROTOCOL.md §15.2; issue 19 item 2). */
  newestCrl(issuerFp: string): Buffer | undefined {
    return this.#s.newestCrl.get(issuerFp)
  }

  /** The DER of each issuer's CRL that this node held at `time` (ms). */
  crlsAt(time: number): Buffer[] {
    return this.#s.crlsAt.all({ at: time })
  }
}
