// What every use case that seals and queues its own envelopes needs (notices, PROTOCOL.md §18;
// classified outer envelopes, §19.3): one shape, so the two deps bags and their wiring stay in step.
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import type { ProfileTable } from '../crypto/profiles.js'
import type { HostedAgencies } from './hosting/agencies.js'
import type { EnvelopeCache } from './envelope-cache.js'

/** The stores and trust a sealing use case reads, as the composition root holds them (src/wire). */
export interface SealingParts {
  readonly db: Db
  readonly outbox: OutboxStore
  readonly anchors: TrustAnchors
  readonly currentDirectory: () => Directory
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  readonly envelopes: EnvelopeCache
  /** The sender agency's latest log checkpoint, signed into every envelope it seals (PROTOCOL.md §20.5);
   *  absent (or undefined for an agency) while the node keeps no log. Built once in context.ts. */
  readonly checkpoint?: ((agency: string) => string | undefined) | undefined
}

/** The same parts as a use case receives them, with its clock, logger and delivery wake-up. */
export interface SealingDeps extends Omit<SealingParts, 'currentDirectory'> {
  readonly clock: Clock
  readonly log: Logger
  readonly directory: () => Directory
  /** New outbox work: wake the delivery worker. */
  readonly onQueued: () => void
}
