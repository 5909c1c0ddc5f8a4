// Issue 18 §7: e-CMS clients on two real nodes over real mTLS, writing SOAP as BOI and mil-doc do
// (test/helpers/ecms-client.ts). moi's client is BOI-style, mof's mil-doc-style; dga uses the REST API.
// e-CMS client → node A → node B → e-CMS client, AcceptID back, a reject, withdraw-to-resend, a
// crash between inbound and delete, and REST ⇄ e-CMS both ways.
import t from 'tap'
import { testNet, call, waitFor, type TestNet, type TestNode } from '../helpers/nodes.js'
import { ecmsClient, outboundLetter, notifier, inbound, deleteItem, special, deleteGovernmentDocument, type Answer } from '../helpers/ecms-client.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'

const IDS = { moi: { ministry: '15', department: '15001' }, mof: { ministry: '03', department: '03001' }, dga: { ministry: '20', department: '20001' } } as const

let net: TestNet
t.before(async () => {
  net = await testNet(["moi", "mof", "dga"], { log: process.env.ECMS_LOG === "1",
    editDirectory: (d: DirectoryDocument) => ({ ...d, agencies: d.agencies.map((a) => ({ ...a, ecms: IDS[a.id as keyof typeof IDS] })) }),
    // dga may send labelled classified plaintext (PROTOCOL.md §19.8), to show such a letter never reaches an e-CMS client.
    extraFor: (agency) => (agency === 'dga'
      ? { agencies: [{ id: 'dga', signing: { key: 'signing.key.pem', cert: 'signing.chain.pem' }, encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' }, allowClassifiedPlaintext: true }] }
      : { ecms: { clients: [{ agency }] } }),
  })
  for (const n of Object.values(net.nodes)) await n.start()
})
t.teardown(() => net.stop())

/** The e-CMS URL a node's configuration gives the client of its agency (README "e-CMS gateway"). */
const urlOf = (node: TestNode) => `${node.apiUrl}/ecms/${node.id}/ecms-ws01/service2`
const moiClient = () => ecmsClient(urlOf(net.nodes.moi!), 'boi')
const mofClient = () => ecmsClient(urlOf(net.nodes.mof!), 'mil-doc')

/** The client's polling loop: pulls, and deletes (as a client does once it stored it) every item that
 *  is not the one wanted, until the head of the queue is `kind` (about `letterId`); returns it undeleted. */
async function pull(client: (body: string) => Promise<Answer>, kind: string, letterId?: string): Promise<Answer> {
  return waitFor(`an inbound ${kind} ${letterId ?? ''}`, async () => {
    const a = await client(inbound())
    if (a.error) throw new Error(`inbound failed: ${a.error} ${a.text('ErrorDescription')}`)
    if (a.has(kind) && (letterId === undefined || a.text('LetterID') === letterId || a.text('ID') === letterId)) return a
    if (a.text('ProcessID')) await client(deleteItem(a.text('ProcessID')))
    return undefined
  })
}

const letter = (letterId: string, subject: string) => ({
  letterId, date: '2026-12-01', subject, sender: IDS.moi, receiver: IDS.mof, mainText: 'ทดสอบส่งหนังสือ',
  attachments: [{ mimeCode: 'application/pdf', bytes: Buffer.from('%PDF-1.4 enclosure') }],
})

t.test('e-CMS → node A → node B → e-CMS, Receive and Accept back with the AcceptID as receive number', async (t) => {
  const moi = moiClient()
  const mof = mofClient()
  const sent = await moi(outboundLetter(letter('มท 0201.2/ว 100', 'ขอเชิญประชุม')))
  t.equal(sent.error, undefined, sent.xml)
  t.ok(sent.text('ProcessID'), 'the send answer carries a ProcessID')

  const got = await pull(mof, 'GovernmentDocument')
  const processId = got.text('ProcessID')
  t.ok(processId)
  t.equal(got.text('Subject'), 'ขอเชิญประชุม')
  t.equal(got.text('ID'), 'มท 0201.2/ว 100', 'LetterID is the sender\'s letter number')
  t.equal(Buffer.from(got.text('MainLetterBinaryObject'), 'base64').toString('latin1'), Buffer.from('ทดสอบส่งหนังสือ'.split('').map((c) => c.codePointAt(0)! - 0x0e00 + 0xa0)).toString('latin1'), 'the main letter bytes as sent (TIS-620)')
  t.equal(Buffer.from(got.text('AttachmentBinaryObject'), 'base64').toString(), '%PDF-1.4 enclosure')
  t.equal((await mof(inbound())).text('ProcessID'), processId, 'not deleted yet: the same item again')
  t.equal((await mof(deleteItem(processId))).error, undefined)
  t.equal((await mof(deleteItem(processId))).error, undefined, 'delete is idempotent')
  t.equal((await mof(deleteItem('no-such-process'))).error, 'ECMS-E040')
  t.equal((await mof(inbound())).text('ProcessID'), '', 'the queue is empty: an empty ProcessID')

  // The sender's client learns the node's receipt as ReceiveLetterNotifier.
  const receipt = await pull(moi, 'ReceiveLetterNotifier', 'มท 0201.2/ว 100')
  t.equal(receipt.text('LetterID'), 'มท 0201.2/ว 100')
  t.equal(receipt.text('Code'), IDS.mof.department, 'AcceptDepartment is the recipient')
  await moi(deleteItem(receipt.text('ProcessID')))

  const key = { letterId: 'มท 0201.2/ว 100', date: '2026-12-01', subject: 'ขอเชิญประชุม' }
  const recv = await mof(notifier('ReceiveLetterNotifier', key))
  t.equal(recv.error, undefined, recv.xml)
  t.ok(recv.text('AcceptDate'), 'e-CMS adds AcceptDate')
  t.equal(recv.text('Code'), IDS.mof.department, 'and AcceptDepartment')
  const acc = await mof(notifier('AcceptLetterNotifier', { ...key, acceptId: '42' }))
  t.equal(acc.error, undefined, acc.xml)
  t.equal((await mof(notifier('AcceptLetterNotifier', { ...key, acceptId: '43' }))).error, 'ECMS-E044', 'a second acceptance is refused')

  const inboxItem = (await call(net.nodes.mof!, 'GET', '/api/v1/inbox')).body.items[0]
  t.equal((await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${inboxItem.id}`)).body.registration?.number, 42, 'the AcceptID is the receive number in the register')
  const book = (await call(net.nodes.mof!, 'GET', '/api/v1/registers/receive')).body
  t.same(book.entries.map((e: { number: number }) => e.number), Array.from({ length: 42 }, (_, i) => i + 1), 'no gap: numbers 1–41, given by the client\'s own register, are recorded before 42')
  t.equal(book.entries[41].messageId, inboxItem.id)
  t.match(book.entries[0].remarks, /did not pass through the node/)

  const accepted = await pull(moi, 'AcceptLetterNotifier', 'มท 0201.2/ว 100')
  t.equal(accepted.text('AcceptID'), '42', 'the sender\'s client pulls the AcceptID')
  t.equal(accepted.text('LetterID'), 'มท 0201.2/ว 100')
  await moi(deleteItem(accepted.text('ProcessID')))
})

t.test('a crash between inbound and delete loses nothing; a deleted item can be fetched again', async (t) => {
  const moi = moiClient()
  t.equal((await moi(outboundLetter(letter('มท 0201.2/ว 101', 'ทดสอบการกู้คืน')))).error, undefined)
  const first = await pull(mofClient(), 'GovernmentDocument')
  // Node B stops before the client deletes (and the client crashes with it); both come back.
  await net.nodes.mof!.stop()
  await net.nodes.mof!.start()
  const mof = mofClient()
  const again = await mof(inbound())
  t.equal(again.text('ProcessID'), first.text('ProcessID'), 'after the restart the same item is handed out')
  t.equal(again.text('Subject'), 'ทดสอบการกู้คืน')
  await mof(deleteItem(first.text('ProcessID')))
  // BOI deletes inside its own transaction and may crash before committing: InboundSpecial brings it back.
  const back = await mof(special('GovernmentDocument', { letterId: 'มท 0201.2/ว 101', date: '2026-12-01', senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }))
  t.equal(back.error, undefined, back.xml)
  t.equal(back.text('Subject'), 'ทดสอบการกู้คืน', 'the deleted item, again')
  t.equal(back.text('ProcessID'), first.text('ProcessID'))
  await mof(notifier('AcceptLetterNotifier', { letterId: 'มท 0201.2/ว 101', date: '2026-12-01', subject: '', acceptId: '43' }))
  const accepted = await pull(moi, 'AcceptLetterNotifier', 'มท 0201.2/ว 101')
  t.equal(accepted.text('AcceptID'), '43')
  await moi(deleteItem(accepted.text('ProcessID')))
})

t.test('reject, then withdraw to resend under the same number', async (t) => {
  const moi = moiClient()
  const mof = mofClient()
  const l = letter('มท 0201.2/ว 102', 'ส่งผิดฉบับ')
  t.equal((await moi(outboundLetter(l))).error, undefined)
  const got = await pull(mof, 'GovernmentDocument')
  await mof(deleteItem(got.text('ProcessID')))
  const key = { letterId: l.letterId, date: l.date, subject: l.subject }
  t.equal((await mof(notifier('RejectLetterNotifier', key))).error, undefined)
  const rejected = await pull(moi, 'RejectLetterNotifier', l.letterId)
  t.equal(rejected.text('LetterID'), l.letterId)
  await moi(deleteItem(rejected.text('ProcessID')))

  // mil-doc's flow after a reject: delete the government document at the source, then send again.
  const gk = { letterId: l.letterId, date: l.date, senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }
  const del = await moi(deleteGovernmentDocument(gk))
  t.equal(del.error, undefined, del.xml)
  t.equal((await moi(deleteGovernmentDocument(gk))).error, 'ECMS-E041', 'the deleted letter is gone from e-CMS\'s key')
  const again = await moi(outboundLetter({ ...l, subject: 'ส่งใหม่ฉบับถูกต้อง' }))
  t.equal(again.error, undefined, again.xml)
  const resent = await pull(mof, 'GovernmentDocument')
  t.equal(resent.text('Subject'), 'ส่งใหม่ฉบับถูกต้อง', 'the resent letter arrives as a new one')
  t.not(resent.text('ProcessID'), got.text('ProcessID'))
  await mof(deleteItem(resent.text('ProcessID')))
  t.equal((await mof(notifier('AcceptLetterNotifier', { ...key, acceptId: '44' }))).error, undefined, 'and can be accepted')
})

t.test('withdrawn before the client pulled it: it leaves the queue', async (t) => {
  const moi = moiClient()
  const l = letter('มท 0201.2/ว 103', 'ยกเลิกก่อนรับ')
  t.equal((await moi(outboundLetter(l))).error, undefined)
  await moi(deleteItem((await pull(moi, 'ReceiveLetterNotifier', l.letterId)).text('ProcessID')))
  const del = await moi(deleteGovernmentDocument({ letterId: l.letterId, date: l.date, senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }))
  t.equal(del.error, undefined, del.xml)
  const mof = mofClient()
  await waitFor('the withdrawal at mof', async () => (await call(net.nodes.mof!, 'GET', '/api/v1/inbox')).body.items.find((i: { state?: string }) => i.state === 'withdrawn'))
  t.equal((await mof(inbound())).text('ProcessID'), '', 'nothing for the client to pull')
})

t.test('REST API ⇄ e-CMS: a REST letter looks like any e-CMS letter, and answers flow back both ways', async (t) => {
  const mof = mofClient()
  const sent = await call(net.nodes.dga!, 'POST', '/api/v1/letters', { letter: {
    kind: 'EXTERNAL', number: 'สพร 1/2569', date: '2026-12-02', subject: 'แจ้งผลการทดสอบระบบ', salutation: 'เรียน ปลัดกระทรวงการคลัง',
    recipients: [{ agency: 'mof' }], body: 'ตามที่ได้ทดสอบระบบ', closing: 'ขอแสดงความนับถือ', signer: { name: 'นางสาวทดสอบ ระบบดี', position: 'ผู้อำนวยการ' },
  }, attachments: [{ filename: 'letter.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.4 letter').toString('base64') }] })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const got = await pull(mof, 'GovernmentDocument')
  t.equal(got.text('ID'), 'สพร 1/2569')
  t.equal(got.text('SecretCode'), '001')
  t.equal(got.text('SpeedCode'), '001')
  t.equal(Buffer.from(got.text('MainLetterBinaryObject'), 'base64').toString(), '%PDF-1.4 letter', 'the letter file is the main letter')
  t.equal(got.xml.includes('AttachmentBinaryObject'), false)
  await mof(deleteItem(got.text('ProcessID')))
  t.equal((await mof(notifier('AcceptLetterNotifier', { letterId: 'สพร 1/2569', date: '2026-12-02', subject: '', acceptId: '50/2569' }))).error, undefined)
  const view = await waitFor('dga sees the acceptance', async () => {
    const r = await call(net.nodes.dga!, 'GET', `/api/v1/letters/${sent.body.id ?? sent.body.letterId}`)
    return r.body.recipients?.[0]?.accepted ? r.body : undefined
  })
  t.equal(view.recipients[0].accepted.number, 50, 'the REST sender sees the AcceptID as receive number')

  // e-CMS → REST: dga registers through the API; moi's client pulls the AcceptLetterNotifier.
  const moi = moiClient()
  const l = { ...letter('มท 0201.2/ว 104', 'ถึงหน่วยงานที่ใช้ REST'), receiver: IDS.dga }
  t.equal((await moi(outboundLetter(l))).error, undefined)
  const inboxItem = await waitFor('dga receives', async () => (await call(net.nodes.dga!, 'GET', '/api/v1/inbox')).body.items[0])
  t.equal((await call(net.nodes.dga!, 'POST', `/api/v1/inbox/${inboxItem.id}/register`, {})).status, 200, 'dga registers through the REST API')
  const a = await pull(moi, 'AcceptLetterNotifier', l.letterId)
  t.equal(a.text('AcceptID'), '1', 'dga\'s first receive number')
  t.equal(a.text('Code'), IDS.dga.department, 'AcceptDepartment is the REST recipient')
  await moi(deleteItem(a.text('ProcessID')))
})

t.test('a classified letter is never queued for an e-CMS client', async (t) => {
  const mof = mofClient()
  const secret = await call(net.nodes.dga!, 'POST', '/api/v1/letters', { letter: {
    kind: 'EXTERNAL', number: 'สพร ลับ 1/2569', date: '2026-12-03', subject: 'เรื่องลับ', salutation: 'เรียน ปลัดกระทรวงการคลัง', secrecy: 'CONFIDENTIAL',
    recipients: [{ agency: 'mof' }], body: 'ข้อความลับ', closing: 'ขอแสดงความนับถือ', signer: { name: 'นางสาวทดสอบ ระบบดี', position: 'ผู้อำนวยการ' },
  } })
  t.equal(secret.status, 202, JSON.stringify(secret.body))
  // Then an ordinary one: once it is at the head of the queue, the classified one was passed over.
  const plain = await call(net.nodes.dga!, 'POST', '/api/v1/letters', { letter: {
    kind: 'EXTERNAL', number: 'สพร 2/2569', date: '2026-12-03', subject: 'เรื่องปกติ', salutation: 'เรียน ปลัดกระทรวงการคลัง',
    recipients: [{ agency: 'mof' }], body: 'ข้อความ', closing: 'ขอแสดงความนับถือ', signer: { name: 'นางสาวทดสอบ ระบบดี', position: 'ผู้อำนวยการ' },
  } })
  t.equal(plain.status, 202)
  await waitFor('both letters at mof', async () => ((await call(net.nodes.mof!, 'GET', '/api/v1/inbox')).body.items.filter((i: { from: string; receivedAt: string }) => i.from === 'dga' && i.receivedAt).length >= 3 ? true : undefined))
  const got = await pull(mof, 'GovernmentDocument', 'สพร 2/2569')
  t.notOk(got.xml.includes('เรื่องลับ'))
  await mof(deleteItem(got.text('ProcessID')))
  t.equal((await mof(inbound())).text('ProcessID'), '', 'nothing else: the classified letter is not in the queue')
  t.equal((await mof(special('GovernmentDocument', { letterId: 'สพร ลับ 1/2569', date: '2026-12-03', senderDepartment: IDS.dga.department, acceptDepartment: IDS.mof.department }))).error, 'ECMS-E041', 'nor can it be asked for')
})

/** The log entries of a type naming a notice message id, in a node's transparency log (PROTOCOL.md §20.3.5). */
function logEntries(node: TestNode, type: string, mid: string): Array<Record<string, unknown>> {
  const rows = node.ctx!.db.sqlite.prepare('SELECT entry FROM log_entries').pluck().all() as Buffer[]
  return rows.map((e) => JSON.parse(e.toString()) as Record<string, unknown>).filter((e) => e['type'] === type && JSON.stringify(e).includes(mid))
}

t.test('InvalidAcceptIDNotifier both ways: the sender disputes AcceptID 42, the recipient\'s client pulls it', async (t) => {
  // The letter of the first test: mof's client accepted it with AcceptID 42, moi's client pulled that.
  const moi = moiClient()
  const mof = mofClient()
  const key = { letterId: 'มท 0201.2/ว 100', date: '2026-12-01', subject: 'ขอเชิญประชุม' }
  t.equal((await moi(notifier('InvalidAcceptIDNotifier', { ...key, acceptId: '41' }))).error, 'ECMS-E042', 'no recipient accepted it under 41')
  t.equal((await moi(notifier('InvalidAcceptIDNotifier', { ...key, letterId: 'มท 0201.2/ว 999', acceptId: '42' }))).error, 'ECMS-E041', 'an unknown letter')
  t.equal((await mof(notifier('InvalidAcceptIDNotifier', { ...key, acceptId: '42' }))).error, 'ECMS-E041', 'the recipient did not send that letter: it cannot dispute')
  const disputed = await moi(notifier('InvalidAcceptIDNotifier', { ...key, acceptId: '42' }))
  t.equal(disputed.error, undefined, disputed.xml)
  t.ok(disputed.text('AcceptDate'), 'answered as e-CMS answers a notifier')
  t.equal((await moi(notifier('InvalidAcceptIDNotifier', { ...key, acceptId: '42' }))).error, undefined, 'sent again: the same answer (a retry)')

  const got = await pull(mof, 'InvalidAcceptIDNotifier', key.letterId)
  t.equal(got.text('AcceptID'), '42', 'the recipient\'s client is told which receive number is disputed')
  t.equal(got.text('CorrespondenceDate'), key.date)
  await mof(deleteItem(got.text('ProcessID')))
  const again = await mof(special('InvalidAcceptIDNotifier', { letterId: key.letterId, date: key.date, senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }))
  t.equal(again.error, undefined, again.xml)
  t.equal(again.text('AcceptID'), '42', 'InboundSpecial hands the deleted dispute out again')

  // The REST views on both sides, the event, and the transparency log of both nodes.
  const item = (await call(net.nodes.mof!, 'GET', '/api/v1/inbox')).body.items.find((i: { number?: string }) => i.number === key.letterId)
  const msg = (await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${item.id}`)).body
  t.equal(msg.state, 'registered', 'the acceptance stands')
  t.equal(msg.dispute?.number, 42)
  t.match(msg.dispute?.reason, /InvalidAcceptIDNotifier/)
  const events = (await call(net.nodes.mof!, 'GET', '/api/v1/events?types=letter.disputed', undefined, { accept: 'application/json' })).body
  t.ok(JSON.stringify(events).includes('letter.disputed'), 'mof\'s saraban system is told (event letter.disputed)')
  const noticeMid = msg.dispute.noticeMessageId as string
  await waitFor('the dispute in both logs', async () => (logEntries(net.nodes.moi!, 'notice.sent', noticeMid).length === 1 && logEntries(net.nodes.mof!, 'notice.received', noticeMid).length === 1 ? true : undefined))
  t.match(logEntries(net.nodes.moi!, 'notice.sent', noticeMid)[0], { notice: 'disputed' }, 'moi logged notice.sent')
  t.match(logEntries(net.nodes.mof!, 'notice.received', noticeMid)[0], { notice: 'disputed' }, 'mof logged notice.received')
})

t.test('withdrawn while still queued (recipient node down): cancelled, never delivered', async (t) => {
  await net.nodes.mof!.stop()
  const moi = moiClient()
  const l = letter('มท 0201.2/ว 105', 'ยกเลิกก่อนส่งถึง')
  const sent = await moi(outboundLetter(l))
  t.equal(sent.error, undefined)
  // No event has named this letter yet: it is found among moi's sent letters by number and date.
  const del = await moi(deleteGovernmentDocument({ letterId: l.letterId, date: l.date, senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }))
  t.equal(del.error, undefined, del.xml)
  const view = (await call(net.nodes.moi!, 'GET', `/api/v1/letters/${sent.text('ProcessID')}`)).body
  t.equal(view.recipients[0].withdrawn?.cancelled, true, 'the queued delivery was cancelled')
  await net.nodes.mof!.start()
  const mof = mofClient()
  t.equal((await mof(inbound())).text('ProcessID'), '', 'mof\'s client never sees it')
})
