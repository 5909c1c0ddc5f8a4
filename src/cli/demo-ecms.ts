// The demo's e-CMS step (issue 18; README "e-CMS gateway"): dga's saraban system is an existing e-CMS
// client that points its e-CMS URL at its own node. It pulls moi's letter as a GovernmentDocument and
// deletes it from its queue, sends a letter of its own to mof (a saraban system on the REST API), and
// pulls the ReceiveLetterNotifier and the AcceptLetterNotifier carrying mof's receive number.
// The SOAP is written as the real clients write it (string templates, BOI's spelling) and read as they
// read it (by element name), with the DOM parser the gateway also uses, not the gateway's own code.
import { DOMParser } from '@xmldom/xmldom'
import type { Config } from '../config/index.js'

/** The demo's node.json change: dga's saraban system speaks e-CMS, from loopback. */
export function withEcmsClient(config: Config, agency: string): Partial<Pick<Config, 'ecms'>> {
  return agency === 'dga' ? { ecms: { ...config.ecms, clients: [{ agency, allowFrom: ['127.0.0.1/32', '::1/128'] }] } } : {}
}

const envelope = (url: string, body: string) => '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
  + '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header>'
  + `<wsa:MessageID xmlns:wsa="http://w3.org/2005/08/addressing"/><wsa:to xmlns:wsa="http://w3.org/2005/08/addressing">${url}</wsa:to>`
  + `</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`

const party = (name: string, ministry: string, department: string) => `<ram:${name}><ram:GivenName>สมหญิง</ram:GivenName><ram:FamilyName>รักงาน</ram:FamilyName><ram:JobTitle>ผู้อำนวยการ</ram:JobTitle>`
  + `<ram:MinistryOrganization><ram:ID>${ministry}</ram:ID></ram:MinistryOrganization><ram:DepartmentOrganization><ram:ID>${department}</ram:ID></ram:DepartmentOrganization></ram:${name}>`

type Api = (base: string, key: string, path: string, init?: RequestInit) => Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface EcmsDemo {
  readonly say: (s: string) => void
  readonly api: Api
  readonly until: <T>(what: string, get: () => Promise<T | undefined>) => Promise<T>
  readonly dgaApi: string
  readonly mofApi: string
  /** e-CMS ids of the agencies, from the signed directory */
  readonly ids: (agency: string) => { ministry: string; department: string }
  /** ที่ of the letter moi sent dga earlier in the demo */
  readonly moiLetterNumber: string
  readonly today: string
}

export async function ecmsDemo(o: EcmsDemo): Promise<void> {
  const url = `${o.dgaApi}/ecms/dga/ecms-ws01/service2`
  const post = async (body: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: envelope(url, body) })
    const doc = new DOMParser().parseFromString(await res.text(), 'text/xml')
    const text = (local: string) => doc.getElementsByTagNameNS('*', local)[0]?.textContent?.trim() ?? ''
    if (text('ErrorCode')) throw new Error(`e-CMS ${text('ErrorCode')}: ${text('ErrorDescription')}`)
    return { text, has: (local: string) => doc.getElementsByTagNameNS('*', local).length > 0 }
  }
  /** BOI's polling loop: pull; the wanted item is kept, any other is stored and deleted. */
  const pull = (what: string, letterId: string) => o.until(`dga's e-CMS client to pull ${what}`, async () => {
    const a = await post('<CorrespondenceLetterInboundRequest/>')
    const id = a.text('ProcessID')
    if (!id) return undefined
    await post(`<CorrespondenceLetterDeleteRequest><ProcessID>${id}</ProcessID></CorrespondenceLetterDeleteRequest>`)
    return a.has(what) && (a.text('LetterID') === letterId || a.text('ID') === letterId) ? { ...a, processId: id } : undefined
  })

  const got = await pull('GovernmentDocument', o.moiLetterNumber)
  o.say(`◆ e-CMS gateway: dga's existing saraban system points its e-CMS URL at its node (${url}); CorrespondenceLetterInboundRequest hands it moi's letter as a GovernmentDocument (ProcessID ${got.processId.slice(0, 8)}…, LetterID ${got.text('ID')}, SpeedCode ${got.text('SpeedCode')}); it deletes the item once stored`)
  const dga = o.ids('dga')
  const mof = o.ids('mof')
  const letterId = 'สพร 0901/ว 1'
  const text = Buffer.from('ด้วยสำนักงานพัฒนารัฐบาลดิจิทัลขอแจ้งผลการทดสอบการเชื่อมโยงระบบสารบรรณ', 'utf8').toString('base64')
  const sent = await post('<CorrespondenceLetterOutboundRequest>'
    + '<rsm:GovernmentDocument xmlns:ram="urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1" xmlns:rsm="urn:th:gov:egif:data:standard:GovernmentDocument:1.0">'
    + `<ram:CorrespondenceLetter ID="Letter"><ram:ID>${letterId}</ram:ID><ram:CorrespondenceDate>${o.today}</ram:CorrespondenceDate><ram:Subject>แจ้งผลการทดสอบการเชื่อมโยงระบบ</ram:Subject>`
    + `<ram:SecretCode>001</ram:SecretCode><ram:SpeedCode>002</ram:SpeedCode>${party('SenderParty', dga.ministry, dga.department)}${party('ReceiverParty', mof.ministry, mof.department)}`
    + `<ram:Attachment/><ram:SendDate>${o.today}</ram:SendDate><ram:Description/><ram:MainLetterBinaryObject mimeCode="text/plain">${text}</ram:MainLetterBinaryObject></ram:CorrespondenceLetter>`
    + `<ram:GovernmentSignature><ram:TypeCode>DSIG</ram:TypeCode><ram:SignerParty><ram:GivenName/><ram:FamilyName/><ram:Title/><ram:MinistryCode>${dga.ministry}</ram:MinistryCode><ram:DepartmentCode>${dga.department}</ram:DepartmentCode></ram:SignerParty></ram:GovernmentSignature>`
    + '</rsm:GovernmentDocument></CorrespondenceLetterOutboundRequest>')
  o.say(`   it sends letter ${letterId} to mof as CorrespondenceLetterOutboundRequest (ProcessID ${sent.text('ProcessID').slice(0, 8)}…): the node signs, encrypts and delivers it like any letter`)
  const item = await o.until('dga\'s e-CMS letter in mof\'s inbox', async () =>
    (await o.api(o.mofApi, 'dev-mof-key', '/api/v1/inbox')).items.find((i: { number?: string }) => i.number === letterId))
  const reg = await o.api(o.mofApi, 'dev-mof-key', `/api/v1/inbox/${item.id}/register`, { method: 'POST', body: JSON.stringify({}) })
  const receipt = await pull('ReceiveLetterNotifier', letterId)
  const accepted = await pull('AcceptLetterNotifier', letterId)
  o.say(`   mof (REST API) registered it as receive number ${reg.registration.number}; dga's e-CMS client pulled ReceiveLetterNotifier (AcceptDate ${receipt.text('AcceptDate')}) and AcceptLetterNotifier with AcceptID ${accepted.text('AcceptID')}, AcceptDepartment ${accepted.text('Code')}`)
  if (accepted.text('AcceptID') !== String(reg.registration.number)) throw new Error('the AcceptID is not mof\'s receive number')
}
