// Delivery of sealed envelopes to peers (PROTOCOL.md §7): the worker and the envelope cache that
// sending and notices fill for it.
import type { ProfileTable } from '../crypto/profiles.js'
import type { PeerClient } from '../federation/peer-client.js'
import type { Directory } from '../pki/directory.js'
import type { TrustAnchors } from '../pki/validate.js'
import { DeliveryWorker, type DeliveryDeps } from '../services/delivery/worker.js'
import type { DirectorySource } from '../services/sources/directory-source.js'
import { EnvelopeCache } from '../services/envelope-cache.js'
import type { Events } from '../services/events/index.js'
import type { Timestamping } from '../services/timestamping.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Base } from './base.js'
import type { Witness } from '../services/log/witness.js'

export interface Delivery {
  readonly envelopes: EnvelopeCache
  readonly delivery: DeliveryWorker
}

export interface DeliveryParts {
  readonly db: Db
  readonly outbox: OutboxStore
  readonly peers: PeerClient
  readonly profiles: ProfileTable
  readonly anchors: TrustAnchors
  readonly currentDirectory: () => Directory
  readonly directorySource: DirectorySource
  readonly timestamps: Timestamping
  readonly events: Events
  /** PROTOCOL.md §19.7: each delivery of a classified outer envelope goes in the access record. */
  readonly onClassifiedDelivered?: (messageId: string, at: number) => void
  /** PROTOCOL.md §20.6: keeps the recipients' checkpoints from their receipts. */
  readonly witness?: Witness
  readonly receivedProofs?: DeliveryDeps['receivedProofs']
}

export function wireDelivery({ config, clock, log, random }: Base, p: DeliveryParts): Delivery {
  const envelopes = new EnvelopeCache(64 * 1024 * 1024)
  const delivery = new DeliveryWorker({
    envelopes,
    clock, log: log.child({ area: 'delivery' }), db: p.db, outbox: p.outbox, peers: p.peers, profiles: p.profiles, anchors: p.anchors,
    directory: p.currentDirectory,
    // PROTOCOL.md §14.4: past nextUpdate + grace, queued letters wait (unclaimed) for a fresh directory.
    paused: () => !p.directorySource.usable(),
    timestamps: p.timestamps,
    ...(p.onClassifiedDelivered ? { onClassifiedDelivered: p.onClassifiedDelivered } : {}),
    ...(p.witness ? { witness: p.witness } : {}),
    ...(p.receivedProofs ? { receivedProofs: p.receivedProofs } : {}),
    events: p.events.sink, // letter.delivered, letter.failed and the deadline events (issue 5 §5, §6)
    settings: {
      giveUpAfterMs: config.delivery.giveUpAfterMs,
      maxAttempts: config.delivery.maxAttempts,
      probeInitialBackoffMs: config.delivery.probeInitialBackoffMs,
      probeMaxBackoffMs: config.delivery.probeMaxBackoffMs,
      initialBackoffMs: config.delivery.initialBackoffMs,
      maxBackoffMs: config.delivery.maxBackoffMs,
      jitter: config.delivery.jitter,
      maxInFlight: config.delivery.maxInFlight,
      maxPerPeer: config.delivery.concurrencyPerPeer,
      deadlineAtRiskMs: config.delivery.deadlineAtRiskMs,
    },
    ...(random ? { random } : {}),
  })
  return { envelopes, delivery }
}
