// The pure pieces of the e-CMS receiving side (issue 18 §3, §4): AcceptID → receive number, department
// codes in both lengths, and a received letter → GovernmentDocument / a queued ack → notifier.
import t from 'tap'
import { SarabanError } from '../../src/errors.js'
import { receiveNumber } from '../../src/services/ecms/acks.js'
import { deptEqual } from '../../src/services/ecms/pull.js'
import { documentOf, mainLetterIndex, notifierOf } from '../../src/gateways/ecms/mapping/inbound.js'
import type { Correlation } from '../../src/storage/ecms-queue.js'
import type { Letter } from '../../src/domain/letter.js'

t.test('AcceptID is a receive number: digits, optionally /year', async (t) => {
  t.equal(receiveNumber('123'), 123)
  t.equal(receiveNumber(' 123/2569 '), 123)
  for (const bad of ['', 'รับ 12', '12/69', '0', '1234567890']) {
    let caught: unknown
    try {
      receiveNumber(bad)
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof SarabanError && caught.code === 'ERR_REQUEST_INVALID' && caught.field === 'AcceptID', `"${bad}" is refused`)
  }
})

t.test('5- and 10-digit department codes name the same department', async (t) => {
  t.ok(deptEqual('02006', '0200600000'))
  t.ok(deptEqual('03001', '03001'))
  t.notOk(deptEqual('02006', '02007'))
})

const corr: Correlation = {
  id: 1, direction: 'in', agency: 'mof', senderAgency: 'dga', recipientAgency: 'mof', ecmsLetterId: 'สพร 1/2569', correspondenceDate: '2026-12-02',
  senderDept: '20001', receiverDept: '03001', messageId: 'm', letterId: null, createdAt: 0, clientReceivedAt: null, retiredAt: null,
}
const letter: Letter = {
  kind: 'EXTERNAL', number: 'สพร 1/2569', date: '2026-12-02', subject: 'แจ้งผล', salutation: 'เรียน ปลัดกระทรวงการคลัง', recipients: [{ agency: 'mof', title: 'ปลัดกระทรวงการคลัง' }],
  body: 'ตามที่ได้ทดสอบระบบ', signer: { name: 'นางสาวทดสอบ ระบบดี', position: 'ผู้อำนวยการ' }, urgency: 'VERY_URGENT', secrecy: 'UNCLASSIFIED',
  enclosures: [{ description: 'รายงาน', count: 2 }], sender: { agency: 'dga', name: 'สพร.' }, attachments: [],
}

t.test('a REST letter as a GovernmentDocument', async (t) => {
  const pdf = { filename: 'report.pdf', mediaType: 'application/pdf', bytes: Buffer.from('%PDF report') }
  const main = { filename: 'letter.pdf', mediaType: 'application/pdf', bytes: Buffer.from('%PDF letter') }
  t.equal(mainLetterIndex([pdf, main]), 1, 'the file named letter.* is the main letter')
  t.equal(mainLetterIndex([pdf]), 0, 'else the first file')
  const d = documentOf({ letter, senderAgency: 'dga', recipientAgency: 'mof', attachments: [pdf, main] }, corr)
  t.equal(d.letterId, 'สพร 1/2569')
  t.equal(d.speedCode, '003')
  t.equal(d.secretCode, '001')
  t.equal(d.sender.department, '20001')
  t.equal(d.sender.ministry, '20')
  t.equal(d.receiver.jobTitle, 'ปลัดกระทรวงการคลัง')
  t.equal(d.attachmentText, 'รายงาน 2 ฉบับ')
  t.equal(d.mainLetter?.bytes.toString(), '%PDF letter')
  t.same(d.attachments.map((a) => a.bytes.toString()), ['%PDF report'])
  const bare = documentOf({ letter, senderAgency: 'dga', recipientAgency: 'mof', attachments: [] }, corr)
  t.equal(bare.mainLetter?.mimeCode, 'text/plain')
  t.match(bare.mainLetter?.bytes.toString('utf8'), /ตามที่ได้ทดสอบระบบ/, 'a letter without files: its text is the main letter')
})

t.test('a queued acceptance as AcceptLetterNotifier, with AcceptDate in Thai time', async (t) => {
  const n = notifierOf({ kind: 'AcceptLetterNotifier', processId: 'p', correlation: { ...corr, direction: 'out' }, subject: 'แจ้งผล', facts: { acceptId: '42', acceptDate: '2026-12-02T03:00:00.000Z', acceptDepartment: '03001' } })
  t.equal(n.acceptId, '42')
  t.equal(n.acceptDate, '2026-12-02T10:00:00.000+07:00')
  t.equal(n.acceptDepartment, '03001')
  t.equal(n.letterId, 'สพร 1/2569')
})
