// Rendering registers for people: script runs and Thai line wrapping (thai-text.ts), CSV fields
// (RFC 4180, formula-safe), and the PDF export (structure, embedded fonts, pages, no blocking).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { inflateSync } from 'node:zlib'
import { runsOf, wrap, scriptOf, type Run } from '../../src/render/thai-text.js'
import { csvField, csvRow, remarksOf } from '../../src/render/register-csv.js'
import { registerPdf } from '../../src/render/register-pdf.js'
import { pdfTextString } from '../../src/render/pdf-actual-text.js'
import { BUILT_IN_BOOKS, factsOfLetter, letterNumberOf } from '../../src/domain/registers.js'
import type { RegisterEntry } from '../../src/storage/registers.js'
import { thaiTime } from '../../src/domain/thai.js'

// Every character 10 units wide: wrapping is then checked in characters.
const tenEach = (r: Run) => [...r.text].length * 10

t.test('runs split Thai from everything else; spaces and ASCII digits are Latin', async (t) => {
  t.same(runsOf('ที่ มท 0201.2/ว 45'), [
    { script: 'thai', text: 'ที่' }, { script: 'latin', text: ' ' }, { script: 'thai', text: 'มท' },
    { script: 'latin', text: ' 0201.2/' }, { script: 'thai', text: 'ว' }, { script: 'latin', text: ' 45' },
  ])
  t.equal(scriptOf('๙'), 'thai', 'Thai digits are in the Thai subset')
  t.equal(scriptOf('A'), 'latin')
})

