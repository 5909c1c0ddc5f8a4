// Evidence bundles (PROTOCOL.md §8): everything needed to prove, offline and years later, what was
// sent to whom and that the recipient received exactly those bytes, and when. Nodes export v2 (a
// ustar archive, build.ts); the verifier also reads the v1 JSON bundles of earlier nodes.
import type { TrustAnchors } from '../../pki/validate.js'
import type { ProfileTable } from '../../crypto/profiles.js'
import type { TimeStampVerifier } from '../../evidence/tst.js'
import { verifyEvidenceArchive, type EvidenceReport } from './verify.js'
import { verifyEvidenceV1 } from './v1.js'
import { CLASSIFIED_EVIDENCE_FORMAT, verifyClassifiedEvidence, type ClassifiedEvidence } from '../classified/evidence.js'

export { buildEvidenceArchive, type EvidenceDeps, type StoredToken } from './build.js'
export type { EvidenceReport, EvidenceVerifyDeps, Finding } from './verify.js'

export const EVIDENCE_MEDIA_TYPE = 'application/x-tar'

/** A v2 archive (bytes) or a v1 bundle (bytes of JSON, or the parsed object). Never throws for a bad bundle. */
export async function verifyEvidence(
  bundle: Buffer | unknown,
  deps: { anchors: TrustAnchors; profiles: ProfileTable; verifyTimeStampToken?: TimeStampVerifier; strict?: boolean },
): Promise<EvidenceReport> {
  if (Buffer.isBuffer(bundle)) {
    const first = bundle.subarray(0, 64).toString('latin1').trimStart()
    if (!first.startsWith('{')) return verifyEvidenceArchive(bundle, deps)
    try {
      bundle = JSON.parse(bundle.toString('utf8'))
    } catch (e) {
      return { ok: false, findings: [{ part: 'bundle', ok: false, detail: `neither a v2 archive nor v1 JSON: ${(e as Error).message}` }], weak: [] }
    }
  }
  // PROTOCOL.md §19.10: the evidence of a classified item.
  if ((bundle as { format?: unknown } | null)?.format === CLASSIFIED_EVIDENCE_FORMAT) return verifyClassifiedEvidence(bundle as ClassifiedEvidence, deps)
  return verifyEvidenceV1(bundle, deps)
}
