// The name a node process claims work under (issue 19 item 2: outbox leases, migration 040; webhook
// claims, migration 042; job leases, migration 041): stable across restarts when the process has a
// fixed federation port (ownerFor); otherwise unique to this process: its own restart is then not
// recognised, and what it left claimed waits for the claim to run out.
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

export function uniqueOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`
}

/** The name of the process listening for federation on `port`: its host and port, which two processes
 *  of one node on one host cannot share, and which the same process has again after a restart (so it
 *  takes back at once what it left claimed). A port chosen by the system (0) names nothing stable. */
export function ownerFor(federationPort: number): string {
  return federationPort === 0 ? uniqueOwner() : `${hostname()}:${federationPort}`
}

/** A short tag of an owner name that every file system takes (16 hex characters of its SHA-256): the
 *  per-process upload folder (services/uploads/spool.ts) and staged body names (storage/staged-bodies.ts). */
export function ownerTag(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 16)
}
