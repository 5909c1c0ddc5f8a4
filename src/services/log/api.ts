// The transparency log as the REST API offers it to an agency's saraban systems (PROTOCOL.md §20.5,
// §20.6): the same proofs as the federation listener, the peers' checkpoints this node holds, the
// misbehaviour proofs it keeps, and an audit on demand. Routes call this, never storage.
import { isoTime } from '../../clock.js'
import type { PeerCheckpointStore } from '../../storage/peer-checkpoints.js'
import { auditAll, type AuditDeps, type PeerAudit } from './audit.js'
import { answerLogRequest, type LogProofs } from './proofs.js'

export interface LogApi {
  answer(agency: string, what: string, query: Record<string, unknown>): unknown
  peers(): { peers: unknown[]; misbehaviour: unknown[] }
  audit(): Promise<{ audits: PeerAudit[] }>
}

export function logApi(d: { proofs: LogProofs; store: PeerCheckpointStore; audit: AuditDeps }): LogApi {
  return {
    answer: (agency, what, query) => answerLogRequest(d.proofs, agency, what, query),
    peers: () => ({
      peers: d.store.agencies().map((agency) => ({
        agency,
        checkpoints: d.store.held(agency).map((h) => ({ size: h.size, root: h.root, time: h.time, source: h.source, checkpoint: h.jws })),
      })),
      misbehaviour: d.store.misbehaviour().map((m) => ({ agency: m.agency, kind: m.kind, detail: m.detail, detectedAt: isoTime(m.detectedAt), first: m.firstJws, second: m.secondJws })),
    }),
    audit: async () => ({ audits: await auditAll(d.audit) }),
  }
}
