// CorrespondenceLetterOutboundRequest with a GovernmentDocument (e-cms.md §3 3.2.1; issue 18 §2): the
// document is read (model.ts), its signature checked when present (signature.ts), mapped to our
// letter (mapping/outbound.ts) and sent through the service POST /api/v1/letters uses. The answer
// carries ProcessID (our letter id) and ProcessTime as e-CMS does.
import { el, toXml } from '../xml.js'
import { SarabanError } from '../../../errors.js'
import { documentFromXml, findSignature } from '../model.js'
import { checkDocumentSignature } from '../signature.js'
import { letterFromDocument } from '../mapping/outbound.js'
import { EcmsError } from '../errors.js'
import { sendFromEcms } from '../../../services/ecms/send.js'
import { thaiTime } from './time.js'
import type { EcmsHandler } from '../dispatch.js'
import { resendGeneration } from '../../../services/ecms/acks.js'

/** The first send keeps the mapping's key; each resend after a withdrawal gets its own. */
const withGeneration = (key: string, generation: number) => (generation === 0 ? key : `${key}-${generation}`)

/** Our refusals that are the sending agency's standing, not the letter's content (ECMS-E036). */
const STANDING = new Set(['ERR_UNKNOWN_AGENCY', 'ERR_AGENCY_SUSPENDED', 'ERR_DIRECTORY_STALE', 'ERR_SENDER_NOT_HOSTED', 'ERR_RECIPIENT_CERT_INVALID', 'ERR_NO_COMMON_PROFILE', 'ERR_SIGNER_UNTRUSTED', 'ERR_CERT_REVOKED', 'ERR_CERT_EXPIRED', 'ERR_SIGNING_CERT_REVOKED'])

export const sendHandler: EcmsHandler = async (call, deps) => {
  const docEl = call.body.children[0]!
  const doc = documentFromXml(docEl)
  const sig = checkDocumentSignature(call.raw, call.envelope, docEl)
  doc.signature = sig
  const mapped = letterFromDocument(doc, call.agency, deps.directory())
  const sigEl = findSignature(docEl)
  let result
  try {
    result = await sendFromEcms(deps.send, {
      agency: call.agency,
      letter: mapped.letter,
      decoded: mapped.decoded,
      // A letter withdrawn to be sent again (CorrespondenceDeleteGovernmentDocumentRequest) is a new letter.
      idempotencyKey: withGeneration(mapped.idempotencyKey, resendGeneration(deps.queue, call.agency, { letterId: doc.letterId, correspondenceDate: doc.correspondenceDate, recipientAgency: mapped.receiver.id })),
      requestSha256: mapped.requestSha256,
      record: {
        ecmsLetterId: doc.letterId,
        correspondenceDate: doc.correspondenceDate,
        senderDepartment: doc.sender.department ?? null,
        receiverDepartment: doc.receiver.department ?? null,
        signature: !sig.present ? 'absent' : sig.verified ? 'valid' : 'invalid',
        signatureReason: sig.reason ?? null,
        signatureXml: sigEl ? toXml(sigEl) : null,
      },
    })
  } catch (err) {
    if (!(err instanceof SarabanError)) throw err
    if (err.code === 'ERR_IDEMPOTENCY_KEY_REUSED') throw new EcmsError('ECMS-E034', `a different letter with LetterID ${doc.letterId} of ${doc.correspondenceDate} was already sent to this receiver; give the new letter its own number`)
    if (err.code === 'ERR_PAYLOAD_TOO_LARGE') throw new EcmsError('ECMS-E002', err.message)
    if (err.code === 'ERR_LETTER_INVALID' || err.code === 'ERR_REQUEST_INVALID') throw new EcmsError('ECMS-E030', `${err.code}: ${err.message}`)
    if (STANDING.has(err.code)) throw new EcmsError('ECMS-E036', `${err.code}: ${err.message}`)
    throw new EcmsError('ECMS-E034', `${err.code}: ${err.message}`)
  }
  deps.log.info({ event: 'ecms.letter.sent', letterId: result.letterId, agency: call.agency, to: mapped.receiver.id, signature: sig.present ? (sig.verified ? 'valid' : 'invalid') : 'absent', replayed: result.replayed }, 'e-CMS letter taken in')
  return {
    root: 'CorrespondenceLetterOutboundResponse',
    children: [el('ProcessID', undefined, result.letterId), el('ProcessTime', undefined, thaiTime(deps.clock.now()))],
  }
}
