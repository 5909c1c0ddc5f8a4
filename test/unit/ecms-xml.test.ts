// The e-CMS gateway's XML layer (issue 18 §1, §6): the parser refuses DOCTYPEs and entities, bounds
// trees, decodes UTF-8 and TIS-620; the envelope reader accepts both WS-Addressing spellings; the
// typed model reads the real clients' liberal forms and refuses what it must; the dispatch table
// holds every operation of e-cms.md §3 once.
import t from 'tap'
import { decodeBody, parseXml, toXml, XmlRefused, XML_LIMITS, child, childText, el, NS } from '../../src/gateways/ecms/xml.js'
import { readEnvelope } from '../../src/gateways/ecms/soap.js'
import { documentFromXml, documentToXml, notifierFromXml, notifierToXml, type EcmsDocument } from '../../src/gateways/ecms/model.js'
import { ROUTES, route } from '../../src/gateways/ecms/dispatch.js'
import { extensionFor, secrecyOf, urgencyOf, SECRET_CODES } from '../../src/gateways/ecms/codes.js'
import { EcmsError, ECMS_ERRORS } from '../../src/gateways/ecms/errors.js'
import { governmentDocument, soapEnvelope, tis620 } from '../helpers/ecms.js'

const refused = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return e instanceof XmlRefused ? e.reason : e instanceof EcmsError ? e.code : String(e)
  }
  return 'accepted'
}

t.test('DOCTYPE, entity expansion and external entities are refused before anything is expanded', async (t) => {
  t.equal(refused(() => parseXml('<!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]><a>&y;</a>')), 'doctype')
  t.equal(refused(() => parseXml('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')), 'doctype')
  t.equal(refused(() => parseXml('<!DOCTYPE a SYSTEM "http://127.0.0.1:1/a.dtd"><a/>')), 'doctype')
  t.equal(refused(() => parseXml('<!DOCTYPE a><a/>')), 'doctype', 'even an empty DOCTYPE')
  t.equal(refused(() => parseXml('<a>&undeclared;</a>')), 'doctype')
  t.equal(parseXml('<a>&amp;&lt;&#3607;</a>').text, '&<ท', 'the predefined and numeric references are text')
  t.equal(refused(() => parseXml('<a><b></a>')), 'malformed')
  t.equal(refused(() => parseXml('<a>'.repeat(XML_LIMITS.maxDepth + 2) + '</a>'.repeat(XML_LIMITS.maxDepth + 2))), 'too-deep')
  t.equal(refused(() => parseXml(`<a>${'<b/>'.repeat(XML_LIMITS.maxElements + 1)}</a>`)), 'too-many')
})

t.test('charsets: HTTP charset, then the XML declaration, then UTF-8; TIS-620 text is read', async (t) => {
  const thai = 'ทดสอบส่งหนังสือ'
  t.equal(decodeBody(tis620(`<?xml version="1.0" encoding="TIS-620"?><a>${thai}</a>`), undefined).endsWith(`<a>${thai}</a>`), true)
  t.equal(decodeBody(tis620(`<a>${thai}</a>`), 'tis-620'), `<a>${thai}</a>`)
  t.equal(decodeBody(Buffer.from(`<a>${thai}</a>`), undefined), `<a>${thai}</a>`)
  t.equal(refused(() => decodeBody(tis620(`<a>${thai}</a>`), undefined)), 'charset', 'TIS-620 bytes announced as nothing are not UTF-8')
  t.equal(refused(() => decodeBody(Buffer.from('<a/>'), 'utf-16')), 'charset')
})

t.test('the envelope: both WS-Addressing namespaces, To and to, ID="Body"', async (t) => {
  const boi = readEnvelope(parseXml(soapEnvelope('<GetSecretCodes/>', 'boi', 'http://a/ecms-ws01/service2')))
  t.same(boi.header, { to: 'http://a/ecms-ws01/service2' }, 'an empty MessageID is no MessageID')
  t.equal(boi.body.name, 'GetSecretCodes')
  const mil = readEnvelope(parseXml(soapEnvelope('<GetSecretCodes/>', 'mil-doc', 'http://b')))
  t.same(mil.header, { messageId: 'mid://20260101.101010123@noname', to: 'http://b' })
  t.equal(refused(() => readEnvelope(parseXml('<Envelope><Body><a/></Body></Envelope>'))), 'ECMS-E005', 'not the SOAP 1.1 namespace')
  t.equal(refused(() => readEnvelope(parseXml(soapEnvelope('<a/><b/>')))), 'ECMS-E005', 'two operations in one Body')
})

