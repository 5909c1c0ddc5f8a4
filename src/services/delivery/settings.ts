// What the delivery worker (services/delivery/worker.ts, PROTOCOL.md §7) is given: its settings and its parts.
import type { SentProof } from '../evidence/received-proofs.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { OutboxStore } from '../../storage/outbox.js'
import type { EnvelopeCache } from '../envelope-cache.js'
import type { EventSink } from '../../domain/events.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Directory } from '../../pki/directory.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import type { Witness } from '../log/witness.js'
import type { ReceiptClaims } from '../../crypto/types.js'
import type { PeerClient } from '../../federation/peer-client.js'
import type { Timestamping } from '../timestamping.js'
import type { SharedRefs } from '../shared-refs.js'

export interface DeliverySettings {
  /** PROTOCOL.md §7.2: give up on a recipient this long after it was queued (or requeued). Default 3 days. */
  readonly giveUpAfterMs?: number
  /** Optional cap on attempts per queueing (none by default). */
  readonly maxAttempts?: number | undefined
  /** The circuit's probe backoff (PROTOCOL.md §7.2); defaults 1 s and 5 min. */
  readonly probeInitialBackoffMs?: number
  readonly probeMaxBackoffMs?: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  readonly jitter?: 'full' | 'decorrelated'
  readonly maxInFlight: number
  /** Parallel deliveries to one peer origin (config delivery.concurrencyPerPeer); default: no limit but maxInFlight. */
  readonly maxPerPeer?: number
  /** How long before deliverBy an undelivered recipient is at risk (PROTOCOL.md §7.3); default 1 h. */
  readonly deadlineAtRiskMs?: number
}

export interface DeliveryDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly peers: PeerClient
  readonly profiles: ProfileTable
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  /** True while deliveries must wait (a stale directory, PROTOCOL.md §14.4): nothing is claimed, so
   *  queued letters keep their attempts; call notify() when it clears. */
  readonly paused?: () => boolean
  readonly settings: DeliverySettings
  readonly envelopes: EnvelopeCache
  readonly random?: () => number
  /** RFC 3161 stamps of each verified receipt's signature (PROTOCOL.md §13.4). */
  readonly timestamps?: Timestamping
  /** letter.delivered, letter.failed and the deadline events (issue 5 §5, §6), in the outcome's transaction. */
  readonly events?: EventSink
  /** PROTOCOL.md §19.7: a message of the classified path was delivered (inside the recording transaction):
   *  the access record gets its delivery entry. */
  readonly onClassifiedDelivered?: (messageId: string, at: number) => void
  /** Which peers hold which shared content (PROTOCOL.md §17.8); default: a fresh one per worker. */
  readonly sharedRefs?: SharedRefs
  /** Keeps the recipient's log checkpoint from each verified receipt (PROTOCOL.md §20.6). */
  readonly witness?: Witness
  /** The recipient's inclusion proof (PROTOCOL.md §20.5, §20.7): `check` the one sent with the receipt
   *  (before the delivery's write; a checked one is kept in the outbox row), else `queue` its fetch in
   *  the write (true when queued) and `kick` the fetcher after the commit. */
  readonly receivedProofs?: {
    check(claims: ReceiptClaims, logProof: string | undefined): SentProof
    queue(messageId: string, claims: ReceiptClaims, now: number): boolean
    kick(): Promise<void>
  }
}
