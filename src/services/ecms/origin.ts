// Where a sent letter came from, for GET /api/v1/letters/{id} (README "e-CMS gateway"): the gateway's
// record of a letter it took in (migration 020), or nothing for a letter of the REST API.
import type { EcmsOutboundStore, EcmsSignatureOutcome } from '../../storage/ecms-outbound.js'

export interface LetterOrigin {
  readonly via: 'e-cms'
  readonly ecmsLetterId: string
  readonly correspondenceDate: string
  readonly signature: EcmsSignatureOutcome
  readonly signatureReason?: string
}

export function letterOrigin(records: Pick<EcmsOutboundStore, 'get'>, letterId: string): LetterOrigin | undefined {
  const r = records.get(letterId)
  if (!r) return undefined
  return { via: 'e-cms', ecmsLetterId: r.ecmsLetterId, correspondenceDate: r.correspondenceDate, signature: r.signature, ...(r.signatureReason !== null ? { signatureReason: r.signatureReason } : {}) }
}
