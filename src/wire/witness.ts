// The transparency log's signing and witnessing (PROTOCOL.md §20.4–§20.6): the checkpoint signer
// (coalesced with receipts, periodic while logs grow), the proofs this node serves, the witness of
// peers' checkpoints and the background audit. Wired after the peers' client, before delivery.
import type { Db } from '../storage/db.js'
import { PeerCheckpointStore } from '../storage/peer-checkpoints.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import type { PeerClient } from '../federation/peer-client.js'
import type { Events } from '../services/events/index.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { LocalLog } from '../services/log/local-log.js'
import { StoredLog } from '../services/log/stored-log.js'
import { CheckpointSigner } from '../services/log/checkpoint-signer.js'
import { logProofs, type LogProofs } from '../services/log/proofs.js'
import { Witness } from '../services/log/witness.js'
import { startAudits, type AuditDeps } from '../services/log/audit.js'
import { peerLog } from '../services/log/peer-log-client.js'
import { receivedEntry } from '../services/log/received-entry.js'
import type { ReceiveLog } from '../services/receive/receipt.js'
import type { Leadership } from '../services/leadership/index.js'
import type { Base } from './base.js'

export interface WitnessParts {
  readonly db: Db
  readonly hosted: HostedAgencies
  readonly anchors: TrustAnchors
  readonly currentDirectory: () => Directory
  readonly events: Events
  readonly peers: PeerClient
  /** Issue 17 item 4: an agency whose signing certificate in use is revoked signs no checkpoint. */
  readonly signerRevoked?: (agency: string) => boolean
  /** Issue 19 item 2: the periodic signer and the background audit run in the process that leads them. */
  readonly leadership: Leadership
}

export interface LogWitness {
  readonly local: LocalLog
  readonly signer: CheckpointSigner
  readonly proofs: LogProofs
  readonly witness: Witness
  readonly peerCheckpoints: PeerCheckpointStore
  readonly receiveLog: ReceiveLog
  readonly audit: AuditDeps
  /** Starts the periodic signer and the background audit (from listen()). */
  start(): void
}

export function wireWitness({ config, clock, log, closers }: Base, p: WitnessParts): LogWitness {
  const logger = log.child({ area: 'log' })
  const local: LocalLog = new StoredLog(p.db)
  const signer = new CheckpointSigner({ log: local, signer: (agency) => p.hosted.get(agency)?.signer, clock, logger, ...(p.signerRevoked ? { revoked: p.signerRevoked } : {}) })
  const peerCheckpoints = new PeerCheckpointStore(p.db)
  const witness = new Witness({
    db: p.db, store: peerCheckpoints, anchors: p.anchors, directory: p.currentDirectory, clock, logger, agencies: () => p.hosted.ids(), events: p.events.sink,
  })
  const audit: AuditDeps = { db: p.db, store: peerCheckpoints, witness, peer: peerLog(p.peers, p.currentDirectory), logger }
  const proofs = logProofs({ log: local, signer })
  const receiveLog: ReceiveLog = {
    indexOf: (claims) => local.indexOf(claims.to, receivedEntry(claims)),
    covering: (agency, index) => signer.covering(agency, index),
    inCommit: {
      signUncommitted: (agency) => signer.signUncommitted(agency),
      adopt: (agency, c) => signer.adopt(agency, c),
      // Inside the storing transaction: the head read is the one it is about to commit (§20.5).
      prove: (agency, index, size) => proofs.inclusion(agency, index, size),
    },
  }
  let stopAudits = (): void => {}
  closers.push(() => { signer.close(); stopAudits() })
  return {
    local, signer, proofs, witness, peerCheckpoints, receiveLog, audit,
    start() {
      const { checkpointSeconds, auditSeconds } = config.transparencyLog
      // A job that is off asks for no lease.
      if (checkpointSeconds > 0) signer.start(checkpointSeconds, p.leadership.job('checkpoint-signer'))
      if (auditSeconds > 0) stopAudits = startAudits(audit, auditSeconds, p.leadership.job('peer-audit'))
    },
  }
}