t.test('GovernmentDocument: liberal where clients differ, strict where a value is acted on', async (t) => {
  const body = readEnvelope(parseXml(soapEnvelope(`<CorrespondenceLetterOutboundRequest>${governmentDocument({ receiver: { ministry: '03', department: '0300100000' }, sender: { ministry: '15', department: '15001' }, sendDate: '2026-11-07' })}</CorrespondenceLetterOutboundRequest>`))).body
  const doc = documentFromXml(body.children[0]!)
  t.equal(doc.letterId, 'อก 0905/0007')
  t.equal(doc.receiver.department, '0300100000', '10-digit organisation id')
  t.equal(doc.sender.department, '15001', '5-digit department id')
  t.equal(doc.sendDate, '2026-11-07', 'SendDate without time')
  t.same(doc.references, [], 'the template\'s empty ReferenceCorrespondence carries nothing')
  t.equal(doc.mainLetter!.bytes.toString('base64'), 't7TKzbrK6KfLudGnytfN')
  t.same(doc.signature, { present: false, verified: undefined })
  const bad = (f: Parameters<typeof governmentDocument>[0]) => refused(() => documentFromXml(parseXml(governmentDocument(f))))
  t.equal(bad({ receiver: { department: '1234' } }), 'ECMS-E030', '4-digit id')
  t.equal(bad({ receiver: { department: '03001' }, date: '07/11/2026' }), 'ECMS-E030')
  t.equal(bad({ receiver: { department: '03001' }, date: '2026-02-30' }), 'ECMS-E030', 'no such day')
  t.equal(bad({ receiver: { department: '03001' }, sendDate: 'tomorrow' }), 'ECMS-E030')
  t.equal(bad({ receiver: { department: '03001' }, id: '' }), 'ECMS-E030', 'no letter number')
  t.equal(refused(() => documentFromXml(parseXml(governmentDocument({ receiver: { department: '03001' } }).replace('t7TKzbrK6KfLudGnytfN', 't7TK*brK')))), 'ECMS-E033')
})

t.test('GovernmentDocument and notifiers survive a round trip through the serializer', async (t) => {
  const d: EcmsDocument = {
    letterId: 'มท 1/2', correspondenceDate: '2026-11-07', subject: 'เรื่อง <ทดสอบ> & อื่น ๆ', secretCode: '001', speedCode: '002',
    sender: { ministry: '15', department: '15001', givenName: 'ก', familyName: 'ข', jobTitle: 'ค' }, receiver: { ministry: '03', department: '0300100000' },
    references: [{ letterId: 'กค 1', correspondenceDate: '2026-01-01', subject: 'ก่อน' }], attachmentText: 'แผนที่', sendDate: '2026-11-07T09:30:00', description: 'รายละเอียด',
    mainLetter: { mimeCode: 'application/pdf', bytes: Buffer.from([0, 1, 2, 255]) }, attachments: [{ mimeCode: 'image/png', bytes: Buffer.from('png') }],
    signature: { present: false, verified: undefined },
  }
  const back = documentFromXml(parseXml(toXml(documentToXml(d))))
  t.same(back, d)
  const n = { kind: 'AcceptLetterNotifier' as const, letterId: 'มท 1/2', correspondenceDate: '2026-11-07', subject: 'ส', acceptId: '123', acceptDate: '2026-11-08', acceptDepartment: '03001' }
  t.same(notifierFromXml(parseXml(toXml(notifierToXml(n)))), n)
  const namespaced = parseXml(`<x:RejectLetterNotifier xmlns:x="urn:x"><x:LetterID>1</x:LetterID><CorrespondenceDate>2026-11-07</CorrespondenceDate><Subject>s</Subject></x:RejectLetterNotifier>`)
  t.equal(notifierFromXml(namespaced).letterId, '1', 'namespaced or not, children are read by local name')
  t.equal(refused(() => notifierFromXml(parseXml('<AcceptLetterNotifier><LetterID>1</LetterID><CorrespondenceDate>2026-11-07</CorrespondenceDate></AcceptLetterNotifier>'))), 'ECMS-E030', 'an accept needs its AcceptID')
})

