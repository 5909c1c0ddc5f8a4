// Issue 16 item 3: a national circular goes to every local administration (7,850 agencies), so a
// letter names up to 10,000 addressees in `recipients` and as many in `copyTo` (PROTOCOL.md §5.5).
// Checked where the limit lives: the normative letter schema (what a receiver accepts on the wire)
// and the API's request schema (POST /api/v1/letters), which refers to it.
import t from 'tap'
import { check, schemaIds } from '../../src/schema/index.js'

const LIMIT = 10_000
const agencies = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ agency: `${prefix}${i + 1}` }))
const letter = (recipients: unknown[], copyTo?: unknown[]) => ({
  kind: 'EXTERNAL', number: 'มท 0201.2/ว 1590', date: '2026-12-06', subject: 'หนังสือเวียน', salutation: 'เรียน นายกองค์การบริหารส่วนตำบลทุกแห่ง',
  sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' }, recipients, ...(copyTo ? { copyTo } : {}), body: 'ข', closing: 'ขอแสดงความนับถือ',
  signer: { name: 'ง', position: 'จ' }, attachments: [],
})

t.test('the signed letter: 10,000 recipients and 10,000 copies pass, one more of either is refused', async (t) => {
  t.ok(check(schemaIds.letter, letter(agencies(7850))).ok, 'the national circular (7,850 agencies)')
  t.ok(check(schemaIds.letter, letter(agencies(LIMIT), agencies(LIMIT, 'c'))).ok, 'the limit itself, in both lists')
  const over = check(schemaIds.letter, letter(agencies(LIMIT + 1)))
  t.same(over.ok ? [] : over.errors.map((e) => e.field), ['/recipients'])
  const overCopies = check(schemaIds.letter, letter(agencies(1), agencies(LIMIT + 1, 'c')))
  t.same(overCopies.ok ? [] : overCopies.errors.map((e) => e.field), ['/copyTo'])
})

t.test('the API request (POST /api/v1/letters) takes a 10,000-recipient draft and refuses 10,001', async (t) => {
  const draft = (n: number) => { const { attachments: _a, ...d } = letter(agencies(n)); return { letter: d } }
  t.ok(check(schemaIds.apiLetterCreate, draft(LIMIT)).ok)
  const over = check(schemaIds.apiLetterCreate, draft(LIMIT + 1))
  t.same(over.ok ? [] : over.errors.map((e) => e.field), ['/letter/recipients'])
})
