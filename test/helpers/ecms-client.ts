// An e-CMS client for tests, writing SOAP the way the real clients do (e-cms.md §2–§4): string
// templates, BOI's style (SOAP-ENV prefix, http://w3.org/2005/08/addressing, lower-case wsa:to, ram:
// letter elements, TIS-620 text) or mil-doc's (soap prefix, www.w3.org addressing, wsa:To, Body
// ID="Body"), and reading answers the way they do: by element name (GetElementsByTagName), through a
// DOM parser of its own, not the gateway's.
import { DOMParser } from '@xmldom/xmldom'

export type ClientStyle = 'boi' | 'mil-doc'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** TIS-620: Thai U+0E01–U+0E5B are bytes 0xA1–0xFB, ASCII as is (what BOI's sample main letter is in). */
export function tis620(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.codePointAt(0)!
    if (c < 0x80) return c
    if (c >= 0x0e01 && c <= 0x0e5b) return c - 0x0e00 + 0xa0
    throw new Error(`not in TIS-620: ${ch}`)
  }))
}

export function envelope(body: string, style: ClientStyle, to: string): string {
  const now = new Date()
  const mid = `mid://${now.toISOString().slice(0, 10).replace(/-/g, '')}.${now.toISOString().slice(11, 23).replace(/[:.]/g, '')}@noname`
  if (style === 'boi') {
    return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
      + '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header>'
      + `<wsa:MessageID xmlns:wsa="http://w3.org/2005/08/addressing">${mid}</wsa:MessageID>`
      + `<wsa:to xmlns:wsa="http://w3.org/2005/08/addressing">${esc(to)}</wsa:to>`
      + `</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  }
  return '<?xml version="1.0" encoding="utf-8"?>\r\n'
    + '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="http://www.w3.org/2005/08/addressing">\r\n'
    + `  <soap:Header>\r\n    <wsa:MessageID>${mid}</wsa:MessageID>\r\n    <wsa:To>${esc(to)}</wsa:To>\r\n  </soap:Header>\r\n`
    + `  <soap:Body ID="Body">\r\n${body}\r\n  </soap:Body>\r\n</soap:Envelope>`
}

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
  readonly speedCode?: string
  readonly secretCode?: string
}

const party = (name: string, p: Party) => `<ram:${name}><ram:GivenName/><ram:FamilyName/><ram:JobTitle/>`
  + `<ram:MinistryOrganization><ram:ID>${p.ministry}</ram:ID></ram:MinistryOrganization>`
  + `<ram:DepartmentOrganization><ram:ID>${p.department}</ram:ID></ram:DepartmentOrganization></ram:${name}>`

/** §3.2.1 as the BOI template that "passed testing" (e-cms.md §4). */
export function outboundLetter(l: OutboundLetter): string {
  return '<CorrespondenceLetterOutboundRequest>'
    + '<rsm:GovernmentDocument xmlns:ram="urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1" xmlns:rsm="urn:th:gov:egif:data:standard:GovernmentDocument:1.0">'
    + '<ram:CorrespondenceLetter ID="Letter">'
    + `<ram:ID>${esc(l.letterId)}</ram:ID><ram:CorrespondenceDate>${l.date}</ram:CorrespondenceDate><ram:Subject>${esc(l.subject)}</ram:Subject>`
    + `<ram:SecretCode>${l.secretCode ?? '001'}</ram:SecretCode><ram:SpeedCode>${l.speedCode ?? '001'}</ram:SpeedCode>`
    + party('SenderParty', l.sender) + party('ReceiverParty', l.receiver)
    + '<ram:ReferenceCorrespondence><ram:ID/><ram:CorrespondenceDate/><ram:Subject/></ram:ReferenceCorrespondence>'
    + `<ram:Attachment/><ram:SendDate>${l.date}</ram:SendDate><ram:Description/>`
    + `<ram:MainLetterBinaryObject mimeCode="text/plain">${tis620(l.mainText).toString('base64')}</ram:MainLetterBinaryObject>`
    + (l.attachments ?? []).map((a) => `<ram:AttachmentBinaryObject mimeCode="${a.mimeCode}">${a.bytes.toString('base64')}</ram:AttachmentBinaryObject>`).join('')
    + '</ram:CorrespondenceLetter>'
    + `<ram:GovernmentSignature><ram:TypeCode>DSIG</ram:TypeCode><ram:SignerParty><ram:GivenName/><ram:FamilyName/><ram:Title/><ram:MinistryCode>${l.sender.ministry}</ram:MinistryCode><ram:DepartmentCode>${l.sender.department}</ram:DepartmentCode></ram:SignerParty></ram:GovernmentSignature>`
    + '</rsm:GovernmentDocument></CorrespondenceLetterOutboundRequest>'
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
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: envelope(body, style, url) })
    return readAnswer(res.status, await res.text())
  }
}
