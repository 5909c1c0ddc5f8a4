// The name a node process claims work under (issue 19 item 2: outbox leases, migration 040; webhook
// claims, migration 042). wire/storage.ts gives one stable across restarts (host and federation
// port); without it, a name unique to this process: its own restart is then not recognised, and
// what it left claimed waits for the claim to run out.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

export function uniqueOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`
}
