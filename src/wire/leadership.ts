// The leases by which one process of the node runs the jobs that must run in one process at a time
// (issue 19 item 2, PROTOCOL.md implementation note "One process only"; services/leadership/). Wired
// right after the storage, before any such job: its closer runs after theirs (close() runs closers in
// reverse), so a lease is given up only once its job stopped, a backup in progress included.
import { Leadership } from '../services/leadership/index.js'
import { ProcessLeaseStore } from '../storage/process-leases.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Base } from './base.js'

export function wireLeadership({ clock, log, closers }: Base, { db, outbox }: { db: Db; outbox: OutboxStore }): Leadership {
  // The owner is the outbox's: one name per process of the node (storage/owner.ts ownerFor: the same
  // across its restarts, so a restarted process takes its own lease back at once).
  const leadership = new Leadership({ store: new ProcessLeaseStore(db), owner: outbox.owner, clock, log: log.child({ area: 'leader' }) })
  closers.push(() => leadership.close())
  return leadership
}
