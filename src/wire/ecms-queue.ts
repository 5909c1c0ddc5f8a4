// The e-CMS gateway's receiving side (issue 18 §3, §4): the pull queue, filled inside the transaction of
// every event of an agency that has an e-CMS client (EventLog.tap), and the deps its handlers use.
import type { ProfileTable } from '../crypto/profiles.js'
import type { Directory } from '../pki/directory.js'
import type { Events } from '../services/events/index.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { NoticeDeps } from '../services/notices/deps.js'
import type { Registers } from '../services/registers.js'
import type { EcmsQueueDeps } from '../services/ecms/deps.js'
import { enqueueTap } from '../services/ecms/enqueue.js'
import type { Db } from '../storage/db.js'
import { EcmsQueueStore } from '../storage/ecms-queue.js'
import type { InboxStore } from '../storage/inbox.js'
import type { NoticeStore } from '../storage/notices.js'
import type { Base } from './base.js'

export interface EcmsQueueParts {
  readonly db: Db
  readonly inbox: InboxStore
  readonly notices: NoticeStore
  readonly noticeDeps: NoticeDeps
  readonly registers: Registers
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  readonly events: Events
  readonly currentDirectory: () => Directory
  /** The hosted agencies configured with an e-CMS client (the gateway's configuration). */
  readonly hasClient: (agency: string) => boolean
}

export function wireEcmsQueue({ clock, log, closers }: Base, p: EcmsQueueParts): EcmsQueueDeps {
  const deps: EcmsQueueDeps = {
    clock, log: log.child({ area: 'ecms' }), db: p.db, store: new EcmsQueueStore(p.db), inbox: p.inbox, notices: p.notices, profiles: p.profiles, hosted: p.hosted,
    noticeDeps: p.noticeDeps, registers: p.registers, hasClient: p.hasClient,
    // PROTOCOL.md: the directory entry's e-CMS codes (agencies[].ecms).
    departmentOf: (agency) => p.currentDirectory().agency(agency)?.ecms?.department,
  }
  const untap = p.events.sink.tap(enqueueTap(deps))
  closers.push(untap)
  return deps
}
