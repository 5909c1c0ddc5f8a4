// The e-CMS gateway end to end (issue 18 §1, §2, §5, §6, §7): an e-CMS client writing its requests
// the way BOI-DMS and mil-doc do (test/helpers/ecms.ts) → node A's gateway → the federation over real
// mTLS → node B, where the letter arrives in the REST inbox with its attachments byte for byte.
import t from 'tap'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { SignedXml } from 'xml-crypto'
import { testNet, call, waitFor, waitForRecipient } from '../helpers/nodes.js'
import { ecmsPost, enableGateway, governmentDocument, outboundRequest, soapEnvelope, tagText, tagTexts, tis620, TEST_ECMS } from '../helpers/ecms.js'
import { EcmsOutboundStore } from '../../src/storage/ecms-outbound.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

t.test('e-CMS client → node A (gateway) → node B', async (t) => {
  const net = await testNet(['moi', 'mof'], {
    editDirectory: (d) => ({ ...d, agencies: d.agencies.map((a) => ({ ...a, ...(TEST_ECMS[a.id] ? { ecms: TEST_ECMS[a.id] } : {}) })) }),
  })
  t.teardown(() => net.stop())
  const { moi, mof } = net.nodes as { moi: typeof net.nodes[string]; mof: typeof net.nodes[string] }
  enableGateway(moi!, { clients: [{ agency: 'moi' }], maxBodyBytes: 200_000 }, { limits: { maxAttachments: 3 } })
  // mof's gateway admits a client network the test is not on: its loopback requests are refused.
  enableGateway(mof!, { clients: [{ agency: 'mof', allowFrom: ['10.0.0.0/8'] }] })
  await moi!.start()
  await mof!.start()
  const records = new EcmsOutboundStore(moi!.ctx!.db)

  t.test('codes, clock and directory operations (BOI spelling)', async (t) => {
    const secret = await ecmsPost(moi!, 'moi', soapEnvelope('<GetSecretCodes/>'))
    t.equal(secret.status, 200)
    t.match(secret.contentType, /^text\/xml/)
    t.same(tagTexts(secret.text, 'Value'), ['001', '002', '003', '004', '005'])
    const speed = await ecmsPost(moi!, 'moi', soapEnvelope('<GetSpeedCodes/>', 'mil-doc'))
    t.same(tagTexts(speed.text, 'Value'), ['001', '002', '003', '004'])
    t.same(tagTexts(speed.text, 'Description'), ['ปกติ', 'ด่วน', 'ด่วนมาก', 'ด่วนที่สุด'])
    const mime = await ecmsPost(moi!, 'moi', soapEnvelope('<GetMimeCodes/>'))
    t.ok(tagTexts(mime.text, 'File-Extension').includes('pdf'))
    const time = await ecmsPost(moi!, 'moi', soapEnvelope('<TimeCheckRequest/>'))
    t.match(tagText(time.text, 'ProcessTime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$/)
    const orgs = await ecmsPost(moi!, 'moi', soapEnvelope('<GetOrganizationList/>'))
    t.same(tagTexts(orgs.text, 'OrganizationID').sort(), ['0100900000', '0300100000', '1500100000'], 'the signed directory\'s e-CMS ids')
    t.ok(tagTexts(orgs.text, 'ECMS-URL').every((u) => u.endsWith('/ecms/moi/ecms-ws01/service2')), 'every agency is reached through the caller\'s own gateway')
    const ministries = await ecmsPost(moi!, 'moi', soapEnvelope('<GetMinistryOrganizationList/>'))
    t.same(tagTexts(ministries.text, 'MinistryID').sort(), ['01', '03', '15'])
    t.ok(tagTexts(ministries.text, 'Th-Name').includes('กระทรวงการคลัง'))
  })

  t.test('who is calling comes from configuration', async (t) => {
    const other = await ecmsPost(moi!, 'mof', soapEnvelope('<GetSecretCodes/>'))
    t.equal(other.status, 403, 'a URL for an agency this node has no e-CMS client for')
    t.equal(tagText(other.text, 'ErrorCode'), 'ECMS-E010')
    const net10 = await ecmsPost(mof!, 'mof', soapEnvelope('<GetSecretCodes/>'))
    t.equal(net10.status, 403, 'a client address outside allowFrom')
    t.equal(tagText(net10.text, 'ErrorCode'), 'ECMS-E010')
    const rest = await fetch(`${moi!.apiUrl}/api/v1/outbox`)
    t.equal(rest.status, 401, 'the REST API still wants its key')
  })

  t.test('a letter as BOI sends it: TIS-620 main letter, PDF attachment, 5-digit ids', async (t) => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)), Buffer.from('\n%%EOF\n')])
    const doc = governmentDocument({
      id: 'มท 0201.2/123', subject: 'ขอเชิญประชุมคณะทำงาน', speed: '003',
      sender: { ministry: '15', department: '15001' }, receiver: { ministry: '03', department: '03001' },
      references: [{ id: 'กค 0401/77', date: '2026-10-01', subject: 'การประชุมครั้งก่อน' }],
      attachmentText: 'กำหนดการประชุม\nแผนที่', sendDate: '2026-11-07',
      attachments: [{ mimeCode: 'application/pdf', bytes: pdf }],
    })
    const res = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(doc)))
    t.equal(res.status, 200, res.text)
    t.notOk(tagText(res.text, 'ErrorCode'))
    const processId = tagText(res.text, 'ProcessID')!
    t.match(processId, /^[0-9a-f-]{36}$/)
    t.match(tagText(res.text, 'ProcessTime'), /\+07:00$/)

    const done = await waitForRecipient(moi!, processId, 'delivered')
    const messageId = done.recipients[0].messageId
    const got = await call(mof!, 'GET', `/api/v1/inbox/${messageId}`)
    t.equal(got.status, 200)
    const l = got.body.letter
    t.equal(l.number, 'มท 0201.2/123')
    t.equal(l.subject, 'ขอเชิญประชุมคณะทำงาน')
    t.equal(l.date, '2026-11-07')
    t.equal(l.urgency, 'VERY_URGENT', 'SpeedCode 003')
    t.equal(l.secrecy, 'UNCLASSIFIED')
    t.equal(l.references[0].number, 'กค 0401/77')
    t.equal(l.references[0].date, '2026-10-01')
    t.same(l.enclosures.map((e: { description: string }) => e.description), ['กำหนดการประชุม', 'แผนที่'])
    t.equal(l.body, 'ทดสอบส่งหนังสือ', 'the TIS-620 main letter read as text')
    t.same(got.body.attachments.map((a: { filename: string }) => a.filename), ['letter.txt', 'attachment-1.pdf'], 'file names from mimeCode')
    const main = await call(mof!, 'GET', `/api/v1/inbox/${messageId}/attachments/${got.body.attachments[0].id}`)
    t.ok(Buffer.compare(main.body, Buffer.from('t7TKzbrK6KfLudGnytfN', 'base64')) === 0, 'the main letter byte-exact (still TIS-620)')
    const att = await call(mof!, 'GET', `/api/v1/inbox/${messageId}/attachments/${got.body.attachments[1].id}`)
    t.equal(att.headers.get('content-type'), 'application/pdf')
    t.equal(sha(att.body), sha(pdf), 'the PDF byte-exact')

    const rec = records.get(processId)!
    t.equal(rec.agency, 'moi', 'recorded as entered through the gateway')
    const view = await call(moi!, 'GET', `/api/v1/letters/${processId}`)
    t.same(view.body.origin, { via: 'e-cms', ecmsLetterId: 'มท 0201.2/123', correspondenceDate: '2026-11-07', signature: 'absent' }, 'the REST API shows where the letter came from')
    t.equal(rec.signature, 'absent', 'unsigned, and marked so')
    const status = await ecmsPost(moi!, 'moi', soapEnvelope('<OutboundStatusRequest/>', 'mil-doc'))
    t.ok(tagTexts(status.text, 'ProcessID').includes(processId))
    t.equal(tagText(status.text, 'ProcessStatus'), 'RECEIVED', 'delivered with a receipt: the destination received it')

    const again = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(doc)))
    t.equal(tagText(again.text, 'ProcessID'), processId, 'a retried send is the same letter, sent once')
  })

  t.test('mil-doc spelling, a TIS-620 body, 10-digit ids, SendDate with time', async (t) => {
    const doc = governmentDocument({ id: 'มท 0201.2/124', subject: 'แจ้งผลการประชุม', sender: { ministry: '15', department: '1500100000' }, receiver: { department: '0300100000' } })
    const xml = soapEnvelope(outboundRequest(doc), 'mil-doc').replace('encoding="utf-8"', 'encoding="TIS-620"')
    const res = await ecmsPost(moi!, 'moi', tis620(xml), 'text/xml')
    t.equal(res.status, 200, res.text)
    const processId = tagText(res.text, 'ProcessID')!
    const done = await waitForRecipient(moi!, processId, 'delivered')
    const got = await call(mof!, 'GET', `/api/v1/inbox/${done.recipients[0].messageId}`)
    t.equal(got.body.letter.subject, 'แจ้งผลการประชุม', 'Thai text of a TIS-620 body arrives as Unicode')
    const utf = await ecmsPost(moi!, 'moi', tis620(soapEnvelope('<GetSecretCodes/>').replace('encoding="utf-8"', 'encoding="windows-874"')), 'text/xml; charset=TIS-620')
    t.equal(utf.status, 200, 'the HTTP charset wins over the declaration')
  })

  t.test('classified letters are refused with a clear e-CMS error', async (t) => {
    for (const secret of ['002', '003', '004', '005', '2']) {
      const res = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ id: `ลับ ${secret}`, secret, receiver: { department: '03001' } }))))
      t.equal(res.status, 200)
      t.equal(tagText(res.text, 'ErrorCode'), 'ECMS-E031', `SecretCode ${secret}`)
      t.match(tagText(res.text, 'ErrorDescription'), /classified/)
      t.match(res.text, /<CorrespondenceLetterOutboundResponse>/, 'the error is in the operation\'s response')
    }
    const unknown = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '99999' } }))))
    t.equal(tagText(unknown.text, 'ErrorCode'), 'ECMS-E032')
    const bad = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '03001' }, date: '2569-11-07' }))))
    t.equal(tagText(bad.text, 'ErrorCode'), 'ECMS-E030', 'a Buddhist-era date is refused, not read 543 years late')
    const spoof = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ sender: { ministry: '03', department: '03001' }, receiver: { department: '03001' } }))))
    t.equal(tagText(spoof.text, 'ErrorCode'), 'ECMS-E030', 'SenderParty cannot make the client another agency')
  })

  t.test('XML defences: DOCTYPE, entity expansion, XXE, size, media type', async (t) => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
      soapEnvelope('<GetSecretCodes>&lol3;</GetSecretCodes>').replace(/^<\?xml[^>]*\?>/, '')
    const a = await ecmsPost(moi!, 'moi', laughs)
    t.equal(a.status, 400)
    t.equal(tagText(a.text, 'ErrorCode'), 'ECMS-E004', 'entity expansion: refused, nothing expanded')
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
      soapEnvelope(outboundRequest(governmentDocument({ subject: '&xxe;', receiver: { department: '03001' } }))).replace(/^<\?xml[^>]*\?>/, '')
    const b = await ecmsPost(moi!, 'moi', xxe)
    t.equal(b.status, 400)
    t.equal(tagText(b.text, 'ErrorCode'), 'ECMS-E004', 'external entity: refused')
    t.notMatch(b.text, /root:/, 'no file content in the answer')
    const bare = await ecmsPost(moi!, 'moi', soapEnvelope('<GetSecretCodes>&xxe;</GetSecretCodes>'))
    t.equal(tagText(bare.text, 'ErrorCode'), 'ECMS-E004', 'an undeclared entity is refused too')
    const big = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '03001' }, attachments: [{ mimeCode: 'application/pdf', bytes: Buffer.alloc(200_000, 1) }] }))))
    t.equal(big.status, 413)
    t.equal(tagText(big.text, 'ErrorCode'), 'ECMS-E002')
    const many = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '03001' }, attachments: [1, 2, 3].map((n) => ({ mimeCode: 'application/pdf', bytes: Buffer.alloc(10, n) })) }))))
    t.equal(many.status, 413, 'the REST API\'s attachment limits hold at the gateway too')
    t.equal(tagText(many.text, 'ErrorCode'), 'ECMS-E002')
    t.match(tagText(many.text, 'ErrorDescription'), /limits\.maxAttachments/)
    const json = await ecmsPost(moi!, 'moi', '{"a":1}', 'application/json')
    t.equal(tagText(json.text, 'ErrorCode'), 'ECMS-E001')
    const broken = await ecmsPost(moi!, 'moi', '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><GetSecretCodes>')
    t.equal(tagText(broken.text, 'ErrorCode'), 'ECMS-E003')
    const notSoap = await ecmsPost(moi!, 'moi', '<GetSecretCodes/>')
    t.equal(tagText(notSoap.text, 'ErrorCode'), 'ECMS-E005')
    const unknownOp = await ecmsPost(moi!, 'moi', soapEnvelope('<FooRequest/>'))
    t.equal(tagText(unknownOp.text, 'ErrorCode'), 'ECMS-E020')
  })

  t.test('an XML-DSig over #Letter is verified and the outcome kept with the letter (RSA-SHA1 legacy)', async (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = publicKey.export({ format: 'jwk' })
    const keyInfo = `<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>${Buffer.from(jwk.n!, 'base64url').toString('base64')}</ds:Modulus><ds:Exponent>${Buffer.from(jwk.e!, 'base64url').toString('base64')}</ds:Exponent></ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo>`
    const sign = (id: string) => {
      const unsigned = soapEnvelope(outboundRequest(governmentDocument({ id, receiver: { department: '03001' } })))
      const sig = new SignedXml({ privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', canonicalizationAlgorithm: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments' })
      sig.addReference({ xpath: "//*[@ID='Letter']", digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1', transforms: ['http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments'] })
      sig.getKeyInfoContent = () => keyInfo.replace(/^<ds:KeyInfo>|<\/ds:KeyInfo>$/g, '')
      sig.computeSignature(unsigned, { prefix: 'ds', location: { reference: "//*[local-name()='SignerParty']", action: 'after' } })
      return sig.getSignedXml()
    }
    const signed = sign('มท 0201.2/200')
    const ok = await ecmsPost(moi!, 'moi', signed)
    t.equal(ok.status, 200, ok.text)
    const good = records.get(tagText(ok.text, 'ProcessID')!)!
    t.equal(good.signature, 'valid', good.signatureReason ?? '')
    t.match(good.signatureXml, /SignatureValue/)

    const tampered = sign('มท 0201.2/201').replace('ขอเชิญประชุม', 'ขอเชิญประชุมด่วน')
    const bad = await ecmsPost(moi!, 'moi', tampered)
    t.equal(bad.status, 200, 'accepted: e-CMS has no trust anchor for the key, the outcome is recorded')
    const rec = records.get(tagText(bad.text, 'ProcessID')!)!
    t.equal(rec.signature, 'invalid')
    t.ok(rec.signatureReason)
    const view = await call(moi!, 'GET', `/api/v1/letters/${rec.letterId}`)
    t.equal(view.body.origin.signature, 'invalid')
    t.equal(view.body.origin.signatureReason, rec.signatureReason)
  })

  t.test('OutboundStatusRequest reports the recipient\'s acts in e-CMS terms', async (t) => {
    const send = async (id: string) => {
      const res = await ecmsPost(moi!, 'moi', soapEnvelope(outboundRequest(governmentDocument({ id, receiver: { department: '03001' } }))))
      const processId = tagText(res.text, 'ProcessID')!
      const done = await waitForRecipient(moi!, processId, 'delivered')
      return { processId, messageId: done.recipients[0].messageId as string }
    }
    const accepted = await send('มท 0201.2/300')
    const rejected = await send('มท 0201.2/301')
    const reg = await call(mof!, 'POST', `/api/v1/inbox/${accepted.messageId}/register`, {})
    t.ok(reg.status < 300, `B registers the letter: ${JSON.stringify(reg.body)}`)
    const rej = await call(mof!, 'POST', `/api/v1/inbox/${rejected.messageId}/reject`, { reasonCode: 'misaddressed', reason: 'ส่งผิดหน่วยงาน' })
    t.ok(rej.status < 300, `B rejects the other as misaddressed: ${JSON.stringify(rej.body)}`)
    const states = await waitFor('both notices at A', async () => {
      const res = await ecmsPost(moi!, 'moi', soapEnvelope('<OutboundStatusRequest/>'))
      const items = res.text.split('<Outbound>').slice(1)
      const of = (pid: string) => items.find((i) => i.includes(`<ProcessID>${pid}</ProcessID>`))
      const a = of(accepted.processId)
      const r = of(rejected.processId)
      return a && r && tagText(a, 'ProcessStatus') !== 'RECEIVED' && tagText(r, 'ProcessStatus') !== 'RECEIVED' ? { a, r } : undefined
    })
    t.equal(tagText(states.a, 'ProcessStatus'), 'ACCEPTED')
    t.match(tagText(states.a, 'AcceptID'), /^[1-9][0-9]*$/, 'the receive number B registered it under')
    t.equal(tagText(states.a, 'AcceptID'), String(reg.body.registration.number))
    t.equal(tagText(states.a, 'ProcessStatusDescription'), 'ปลายทางลงเลขรับหนังสือ')
    t.equal(tagText(states.r, 'ProcessStatus'), 'INVALID', 'misaddressed reads as InvalidLetter in e-CMS terms')
  })

  t.test('rows of the queue helper answer an ErrorDetail until they are filled', async (t) => {
    const res = await ecmsPost(moi!, 'moi', soapEnvelope('<CorrespondenceLetterInboundRequest/>'))
    t.equal(res.status, 200)
    t.ok(['ECMS-E021', undefined].includes(tagText(res.text, 'ErrorCode')) || tagText(res.text, 'ProcessID') !== undefined)
  })

  await waitFor('nothing', () => true)
})
