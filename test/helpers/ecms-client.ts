// An e-CMS client of one hosted agency for tests: the queue's requests (inbound, delete, special,
// notifiers, delete-government-document) written as the real clients write them (e-cms.md §3), in the
// envelopes of test/helpers/ecms.ts (BOI's or mil-doc's spelling), and answers read the way the clients
// read them: by element name (GetElementsByTagName), through a DOM parser, not the gateway's own code.
import { DOMParser } from '@xmldom/xmldom'
import { governmentDocument, outboundRequest, soapEnvelope, tis620, type Spelling } from './ecms.js'

export type ClientStyle = Spelling

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export { tis620 }

export interface Party { readonly ministry: string; readonly department: string }

export interface OutboundLetter {
  readonly letterId: string
  readonly date: string
  readonly subject: string
  readonly sender: Party
  readonly receiver: Party
  /** TIS-620 text/plain, as BOI's sample */
  readonly mainText: string
  readonly attachments?: ReadonlyArray<{ mimeCode: string; bytes: Buffer }>
}

/** §3.2.1 as the BOI template that "passed testing" (e-cms.md §4), through the gateway tests' builder. */
export function outboundLetter(l: OutboundLetter): string {
  return outboundRequest(governmentDocument({
    id: esc(l.letterId), date: l.date, subject: esc(l.subject), sender: l.sender, receiver: l.receiver, sendDate: l.date,
    main: { mimeCode: 'text/plain', bytes: tis620(l.mainText) }, attachments: [...(l.attachments ?? [])],
  }))
}

export type NotifierKind = 'ReceiveLetterNotifier' | 'AcceptLetterNotifier' | 'RejectLetterNotifier' | 'InvalidLetterNotifier' | 'InvalidAcceptIDNotifier'

/** §3.2.2–3.2.6: un-namespaced notifier children, as mil-doc's builders write them. */
export function notifier(kind: NotifierKind, k: { letterId: string; date: string; subject: string; acceptId?: string }): string {
  return `<CorrespondenceLetterOutboundRequest><${kind}><LetterID>${esc(k.letterId)}</LetterID>`
    + (k.acceptId !== undefined ? `<AcceptID>${esc(k.acceptId)}</AcceptID>` : '')
    + `<CorrespondenceDate>${k.date}</CorrespondenceDate><Subject>${esc(k.subject)}</Subject></${kind}></CorrespondenceLetterOutboundRequest>`
}

export const inbound = () => '<CorrespondenceLetterInboundRequest/>'
export const deleteItem = (processId: string) => `<CorrespondenceLetterDeleteRequest><ProcessID>${esc(processId)}</ProcessID></CorrespondenceLetterDeleteRequest>`

export interface LetterKey { letterId: string; date: string; senderDepartment: string; acceptDepartment: string }
const keyXml = (k: LetterKey) => `<LetterID>${esc(k.letterId)}</LetterID><CorrespondenceDate>${k.date}</CorrespondenceDate>`
  + `<SenderDepartment><Code>${k.senderDepartment}</Code></SenderDepartment><AcceptDepartment><Code>${k.acceptDepartment}</Code></AcceptDepartment>`

/** "ขอ…ใหม่": one item again (e-cms.md §3). */
export const special = (kind: 'GovernmentDocument' | NotifierKind, k: LetterKey) =>
  `<CorrespondenceLetterInboundSpecialRequest><${kind}>${keyXml(k)}</${kind}></CorrespondenceLetterInboundSpecialRequest>`

/** §3.2.13: withdraw in order to resend. */
export const deleteGovernmentDocument = (k: LetterKey) => `<CorrespondenceDeleteGovernmentDocumentRequest>${keyXml(k)}</CorrespondenceDeleteGovernmentDocumentRequest>`

/** An answer read by element name, as the clients do. */
export interface Answer {
  readonly status: number
  readonly xml: string
  /** text of the first element with this local name ('' when absent, like BOI's Para objects) */
  text(local: string): string
  has(local: string): boolean
  /** the error code, when the answer is an ErrorDetail */
  readonly error: string | undefined
}

export function readAnswer(status: number, xml: string): Answer {
  if (!xml.trimStart().startsWith('<')) throw new Error(`not an XML answer (HTTP ${status}): ${xml.slice(0, 300)}`)
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  const first = (local: string) => doc.getElementsByTagNameNS('*', local)[0]
  const text = (local: string) => first(local)?.textContent?.trim() ?? ''
  return { status, xml, text, has: (local) => first(local) !== undefined, error: first('ErrorDetail') ? text('ErrorCode') : undefined }
}

/** One e-CMS client of one hosted agency: the URL its configuration gives it. */
export function ecmsClient(url: string, style: ClientStyle = 'boi') {
  return async (body: string): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: soapEnvelope(body, style, url) })
    return readAnswer(res.status, await res.text())
  }
}
