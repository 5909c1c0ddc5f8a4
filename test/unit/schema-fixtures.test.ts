// Realistic Thai letters shared by the schema tests. Run directly, it checks that they are valid;
// imported by another test, it only provides them.
import t from 'tap'
import { pathToFileURL } from 'node:url'
import { check, schemaIds } from '../../src/schema/index.js'
import type { LetterDraft } from '../../src/domain/letter.js'

export function draft(): LetterDraft & Record<string, unknown> {
  return {
    kind: 'EXTERNAL',
    number: 'มท 0201.2/1590',
    date: '2026-11-25',
    subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
    salutation: 'เรียน ปลัดกระทรวงการคลัง',
    sender: { agency: 'moi', name: 'กระทรวงมหาดไทย', address: 'ถนนอัษฎางค์ แขวงวังบูรพาภิรมย์\nเขตพระนคร กรุงเทพฯ 10200' },
    recipients: [{ agency: 'mof', title: 'ปลัดกระทรวงการคลัง' }],
    references: [{ text: 'หนังสือกระทรวงการคลัง ที่ กค 0406.2/ว 123 ลงวันที่ 1 มีนาคม 2569', number: 'กค 0406.2/ว 123', date: '2026-03-01', agency: 'mof' }],
    enclosures: [{ description: 'กำหนดการประชุม', count: 1, unit: 'ฉบับ' }],
    body: 'ด้วยกระทรวงมหาดไทยจะจัดประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์\nในวันที่ ๒ ธันวาคม ๒๕๖๙ เวลา ๐๙.๓๐ น.\n\tจึงเรียนมาเพื่อโปรดพิจารณา',
    closing: 'ขอแสดงความนับถือ',
    signer: { name: 'นายสมชาย ใจดี', position: 'รองปลัดกระทรวงมหาดไทย', actingFor: { capacity: 'ON_BEHALF', position: 'ปลัดกระทรวงมหาดไทย' } },
    owningUnit: { name: 'กองกลาง สำนักงานปลัดกระทรวงมหาดไทย', phone: '0 2222 1141 ต่อ 50521', fax: '0 2226 4371', email: 'saraban@moi.go.th' },
  } as LetterDraft & Record<string, unknown>
}

export function letter(): Record<string, unknown> {
  return {
    ...draft(),
    urgency: 'URGENT',
    deliverBy: '2026-11-26T16:30:00+07:00',
    secrecy: 'UNCLASSIFIED',
    attachments: [
      { id: 'a1', filename: 'หนังสือเชิญประชุม.pdf', mediaType: 'application/pdf', size: 120000, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      { id: 'a2', filename: 'กำหนดการ.pdf', mediaType: 'application/pdf', size: 0, sha256: '0000000000000000000000000000000000000000000000000000000000000000' },
    ],
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  t.test('the shared fixtures are valid', async (t) => {
    t.same(check(schemaIds.letter, letter()), { ok: true, value: letter() })
    t.ok(check(schemaIds.apiLetterCreate, { letter: draft() }).ok)
  })
}
