// The e-CMS ErrorCode table (issue 18 §1): the codes the gateway answers in
// ErrorDetail{ErrorCode, ErrorDescription}. They are the e-CMS surface's own codes, not our ERR_…
// problem codes; each is stable (README "e-CMS gateway" lists them) and each description says what
// the client's operator should do. `http` is the status of the answer: 200 for refusals of a
// well-formed request (e-CMS clients read ErrorDetail from the body), 4xx/5xx when the request itself
// could not be read or must not be acted on.

export interface EcmsErrorRow {
  readonly http: number
  /** What it means and what to do; a detail may be appended after ": ". */
  readonly description: string
}

export const ECMS_ERRORS = {
  // --- the request as bytes and XML (plugin.ts, soap.ts) ---
  'ECMS-E001': { http: 415, description: 'The body must be a SOAP 1.1 envelope sent as text/xml (or application/soap+xml) in UTF-8 or TIS-620' },
  'ECMS-E002': { http: 413, description: 'The request or its attachments are larger than this node accepts (config ecms.maxBodyBytes, limits.maxAttachmentBytes, limits.maxAttachmentsTotalBytes, limits.maxAttachments): send fewer or smaller attachments' },
  'ECMS-E003': { http: 400, description: 'The body is not well-formed XML: check the client\'s XML writer' },
  'ECMS-E004': { http: 400, description: 'A DOCTYPE or entity declaration is not accepted (SOAP 1.1 forbids DTDs in messages): remove it' },
  'ECMS-E005': { http: 400, description: 'The body is not a SOAP 1.1 Envelope with one element in its Body' },
  // --- who is calling (plugin.ts) ---
  'ECMS-E010': { http: 403, description: 'This e-CMS URL is not configured for a hosted agency, or this client\'s address may not use it: the operator adds the agency to ecms.clients (with allowFrom) in node.json' },
  // --- the operation (dispatch.ts) ---
  'ECMS-E020': { http: 200, description: 'Unknown operation: the Body\'s element names no e-CMS request this gateway serves' },
  'ECMS-E021': { http: 200, description: 'This e-CMS operation is not implemented by this gateway yet' },
  // --- the letter (handlers/send.ts, mapping/outbound.ts) ---
  'ECMS-E030': { http: 200, description: 'A required element is missing or malformed' },
  'ECMS-E031': { http: 200, description: 'Classified letters (SecretCode 002 and above) are not carried through e-CMS, which sends subject and class in the clear: send it as a classified letter through the node\'s officers (REST API /api/v1/classified)' },
  'ECMS-E032': { http: 200, description: 'The receiver is not in the federation directory under this e-CMS organisation id: check ReceiverParty (GetOrganizationList lists the ids)' },
  'ECMS-E033': { http: 200, description: 'An attachment\'s mimeCode is not in GetMimeCodes, or its content is not base64: convert the file or fix the mimeCode' },
  'ECMS-E034': { http: 200, description: 'The node refused the letter' },
  'ECMS-E035': { http: 200, description: 'SpeedCode or SecretCode is not a code of GetSpeedCodes / GetSecretCodes' },
  'ECMS-E036': { http: 200, description: 'The sending agency cannot send now (not active in the directory, directory stale, or its certificate invalid): ask the node\'s operator' },
  // --- queue and status (handlers/*) ---
  'ECMS-E040': { http: 200, description: 'No item with this ProcessID for this agency' },
  'ECMS-E041': { http: 200, description: 'No letter with this LetterID and CorrespondenceDate (and departments) is known to this client: check them against the GovernmentDocument or notifier it pulled, or the letter it sent' },
  'ECMS-E042': { http: 200, description: 'AcceptID is not a receive number, or (InvalidAcceptIDNotifier) not the number a recipient of the letter accepted it under: send the number your register gave the letter, or the AcceptID the AcceptLetterNotifier carried (digits, optionally /year, e.g. "123" or "123/2569")' },
  'ECMS-E043': { http: 200, description: 'This receive number (AcceptID) is already used in this agency\'s receive register: send the number your register gave this letter' },
  'ECMS-E044': { http: 200, description: 'The letter\'s state does not allow this (already accepted or rejected, withdrawn by its sender, not delivered yet, or not accepted so there is no receive number to dispute): pull the queue for its latest notifier' },
  // --- the node ---
  'ECMS-E099': { http: 500, description: 'The gateway failed to process the request; the node\'s log has the details: retry later, and tell the operator if it persists' },
} as const satisfies Record<string, EcmsErrorRow>

export type EcmsErrorCode = keyof typeof ECMS_ERRORS

/** A refusal raised in a handler or mapping; answered as ErrorDetail by soap.ts. */
export class EcmsError extends Error {
  constructor(readonly code: EcmsErrorCode, readonly detail?: string) {
    super(detail ? `${ECMS_ERRORS[code].description}: ${detail}` : ECMS_ERRORS[code].description)
  }
}

/** The ErrorDescription text: the table's sentence, then the detail. */
export function errorDescription(code: EcmsErrorCode, detail?: string): string {
  return detail ? `${ECMS_ERRORS[code].description}: ${detail}` : ECMS_ERRORS[code].description
}
