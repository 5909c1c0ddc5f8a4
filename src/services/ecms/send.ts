// Sending through the e-CMS gateway (issue 18 §2): the letter the gateway mapped from a
// GovernmentDocument goes through sendLetter, the service POST /api/v1/letters calls, so it is
// validated, sealed, registered and queued exactly like any other; the gateway's record of it
// (migration 020: came in through e-CMS, the client's identity of the letter, the XML-DSig outcome)
// is stored in the letter's own transaction.
import { sendLetter, type SendDeps, type SendRequest, type SendResult } from '../send.js'
import type { EcmsOutboundRow, EcmsOutboundStore } from '../../storage/ecms-outbound.js'
import { checkJsonAttachments, type UploadLimits } from '../upload-limits.js'

export interface EcmsSendDeps {
  readonly send: SendDeps
  readonly records: EcmsOutboundStore
  /** The attachment limits POST /api/v1/letters applies (config limits.*): the gateway is no way around them. */
  readonly uploadLimits: UploadLimits
}

export interface EcmsSendRequest {
  /** The hosted agency the e-CMS client acts for (from configuration). */
  readonly agency: string
  readonly letter: SendRequest['body']
  readonly decoded: NonNullable<SendRequest['decoded']>
  /** A retried send of the same GovernmentDocument is answered with the first letter (sendLetter's replay). */
  readonly idempotencyKey: string
  readonly requestSha256: string
  readonly record: Omit<EcmsOutboundRow, 'letterId' | 'agency' | 'createdAt'>
}

export async function sendFromEcms(deps: EcmsSendDeps, req: EcmsSendRequest): Promise<SendResult> {
  checkJsonAttachments(deps.uploadLimits, req.letter.attachments, req.decoded.bytes)
  return sendLetter(deps.send, {
    body: req.letter,
    decoded: req.decoded,
    requestSha256: req.requestSha256,
    idempotencyKey: req.idempotencyKey,
    allowedAgencies: [req.agency],
    apiKey: 'e-CMS gateway',
    alsoStore: (letterId, at) => deps.records.record({ ...req.record, letterId, agency: req.agency, createdAt: at }),
  })
}
