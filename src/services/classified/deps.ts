// What the classified services need (PROTOCOL.md §19): the store, the access record, and the same
// sealing and delivery parts as letters and notices.
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { OutboxStore } from '../../storage/outbox.js'
import type { ClassifiedStore } from '../../storage/classified.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Directory } from '../../pki/directory.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import type { HostedAgencies } from '../hosted-agencies.js'
import type { EnvelopeCache } from '../envelope-cache.js'
import type { AccessRecord } from './access-record.js'

export interface ClassifiedDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly store: ClassifiedStore
  readonly access: AccessRecord
  readonly outbox: OutboxStore
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  readonly envelopes: EnvelopeCache
  /** New outbox work: wake the delivery worker. */
  readonly onQueued: () => void
  readonly requireFreshDirectory?: () => void
  /** Largest inner envelope accepted (bytes). */
  readonly maxInnerBytes: number
  /** The signed directory in force, for evidence (PROTOCOL.md §19.10). */
  readonly directoryJws: () => string
}

/** Who is asking, through the API (PROTOCOL.md §19.7: the access record names the key and the client). */
export interface ClassifiedCaller {
  readonly keyName: string
  readonly agencies: readonly string[]
  readonly scopes: ReadonlySet<string>
  readonly client: string
}
