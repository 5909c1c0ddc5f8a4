// The transparency log in evidence bundles (PROTOCOL.md §20.7): the recipients' inclusion proofs sent
// with the receipts or fetched after delivery, and kept, and the source of a bundle's log proofs.
// Wired after the witness (its signer, proofs and peer client), before delivery (which queues the fetches).
import type { Db } from '../storage/db.js'
import { LogRows } from '../storage/log-rows.js'
import { ReceivedProofStore } from '../storage/received-proofs.js'
import { ReceivedProofFetcher, receivedProofOf } from '../services/evidence/received-proofs.js'
import { logEvidenceSource } from '../services/evidence/log-source.js'
import { receivedLogSource, type ReceivedLog } from '../services/evidence/received-log.js'
import type { MessageLog } from '../services/evidence/log-parts.js'
import type { OutboxMessage, OutboxStore } from '../storage/outbox.js'
import type { ReceivedProofRow } from '../storage/received-proofs.js'
import type { LogWitness } from './witness.js'
import type { Base } from './base.js'

export interface LogEvidence {
  readonly store: ReceivedProofStore
  readonly fetcher: ReceivedProofFetcher
  /** The recipient's proof of a delivered message: kept with its receipt, or queued (fetched or not). */
  readonly receivedProof: (messageId: string) => ReceivedProofRow | undefined
  readonly logFor: (m: OutboxMessage) => Promise<MessageLog>
  /** The recipient's proof of a notice's or a classified message's receipt (PROTOCOL.md §20.7). */
  readonly receivedLog: ReceivedLog
}

export function wireLogEvidence({ config, clock, log, closers }: Base, p: { db: Db; logWitness: LogWitness; outbox: OutboxStore }): LogEvidence {
  // Claims under the outbox's owner (storage/owner.ts), past the peer client's request timeout twice.
  const store = new ReceivedProofStore(p.db, p.outbox.owner)
  const fetcher = new ReceivedProofFetcher({
    db: p.db, store, peer: p.logWitness.audit.peer, clock, logger: log.child({ area: 'log' }), claimMs: 2 * config.delivery.requestTimeoutMs + 30_000,
  })
  fetcher.start()
  closers.push(() => fetcher.close())
  const w = p.logWitness
  const receivedProof = receivedProofOf(store, p.outbox)
  const received = { get: receivedProof }
  const logFor = logEvidenceSource({
    rows: new LogRows(p.db.sqlite), local: w.local, proofs: w.proofs, covering: (agency, index) => w.signer.covering(agency, index), received,
  })
  const receivedLog = receivedLogSource({ received, proofs: w.proofs, ownLog: (agency) => w.local.agencies().includes(agency) })
  return { store, fetcher, receivedProof, logFor, receivedLog }
}
