// The bench's letter (issue 16 item 1): about 2.5 KB of Thai metadata and a 100 KB PDF, as the JSON
// body of POST /api/v1/letters from `from` to `to`.
import { samplePdf } from '../../src/cli/sample-pdf.js'

export interface BenchLetter {
  readonly letter: Record<string, unknown>
  readonly pdf: Buffer
  /** The request body. */
  readonly payload: string
  /** The letter's JSON alone, in bytes. */
  readonly metaBytes: number
}

export function benchLetter(to: string): BenchLetter {
  const pdf = samplePdf('bench', ['saraban-node benchmark letter'], 100 * 1024)
  const body = 'ด้วยกระทรวงมหาดไทยขอแจ้งแนวทางการปฏิบัติงานสารบรรณอิเล็กทรอนิกส์ให้ทราบและถือปฏิบัติ '.repeat(8)
  const letter = {
    kind: 'EXTERNAL', date: '2026-11-25', subject: 'การทดสอบประสิทธิภาพการรับส่งหนังสือราชการ',
    salutation: 'เรียน ปลัดกระทรวงการคลัง', recipients: [{ agency: to }], body, closing: 'ขอแสดงความนับถือ',
    signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
  }
  const payload = JSON.stringify({ letter, attachments: [{ filename: 'letter.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] })
  return { letter, pdf, payload, metaBytes: Buffer.byteLength(JSON.stringify(letter)) }
}
