// Classified letters (PROTOCOL.md §19): the store and the access record first (delivery records each
// delivery in it), then what the API and the receive steps need.
import { readFileSync } from 'node:fs'
import { ClassifiedStore } from '../storage/classified.js'
import { AccessRecord } from '../services/classified/access-record.js'
import { fingerprint, parsePemChain } from '../pki/cert.js'
import type { ClassifiedDeps } from '../services/classified/deps.js'
import type { ClassifiedReceiveDeps } from '../services/classified/receive.js'
import { recordDelivery } from '../services/classified/views.js'
import type { Db } from '../storage/db.js'
import type { Base } from './base.js'
import type { SealingParts } from '../services/sealing-deps.js'
import type { ReceivedLog } from '../services/evidence/received-log.js'

export interface ClassifiedRecord {
  readonly store: ClassifiedStore
  readonly access: AccessRecord
  /** For the delivery worker: a classified message was delivered (inside its transaction). */
  readonly onDelivered: (messageId: string, at: number) => void
}

export function wireClassifiedRecord({ config, clock }: Base, { db }: { db: Db }): ClassifiedRecord {
  const store = new ClassifiedStore(db)
  // The node in each access-record entry: its TLS certificate, by SHA-256 (PROTOCOL.md §19.7).
  const node = fingerprint(parsePemChain(readFileSync(config.tls.cert, 'utf8'))[0]!)
  const access = new AccessRecord({ db, store, clock, node })
  return { store, access, onDelivered: (messageId, at) => recordDelivery({ store, access }, messageId, at) }
}

export interface ClassifiedParts extends SealingParts {
  readonly onQueued: () => void
  readonly requireFreshDirectory: () => void
  readonly directoryJws: () => string
  readonly receivedLog?: ReceivedLog | undefined
}

export function wireClassified({ config, clock, log }: Base, r: ClassifiedRecord, p: ClassifiedParts): { deps: ClassifiedDeps; receive: ClassifiedReceiveDeps } {
  const deps: ClassifiedDeps = {
    clock, log: log.child({ area: 'classified' }), db: p.db, store: r.store, access: r.access, outbox: p.outbox, anchors: p.anchors, directory: p.currentDirectory,
    profiles: p.profiles, hosted: p.hosted, envelopes: p.envelopes, onQueued: p.onQueued, requireFreshDirectory: p.requireFreshDirectory,
    // A cover is read whole by its receiver (§19.3, limits.maxWholeEnvelopeBytes): base64 adds a third.
    maxInnerBytes: Math.min(config.limits.maxAttachmentBytes, Math.floor((config.limits.maxWholeEnvelopeBytes * 3) / 4)), directoryJws: p.directoryJws, checkpoint: p.checkpoint, receivedLog: p.receivedLog,
  }
  return { deps, receive: { db: p.db, store: r.store, access: r.access, directory: p.currentDirectory, anchors: p.anchors, clock } }
}
