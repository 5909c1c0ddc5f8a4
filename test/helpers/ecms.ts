// e-CMS clients as the real ones write their requests (e-cms.md §4): the BOI template's spelling
// (SOAP-ENV prefix, http://w3.org/2005/08/addressing, lower-case wsa:to, empty MessageID) and
// mil-doc's (http://www.w3.org/2005/08/addressing, wsa:To, ID="Body" on the Body). Strings, on
// purpose: the gateway must read what those clients send, not what our serializer writes.
import { readFileSync, writeFileSync } from 'node:fs'
import type { TestNode } from './nodes.js'

export type Spelling = 'boi' | 'mil-doc'

export function soapEnvelope(body: string, spelling: Spelling = 'boi', to = 'http://ecms.example/ecms-ws01/service2'): string {
  if (spelling === 'boi') {
    return `<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
 <SOAP-ENV:Header>
  <wsa:MessageID xmlns:wsa="http://w3.org/2005/08/addressing"/>
  <wsa:to xmlns:wsa="http://w3.org/2005/08/addressing">${to}</wsa:to>
 </SOAP-ENV:Header>
 <SOAP-ENV:Body>
${body}
 </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`
  }
  return `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soapenv:Header><wsa:MessageID>mid://20260101.101010123@noname</wsa:MessageID><wsa:To>${to}</wsa:To></soapenv:Header><soapenv:Body ID="Body">${body}</soapenv:Body></soapenv:Envelope>`
}

export interface DocumentFields {
  id?: string
  date?: string
  subject?: string
  secret?: string
  speed?: string
  sender?: { ministry: string; department: string }
  receiver: { ministry?: string; department: string }
  references?: Array<{ id: string; date: string; subject: string }>
  attachmentText?: string
  sendDate?: string
  main?: { mimeCode: string; bytes: Buffer }
  attachments?: Array<{ mimeCode: string; bytes: Buffer }>
  /** inserted in GovernmentSignature after SignerParty (a ds:Signature) */
  signature?: string
}

const party = (name: string, p: { ministry?: string; department: string } | undefined) => `<ram:${name}><ram:GivenName>สมชาย</ram:GivenName><ram:FamilyName>ใจดี</ram:FamilyName><ram:JobTitle>ผู้อำนวยการ</ram:JobTitle>
        <ram:MinistryOrganization><ram:ID>${p?.ministry ?? ''}</ram:ID></ram:MinistryOrganization>
        <ram:DepartmentOrganization><ram:ID>${p?.department ?? ''}</ram:ID></ram:DepartmentOrganization></ram:${name}>`

