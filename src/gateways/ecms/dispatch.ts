// THE dispatch table of the e-CMS gateway (issue 18 §1): which handler answers a request, chosen by
// the Body's root element and, where one root carries several operations, its first child element,
// in the order of e-cms.md §3. `response` is the root of the answer, also used for an ErrorDetail.
import type { XmlEl } from './xml.js'
import type { EcmsErrorCode } from './errors.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Directory } from '../../pki/directory.js'
import type { HostedAgencies } from '../../services/hosting/agencies.js'
import type { EcmsSendDeps } from '../../services/ecms/send.js'
import type { EcmsStatusDeps } from '../../services/ecms/status.js'
import { sendHandler } from './handlers/send.js'
import { statusHandler } from './handlers/status.js'
import { ministryListHandler, organizationListHandler } from './handlers/directory.js'
import { mimeCodesHandler, secretCodesHandler, speedCodesHandler } from './handlers/codes.js'
import { timeCheckHandler } from './handlers/time.js'
import type { EcmsQueueDeps } from '../../services/ecms/deps.js'
import { inboundHandler } from './handlers/inbound.js'
import { specialHandler } from './handlers/special.js'
import { deleteHandler } from './handlers/delete.js'
import { notifierHandler } from './handlers/notifiers.js'
import { withdrawHandler } from './handlers/withdraw.js'

/** One request, after the plugin decided who is calling. */
export interface EcmsCall {
  /** the hosted agency this client acts for, from configuration (plugin.ts), never from the XML */
  agency: string
  /** the element inside SOAP Body */
  body: XmlEl
  header: { messageId?: string; to?: string }
  receivedAt: Date
  /** the whole request as decoded text: XML-DSig is checked over the document as sent (signature.ts) */
  raw: string
  /** the whole request as a tree (the SOAP Envelope) */
  envelope: XmlEl
}

export type EcmsAnswer = { root: string; children: XmlEl[] } | { error: EcmsErrorCode; detail?: string }
export type EcmsHandler = (call: EcmsCall, deps: EcmsDeps) => Promise<EcmsAnswer>

/** What the handlers may use: services only (wired in src/wire/ecms.ts), never storage. */
export interface EcmsDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly directory: () => Directory
  readonly hosted: HostedAgencies
  /** The URL a client of `agency` posts to (GetOrganizationList's ECMS-URL). */
  readonly gatewayUrl: (agency: string) => string
  /** Sending (ecms-edge): a GovernmentDocument becomes a letter, sealed and queued like POST /api/v1/letters. */
  readonly send: EcmsSendDeps
  /** OutboundStatusRequest (ecms-edge). */
  readonly status: EcmsStatusDeps
  // ecms-queue: the queue's members go below this line.
  /** The receiving side: the pull queue, correlation, the notifier acts (services/ecms/, issue 18 §3, §4). */
  readonly queue: EcmsQueueDeps
}

export interface EcmsRoute {
  /** local name of the element in SOAP Body */
  readonly root: string
  /** local name of its first child element, when one root carries several operations */
  readonly child?: string
  readonly response: string
  readonly handler: EcmsHandler
  /** which helper of issue 18 owns the handler */
  readonly owner: 'edge' | 'queue'
}

/** Placeholder of a row whose handler is not written yet: an ErrorDetail, never a silent success. */
export const notImplemented: EcmsHandler = async () => ({ error: 'ECMS-E021' })

/** e-cms.md §3, in its order. */
export const ROUTES: readonly EcmsRoute[] = [
  // 3.2.1 a letter, and 3.2.2–3.2.6 the five notifiers, all in CorrespondenceLetterOutboundRequest
  { root: 'CorrespondenceLetterOutboundRequest', child: 'GovernmentDocument', response: 'CorrespondenceLetterOutboundResponse', handler: sendHandler, owner: 'edge' },
  { root: 'CorrespondenceLetterOutboundRequest', child: 'ReceiveLetterNotifier', response: 'CorrespondenceLetterOutboundResponse', handler: notifierHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterOutboundRequest', child: 'AcceptLetterNotifier', response: 'CorrespondenceLetterOutboundResponse', handler: notifierHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterOutboundRequest', child: 'RejectLetterNotifier', response: 'CorrespondenceLetterOutboundResponse', handler: notifierHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterOutboundRequest', child: 'InvalidLetterNotifier', response: 'CorrespondenceLetterOutboundResponse', handler: notifierHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterOutboundRequest', child: 'InvalidAcceptIDNotifier', response: 'CorrespondenceLetterOutboundResponse', handler: notifierHandler, owner: 'queue' },
  // 3.2.7–3.2.12 pull; re-request; 3.2.13 withdraw to resend; 3.2.14 delete from the own queue
  { root: 'CorrespondenceLetterInboundRequest', response: 'CorrespondenceLetterInboundResponse', handler: inboundHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterInboundSpecialRequest', response: 'CorrespondenceLetterInboundSpecialResponse', handler: specialHandler, owner: 'queue' },
  { root: 'CorrespondenceDeleteGovernmentDocumentRequest', response: 'CorrespondenceDeleteGovernmentDocumentResponse', handler: withdrawHandler, owner: 'queue' },
  { root: 'CorrespondenceLetterDeleteRequest', response: 'CorrespondenceLetterDeleteResponse', handler: deleteHandler, owner: 'queue' },
  // 5.25 / 3.3.6 status of own sends
  { root: 'OutboundStatusRequest', response: 'OutboundStatusResponse', handler: statusHandler, owner: 'edge' },
  // 3.3.1, 6.1 directory; 6.2–6.4 codes; clock
  { root: 'GetMinistryOrganizationList', response: 'MinistryOrganizationList', handler: ministryListHandler, owner: 'edge' },
  { root: 'GetOrganizationList', response: 'OrganizationList', handler: organizationListHandler, owner: 'edge' },
  { root: 'GetSecretCodes', response: 'SecretCodes', handler: secretCodesHandler, owner: 'edge' },
  { root: 'GetSpeedCodes', response: 'SpeedCodes', handler: speedCodesHandler, owner: 'edge' },
  { root: 'GetMimeCodes', response: 'MimeCodes', handler: mimeCodesHandler, owner: 'edge' },
  { root: 'TimeCheckRequest', response: 'TimeCheckResponse', handler: timeCheckHandler, owner: 'edge' },
]

/** The row for a Body element: root and first child match, or root matches a row without a child. */
export function route(body: XmlEl): EcmsRoute | undefined {
  const first = body.children[0]?.name
  return ROUTES.find((r) => r.root === body.name && (r.child === undefined || r.child === first))
}

/** The response root for a request root that has no row (an error answer still has a root). */
export function responseRootFor(root: string): string {
  return ROUTES.find((r) => r.root === root)?.response ?? (root.endsWith('Request') ? `${root.slice(0, -'Request'.length)}Response` : 'ErrorResponse')
}
