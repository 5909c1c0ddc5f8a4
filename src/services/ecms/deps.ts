// What the e-CMS receiving side needs (issue 18 §3, §4): its own store, the inbox and notices it reads,
// and two facts the gateway's configuration and the directory answer.
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { EcmsQueueStore } from '../../storage/ecms-queue.js'
import type { InboxStore } from '../../storage/inbox.js'
import type { NoticeStore } from '../../storage/notices.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import type { HostedAgencies } from '../hosting/agencies.js'
import type { NoticeDeps } from '../notices/deps.js'
import type { Registers } from '../registers.js'

export interface EcmsQueueDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly store: EcmsQueueStore
  readonly inbox: InboxStore
  readonly notices: NoticeStore
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  /** The notice acts (register, reject, withdraw) the client's notifiers become (PROTOCOL.md §18). */
  readonly noticeDeps: NoticeDeps
  /** Entries for the receive numbers the client's own register gave to letters that did not pass through the node. */
  readonly registers: Pick<Registers, 'recordEntry'>
  /** Whether a hosted agency has an e-CMS client configured: only those agencies get a queue. */
  readonly hasClient: (agency: string) => boolean
  /** An agency's e-CMS department code from the signed directory (PROTOCOL.md), if it has one. */
  readonly departmentOf: (agency: string) => string | undefined
}