/** The GovernmentDocument of the BOI template (e-cms.md §4), fields filled in. */
export function governmentDocument(f: DocumentFields): string {
  const refs = (f.references ?? [{ id: '', date: '', subject: '' }]).map((r) => `<ram:ReferenceCorrespondence><ram:ID>${r.id}</ram:ID><ram:CorrespondenceDate>${r.date}</ram:CorrespondenceDate><ram:Subject>${r.subject}</ram:Subject></ram:ReferenceCorrespondence>`).join('')
  const main = f.main ?? { mimeCode: 'text/plain', bytes: Buffer.from('t7TKzbrK6KfLudGnytfN', 'base64') }
  return `<rsm:GovernmentDocument xmlns:ram="urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1"
                           xmlns:rsm="urn:th:gov:egif:data:standard:GovernmentDocument:1.0">
    <ram:CorrespondenceLetter ID="Letter">
     <ram:ID>${f.id ?? 'อก 0905/0007'}</ram:ID>
     <ram:CorrespondenceDate>${f.date ?? '2026-11-07'}</ram:CorrespondenceDate>
     <ram:Subject>${f.subject ?? 'ขอเชิญประชุม'}</ram:Subject>
     <ram:SecretCode>${f.secret ?? '001'}</ram:SecretCode>
     <ram:SpeedCode>${f.speed ?? '001'}</ram:SpeedCode>
     ${party('SenderParty', f.sender)}
     ${party('ReceiverParty', f.receiver)}
     ${refs}
     <ram:Attachment>${f.attachmentText ?? ''}</ram:Attachment>
     <ram:SendDate>${f.sendDate ?? '2026-11-07T09:30:00'}</ram:SendDate>
     <ram:Description/>
     <ram:MainLetterBinaryObject mimeCode="${main.mimeCode}">${main.bytes.toString('base64')}</ram:MainLetterBinaryObject>
     ${(f.attachments ?? []).map((a) => `<ram:AttachmentBinaryObject mimeCode="${a.mimeCode}">${a.bytes.toString('base64').replace(/(.{76})/g, '$1\n')}</ram:AttachmentBinaryObject>`).join('\n')}
    </ram:CorrespondenceLetter>
    <ram:GovernmentSignature>
     <ram:TypeCode>DSIG</ram:TypeCode>
     <ram:SignerParty><ram:GivenName/><ram:FamilyName/><ram:Title/><ram:MinistryCode>${f.sender?.ministry ?? ''}</ram:MinistryCode><ram:DepartmentCode>${f.sender?.department ?? ''}</ram:DepartmentCode></ram:SignerParty>${f.signature ?? ''}
    </ram:GovernmentSignature>
   </rsm:GovernmentDocument>`
}

export const outboundRequest = (doc: string) => `<CorrespondenceLetterOutboundRequest>${doc}</CorrespondenceLetterOutboundRequest>`

/** TIS-620: ASCII as is, Thai U+0E01–U+0E5B at 0xA1–0xFB. */
export function tis620(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.codePointAt(0)!
    if (c < 0x80) return c
    if (c >= 0x0e01 && c <= 0x0e5b) return c - 0x0e01 + 0xa1
    throw new Error(`not in TIS-620: ${ch}`)
  }))
}

export interface EcmsAnswer {
  status: number
  contentType: string
  text: string
}

/** POST a SOAP request to a node's gateway for `agency` (the e-CMS URL of e-cms.md §2). */
export async function ecmsPost(node: TestNode, agency: string, body: string | Buffer, contentType = 'text/xml; charset=utf-8'): Promise<EcmsAnswer> {
  const res = await fetch(`${node.apiUrl}/ecms/${agency}/ecms-ws01/service2`, { method: 'POST', headers: { 'content-type': contentType, soapaction: '""' }, body })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() }
}

/** The text of the first element with this local name (tests read answers like mil-doc: by tag name). */
export function tagText(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[A-Za-z0-9_-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</`).exec(xml)
  return m?.[1]
}

export function tagTexts(xml: string, local: string): string[] {
  return [...xml.matchAll(new RegExp(`<(?:[A-Za-z0-9_-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</`, 'g'))].map((m) => m[1]!)
}

/** Adds an `ecms` section to a test node's node.json before it starts. */
export function enableGateway(node: TestNode, section: Record<string, unknown> = { clients: [{ agency: node.id }] }, extra: Record<string, unknown> = {}): void {
  const cfg = JSON.parse(readFileSync(node.configFile, 'utf8')) as Record<string, unknown>
  writeFileSync(node.configFile, JSON.stringify({ ...cfg, ...extra, ecms: section }, null, 2))
}

/** e-CMS ids for the test federation's agencies (PROTOCOL.md §1.4 agencies[].ecms). */
export const TEST_ECMS: Record<string, { ministry: string; department: string; organization: string; ministryNameTh: string }> = {
  moi: { ministry: '15', department: '15001', organization: '1500100000', ministryNameTh: 'กระทรวงมหาดไทย' },
  mof: { ministry: '03', department: '03001', organization: '0300100000', ministryNameTh: 'กระทรวงการคลัง' },
  dga: { ministry: '01', department: '01009', organization: '0100900000', ministryNameTh: 'สำนักนายกรัฐมนตรี' },
}