t.test('wrap breaks Thai at word boundaries, never inside a cluster, and keeps hard breaks', async (t) => {
  const lines = wrap('ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณ', 80, tenEach)
  t.ok(lines.length > 1)
  t.equal(lines.join(''), 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณ', 'nothing lost or added')
  for (const l of lines) t.notMatch(l, /^[\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]/, `"${l}" does not start with a combining mark`)
  t.same(wrap('ก\nข', 100, tenEach), ['ก', 'ข'])
  // a single word wider than the column breaks between grapheme clusters
  const long = wrap('ที่ที่ที่ที่ที่', 25, tenEach)
  t.ok(long.every((l) => /^(ที่)+$/.test(l)), JSON.stringify(long))
  t.same(wrap('a (b c', 30, tenEach), ['a', '(b', 'c'], 'an opening bracket stays with its word')
  const capped = wrap('หนึ่ง สอง สาม สี่ ห้า', 30, tenEach, 2)
  t.equal(capped.length, 2)
  t.match(capped[1], /…$/)
})

t.test('thaiTime: the time of day in Asia/Bangkok as on a receipt stamp', async (t) => {
  t.equal(thaiTime(Date.UTC(2026, 10, 25, 7, 30)), '๑๔.๓๐ น.')
  t.equal(thaiTime('2026-11-25T23:05:00Z', { digits: 'arabic' }), '06.05 น.')
})

t.test('CSV fields: quoted when needed, quotes doubled, formulas defused', async (t) => {
  t.equal(csvField('ธรรมดา'), 'ธรรมดา')
  t.equal(csvField('a,b'), '"a,b"')
  t.equal(csvField('say "hi"'), '"say ""hi"""')
  t.equal(csvField('two\nlines'), '"two\nlines"')
  t.equal(csvField('=1+1'), "'=1+1")
  t.equal(csvField('@SUM(A1)'), "'@SUM(A1)")
  t.equal(csvField(-5), '-5', 'numbers are not text from outside')
  t.equal(csvField(null), '')
})

const entry = (n: number, over: Partial<RegisterEntry> = {}): RegisterEntry => ({
  agency: 'moi', book: 'receive', year: 2026, number: n, status: 'active', recordedAt: Date.UTC(2026, 10, 25, 7, 30),
  letterNumber: 'กค 0406.2/ว 123', letterDate: '2026-11-25', from: 'กระทรวงการคลัง', to: 'ปลัดกระทรวงมหาดไทย',
  subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์', action: null, remarks: null,
  messageId: null, letterId: null, cancelledAt: null, cancelReason: null, ...over,
})

t.test('CSV rows: Buddhist-era dates for people, ISO for machines, cancelled entries say so', async (t) => {
  t.equal(csvRow(entry(12)),
    '12,กค 0406.2/ว 123,25 พฤศจิกายน 2569,กระทรวงการคลัง,ปลัดกระทรวงมหาดไทย,ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์,,,' +
    '25 พฤศจิกายน 2569 เวลา 14.30 น.,active,2026-11-25T07:30:00.000Z,2026-11-25,,\r\n')
  t.equal(remarksOf(entry(1, { status: 'cancelled', cancelReason: 'ซ้ำ', remarks: 'ด่วน' })), 'ด่วน (ยกเลิก: ซ้ำ)')
})

t.test('letter numbers and register facts of a letter', async (t) => {
  t.equal(letterNumberOf('มท 0201.2', BUILT_IN_BOOKS[2]!, 1590), 'มท 0201.2/ว 1590')
  t.equal(letterNumberOf('ศธ 04056.12', BUILT_IN_BOOKS[1]!, 45), 'ศธ 04056.12/45')
  const many = Array.from({ length: 500 }, (_, i) => ({ agency: `a${i}` }))
  const f = factsOfLetter({ date: '2026-11-25', subject: 'เวียน', recipients: many, copyTo: [{ agency: 'dga' }] }, 'moi', (a) => a.toUpperCase())
  t.match(f, { from: 'MOI', to: 'A0, A1, A2 และอีก 497 หน่วยงาน (สำเนา DGA)', letterDate: '2026-11-25', subject: 'เวียน' })
})

async function pdfOf(entries: Iterable<RegisterEntry>, total: number): Promise<{ pdf: Buffer; ms: number; maxGapMs: number }> {
  const start = performance.now()
  let last = start
  let maxGapMs = 0
  const tick = setInterval(() => {
    const now = performance.now()
    maxGapMs = Math.max(maxGapMs, now - last)
    last = now
  }, 5)
  const doc = registerPdf({ book: BUILT_IN_BOOKS[0]!, agency: 'moi', agencyName: 'กระทรวงมหาดไทย', year: 2026, total, entries, printedAt: Date.UTC(2026, 10, 26) })
  const chunks: Buffer[] = []
  for await (const c of doc) chunks.push(c as Buffer)
  clearInterval(tick)
  return { pdf: Buffer.concat(chunks), ms: performance.now() - start, maxGapMs }
}

t.test('PDF: pages, embedded Thai and Latin fonts, an empty register still prints', async (t) => {
  const { pdf } = await pdfOf(Array.from({ length: 40 }, (_, i) => entry(i + 1, i === 3 ? { status: 'cancelled', cancelReason: 'ซ้ำ' } : {})), 40)
  const text = pdf.toString('latin1')
  t.equal(text.slice(0, 5), '%PDF-')
  t.match(text, /%%EOF\s*$/)
  const pages = text.match(/\/Type \/Page\b/g)?.length ?? 0
  t.ok(pages >= 2, `40 rows take more than one page (${pages})`)
  t.equal(new Set(text.match(/\/BaseFont \/[A-Z]{6}\+Sarabun-(Regular|Bold)/g)).size, 4, 'Thai and Latin subsets, regular and bold')
  t.match(text, /\/Lang \(th-TH\)/)
  const odd = await pdfOf([entry(1, { subject: 'ตัวอักษรนอกชุด 漢字 😀 — “quoted” ๑๒๓' })], 1)
  t.equal(odd.pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'characters outside both subsets do not break the export')
  const empty = await pdfOf([], 0)
  t.equal((empty.pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length, 1)
})

t.test('PDF of a large register streams without holding the event loop (prints what it measured)', async (t) => {
  const N = 3000
  function* lazily() {
    for (let i = 1; i <= N; i++) yield entry(i, { subject: i % 4 === 0 ? 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์ ครั้งที่ 3/2569 และขอให้จัดส่งรายชื่อผู้เข้าร่วมประชุม' : 'ขอความร่วมมือตอบแบบสำรวจ' })
  }
  const { pdf, ms, maxGapMs } = await pdfOf(lazily(), N)
  t.comment(`${N} entries: ${(pdf.length / 1024).toFixed(0)} KiB in ${ms.toFixed(0)} ms; longest event-loop stall ${maxGapMs.toFixed(0)} ms`)
  t.ok(pdf.length > 0)
})

// poppler-utils (.ci/run installs it): the text layer as a reader's tools extract it.
const pdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' })
    return (pdf: Buffer, ...args: string[]) => execFileSync('pdftotext', [...args, '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8')
  } catch {
    return undefined
  }
})()

t.test('PDF text layer: words with SARA AM (ำ) extract as written, not with a second า', { skip: pdftotext ? false : 'pdftotext (poppler-utils) is not installed' }, async (t) => {
  // ำ is drawn as NIKHAHIT + SARA AA (a tone mark goes between: น้ำ); before the fix the text layer read ทำางาน.
  const words = ['ทำงาน', 'น้ำ', 'ค่ำ', 'ต่ำ', 'จำนวน', 'กำหนด', 'สำนักงาน']
  const { pdf } = await pdfOf([entry(1, { subject: words.join(' '), from: 'สำนักงานปลัดกระทรวงการคลัง', to: 'นายอำเภอเมือง' })], 1)
  for (const mode of [[], ['-layout'], ['-raw']]) {
    const text = pdftotext!(pdf, ...mode).normalize('NFC')
    t.notMatch(text, /\u0E33\u0E32/, `no ำา in pdftotext ${mode.join(' ')}`)
    t.match(text, 'ประจำปี', `the title's ประจำปี (pdftotext ${mode.join(' ')})`)
    for (const w of ['นายอำเภอเมือง', ...words]) t.ok(text.includes(w), `${w} (pdftotext ${mode.join(' ')})`)
  }
  // Only runs with ำ carry replacement text; the rest of the text layer is the glyphs' own.
  const raw = contentStreams(pdf)
  t.ok(raw.includes(`/ActualText ${pdfTextString('ประจำปี')}`), 'the ActualText is the run, UTF-16BE')
  t.notOk(raw.includes(`/ActualText ${pdfTextString('กรมทางหลวง')}`))
})

/** The page content streams (PDFKit deflates them), as latin1 text. */
function contentStreams(pdf: Buffer): string {
  let out = ''
  const text = pdf.toString('latin1')
  for (const m of text.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length
    const end = text.indexOf('endstream', start)
    try {
      out += inflateSync(pdf.subarray(start, end)).toString('latin1')
    } catch {
      // fonts and other binary streams (or one that is not deflated)
    }
  }
  return out
}

t.test('pdfTextString: UTF-16BE with a byte order mark, as hex', async (t) => {
  t.equal(pdfTextString('ำ'), '<FEFF0E33>')
  t.equal(pdfTextString('A😀'), '<FEFF0041D83DDE00>')
})