t.test('codes', async (t) => {
  t.equal(urgencyOf('003'), 'VERY_URGENT')
  t.equal(urgencyOf('3'), 'VERY_URGENT', 'px-service reads numbers')
  t.equal(urgencyOf(undefined), 'NORMAL')
  t.equal(urgencyOf('x'), 'NORMAL', 'non-numeric reads as normal, like px-service')
  t.equal(urgencyOf('009'), undefined)
  t.equal(secrecyOf('001'), 'UNCLASSIFIED')
  t.equal(secrecyOf('002'), 'CONFIDENTIAL')
  t.equal(secrecyOf('005'), 'PERSONAL')
  t.same(SECRET_CODES.map((c) => c.value), ['001', '002', '003', '004', '005'])
  t.equal(extensionFor('application/pdf; name=x'), 'pdf')
  t.equal(extensionFor('application/x-unknown'), undefined)
})

t.test('the dispatch table: every operation of e-cms.md §3 once; every error code has a sentence', async (t) => {
  const keys = ROUTES.map((r) => `${r.root}/${r.child ?? ''}`)
  t.equal(new Set(keys).size, keys.length, 'no row twice')
  for (const op of ['GovernmentDocument', 'ReceiveLetterNotifier', 'AcceptLetterNotifier', 'RejectLetterNotifier', 'InvalidLetterNotifier', 'InvalidAcceptIDNotifier']) {
    t.ok(route(el('CorrespondenceLetterOutboundRequest', undefined, [el(op, NS.rsm)])), `outbound ${op}`)
  }
  for (const root of ['CorrespondenceLetterInboundRequest', 'CorrespondenceLetterInboundSpecialRequest', 'CorrespondenceDeleteGovernmentDocumentRequest', 'CorrespondenceLetterDeleteRequest', 'OutboundStatusRequest', 'GetMinistryOrganizationList', 'GetOrganizationList', 'GetSecretCodes', 'GetSpeedCodes', 'GetMimeCodes', 'TimeCheckRequest']) {
    t.ok(route(el(root, undefined)), root)
  }
  t.equal(route(el('CorrespondenceLetterOutboundRequest', undefined, [el('Other', undefined)])), undefined)
  for (const [code, row] of Object.entries(ECMS_ERRORS)) t.match(code, /^ECMS-E\d{3}$/), t.ok(row.description.length > 20, code)
  t.ok(child(parseXml('<a><b>x</b></a>'), 'b') && childText(parseXml('<a><b> x </b></a>'), 'b') === 'x')
})

t.test('README lists every ErrorCode with its HTTP status', async (t) => {
  const { readFileSync } = await import('node:fs')
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## e-CMS gateway'))
  for (const [code, row] of Object.entries(ECMS_ERRORS)) t.match(section, `| \`${code}\` | ${row.http} |`, code)
})

t.test('base64Binary: line breaks allowed, otherwise strict', async (t) => {
  const { base64Bytes } = await import('../../src/gateways/ecms/model.js')
  const bytes = Buffer.from('ทดสอบส่งหนังสือ ทดสอบ')
  t.same(base64Bytes(bytes.toString('base64').replace(/(.{8})/g, '$1\r\n '), 'x'), bytes, 'CRLF and spaces between characters')
  for (const bad of ['QUJD=RA==', 'QUJ', 'QUJD-A==', 'QUJD_A==', 'QUJDRA===', 'QUJDR\u0E01==']) t.equal(refused(() => base64Bytes(bad, 'x')), 'ECMS-E033', JSON.stringify(bad))
  t.same(base64Bytes('', 'x'), Buffer.alloc(0))
})

t.test('a GovernmentDocument written without namespaces is read the same', async (t) => {
  const prefixed = governmentDocument({ receiver: { department: '03001' }, sender: { ministry: '15', department: '15001' } })
  const bare = prefixed.replace(/<(\/?)(?:ram|rsm):/g, '<$1').replace(/\sxmlns:(?:ram|rsm)="[^"]*"/g, '')
  t.notMatch(bare, /ram:|rsm:/)
  t.same(documentFromXml(parseXml(bare)), documentFromXml(parseXml(prefixed)))
})
