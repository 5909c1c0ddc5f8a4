// Register numbering on a real SQLite file (README "Registers"): yearly series in Asia/Bangkok time,
// no gaps and no reuse under concurrent writes and across a reopen, supplied numbers, idempotent
// receive, outgoing letter numbers, cancelled numbers that stay used, recordSent linking.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, RegisterStore } from '../../src/storage/index.js'
import { Registers } from '../../src/services/registers.js'
import { SarabanError } from '../../src/errors.js'
import { checkSuppliedNumber, registerYear } from '../../src/domain/registers.js'

const OWNER: Record<string, string> = { moi: 'มท 0201.2', mof: 'กค 0406.2' }

function open(t: { teardown(fn: () => unknown): void }, file?: string) {
  const dir = file ? undefined : mkdtempSync(join(tmpdir(), 'saraban-reg-'))
  const path = file ?? join(dir!, 'saraban.sqlite')
  const db = Db.open(path)
  const registers = new Registers({
    store: new RegisterStore(db),
    books: [{ id: 'classified', direction: 'receive', title: 'ทะเบียนหนังสือรับ (ลับ)', prefix: '' }],
    ownerCode: (a) => OWNER[a],
  })
  t.teardown(async () => {
    await db.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  return { db, registers, file: path }
}

const code = (err: unknown) => (err instanceof SarabanError ? err.code : String(err))
// 2026-06-01 12:00 +07:00
const JUNE = Date.UTC(2026, 5, 1, 5)

t.test('the register year is the calendar year in Asia/Bangkok', async (t) => {
  t.equal(registerYear(Date.UTC(2026, 11, 31, 16, 59, 59)), 2026, '31 Dec 23:59:59 +07:00')
  t.equal(registerYear(Date.UTC(2026, 11, 31, 17, 0, 0)), 2027, '1 Jan 00:00 +07:00 (still 31 Dec in UTC)')
})

t.test('supplied numbers: only the next one', async (t) => {
  t.same(checkSuppliedNumber(1, 0), { ok: true })
  t.match(checkSuppliedNumber(3, 3), { ok: false, code: 'ERR_REGISTER_NUMBER_TAKEN' })
  t.match(checkSuppliedNumber(5, 3), { ok: false, code: 'ERR_REGISTER_NUMBER_NOT_NEXT' })
})

t.test('receive numbers from 1 per agency, book and Bangkok year; a new year starts again at 1', async (t) => {
  const { db, registers } = open(t)
  const recv = (agency: string, at: number, book?: string) =>
    db.write(() => registers.receive({ agency, messageId: randomUUID(), at, book, entry: { subject: 'ขอเชิญประชุม' } }))
  t.match(await recv('moi', JUNE), { book: 'receive', year: 2026, number: 1, created: true })
  t.match(await recv('moi', JUNE), { number: 2 })
  t.match(await recv('mof', JUNE), { number: 1 }, 'another agency has its own series')
  t.match(await recv('moi', JUNE, 'classified'), { book: 'classified', number: 1 }, 'another book has its own series')
  t.match(await recv('moi', Date.UTC(2026, 11, 31, 16, 59)), { year: 2026, number: 3 })
  t.match(await recv('moi', Date.UTC(2026, 11, 31, 17, 0)), { year: 2027, number: 1 }, '1 January 00:00 Bangkok')
})

t.test('concurrent registrations get distinct consecutive numbers, and the series continues after a reopen', async (t) => {
  const { db, registers, file } = open(t)
  const N = 300
  const results = await Promise.all(Array.from({ length: N }, () =>
    db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, entry: {} }))))
  t.same(results.map((r) => r.number).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1))
  // a failing write in the same batches leaves no gap
  const mixed = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => db.write(() => {
    const r = registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: { subject: `เรื่อง ${i}` } })
    if (i % 3 === 0) throw new Error('the rest of this request failed')
    return r
  })))
  const kept = mixed.flatMap((r) => (r.status === 'fulfilled' ? [r.value.number] : []))
  t.same(kept, Array.from({ length: kept.length }, (_, i) => i + 1), 'rolled-back requests used no number')
  await db.close()

  const again = open(t, file)
  const next = await again.db.write(() => again.registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, entry: {} }))
  t.equal(next.number, N + 1)
  t.equal(again.registers.store.count({ agency: 'moi', book: 'receive', year: 2026 }), N + 1)
})

t.test('two connections to one file (as two processes would) never hand out the same number', async (t) => {
  const a = open(t)
  const b = open(t, a.file)
  const take = (x: typeof a) => x.db.write(() => x.registers.assignOutgoing({ agency: 'moi', book: 'circular', at: JUNE, entry: {} }).number)
  const got = await Promise.all(Array.from({ length: 60 }, (_, i) => take(i % 2 ? a : b)))
  t.same([...got].sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1))
})

t.test('receive: supplied numbers, idempotent per message, wrong book direction', async (t) => {
  const { db, registers } = open(t)
  const id = randomUUID()
  t.match(await db.write(() => registers.receive({ agency: 'moi', messageId: id, at: JUNE, number: 1, entry: {} })), { number: 1, created: true })
  t.match(await db.write(() => registers.receive({ agency: 'moi', messageId: id, at: JUNE, entry: {} })), { number: 1, created: false }, 'again: the same entry')
  t.equal(code(await db.write(() => registers.receive({ agency: 'moi', messageId: id, at: JUNE, number: 2, entry: {} })).catch((e) => e)), 'ERR_ALREADY_REGISTERED')
  t.equal(code(await db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, number: 1, entry: {} })).catch((e) => e)), 'ERR_REGISTER_NUMBER_TAKEN')
  t.equal(code(await db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, number: 3, entry: {} })).catch((e) => e)), 'ERR_REGISTER_NUMBER_NOT_NEXT')
  t.equal(code(await db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, book: 'send', entry: {} })).catch((e) => e)), 'ERR_REGISTER_WRONG_DIRECTION')
  t.equal(code(await db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, book: 'nope', entry: {} })).catch((e) => e)), 'ERR_REGISTER_BOOK_UNKNOWN')
  t.match(await db.write(() => registers.receive({ agency: 'moi', messageId: randomUUID(), at: JUNE, number: 2, entry: {} })), { number: 2 })
})

t.test('outgoing numbers: owner code + number, ว series for circulars, no owner code refused', async (t) => {
  const { db, registers } = open(t)
  t.match(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: { subject: 'ก' } })), { number: 1, letterNumber: 'มท 0201.2/1' })
  t.match(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {} })), { number: 2, letterNumber: 'มท 0201.2/2' })
  t.match(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'circular', at: JUNE, entry: {} })), { number: 1, letterNumber: 'มท 0201.2/ว 1' })
  t.equal(code(await db.write(() => registers.assignOutgoing({ agency: 'x-agency', book: 'send', at: JUNE, entry: {} })).catch((e) => e)), 'ERR_REGISTER_NO_OWNER_CODE')
  t.equal(code(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'receive', at: JUNE, entry: {} })).catch((e) => e)), 'ERR_REGISTER_WRONG_DIRECTION')
})

t.test('Idempotency-Key: a replay gets the number taken before; another meaning or book is ERR_IDEMPOTENCY_KEY_REUSED', async (t) => {
  const { db, registers } = open(t)
  const idem = { key: 'k-1', fingerprint: 'aa' }
  const first = await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {}, idempotency: idem }))
  const again = await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {}, idempotency: idem }))
  t.match(again, { number: first.number, letterNumber: first.letterNumber, replayed: true })
  t.equal(registers.store.count({ agency: 'moi', book: 'send', year: 2026 }), 1, 'no second entry')
  t.equal(code(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {}, idempotency: { key: 'k-1', fingerprint: 'bb' } })).catch((e) => e)), 'ERR_IDEMPOTENCY_KEY_REUSED')
  t.equal(code(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'circular', at: JUNE, entry: {}, idempotency: idem })).catch((e) => e)), 'ERR_IDEMPOTENCY_KEY_REUSED')
  t.match(await db.write(() => registers.assignOutgoing({ agency: 'mof', book: 'send', at: JUNE, entry: {}, idempotency: idem })), { number: 1, replayed: undefined }, 'keys are per agency')
  const paper = await db.write(() => registers.recordEntry({ agency: 'moi', book: 'receive', at: JUNE, entry: {}, idempotency: { key: 'p', fingerprint: 'cc' } }))
  t.match(await db.write(() => registers.recordEntry({ agency: 'moi', book: 'receive', at: JUNE, entry: {}, idempotency: { key: 'p', fingerprint: 'cc' } })), { number: paper.number, replayed: true })
})

t.test('a cancelled number stays in the book and is never given again', async (t) => {
  const { db, registers } = open(t)
  await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {} }))
  const series = { agency: 'moi', book: 'send', year: 2026 }
  const e = await db.write(() => registers.cancel(series, 1, JUNE + 1000, 'ออกเลขผิด'))
  t.match(e, { number: 1, status: 'cancelled', cancelReason: 'ออกเลขผิด', cancelledAt: JUNE + 1000 })
  t.equal(code(await db.write(() => registers.cancel(series, 1, JUNE, 'again')).catch((err) => err)), 'ERR_REGISTER_ENTRY_CANCELLED')
  t.equal(code(await db.write(() => registers.cancel(series, 9, JUNE, 'none')).catch((err) => err)), 'ERR_NOT_FOUND')
  t.match(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {} })), { number: 2 })
  t.equal(code(await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, number: 1, entry: {} })).catch((err) => err)), 'ERR_REGISTER_NUMBER_TAKEN')
})

t.test('recordSent links the entry of an assigned number, else numbers a new entry; idempotent per letter', async (t) => {
  const { db, registers } = open(t)
  const letter = (number?: string) => ({
    number, date: '2026-06-01', subject: 'ขอเชิญประชุม', recipients: [{ agency: 'mof' }, { agency: 'mot', title: 'ปลัดกระทรวงคมนาคม' }],
  })
  const assigned = await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'circular', at: JUNE, entry: {} }))
  const l1 = randomUUID()
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: l1, at: JUNE, letter: letter(assigned.letterNumber) })), { book: 'circular', number: 1, how: 'linked' })
  const entry = registers.store.get({ agency: 'moi', book: 'circular', year: 2026 }, 1)!
  t.match(entry, { letterId: l1, subject: 'ขอเชิญประชุม', to: 'mof, ปลัดกระทรวงคมนาคม (mot)', letterDate: '2026-06-01', letterNumber: 'มท 0201.2/ว 1' })
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: l1, at: JUNE, letter: letter(assigned.letterNumber) })), { number: 1, how: 'existing' })
  // the same number sent again as another letter: used this year (issue 20 §11), unless the first took no effect
  const l2 = randomUUID()
  t.equal(code(await db.write(() => registers.recordSent({ agency: 'moi', letterId: l2, at: JUNE, letter: letter(assigned.letterNumber) })).catch((e) => e)), 'ERR_NUMBER_IN_USE')
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: l2, at: JUNE, letter: letter(assigned.letterNumber), stands: (id) => id !== l1 })), { book: 'circular', number: 2, how: 'created' }, 'withdrawn everywhere: sent again')
  t.equal(code(await db.write(() => registers.recordSent({ agency: 'moi', letterId: randomUUID(), at: Date.UTC(2027, 5, 1), letter: letter(assigned.letterNumber) })).then(() => 'ok', (e) => e)), 'ok', 'another register year: free again')
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: randomUUID(), at: JUNE, letter: letter() })), { book: 'send', number: 1, how: 'created' })
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: randomUUID(), at: JUNE, letter: letter('มท 0201.2/77') })), { book: 'send', number: 2, how: 'created' })
})

t.test('nextOutgoing: the ที่ of a letter sent without one; recordSent takes exactly that number or refuses (issue 20 §10)', async (t) => {
  const { db, registers } = open(t)
  const letter = (number: string) => ({ number, date: '2026-06-01', subject: 'ไม่มีเลขที่', recipients: [{ agency: 'mof' }] })
  t.equal(registers.nextOutgoing('dga', JUNE), undefined, 'no owner code, no ที่')
  const n1 = registers.nextOutgoing('moi', JUNE)!
  t.match(n1, { book: 'send', year: 2026, number: 1, letterNumber: 'มท 0201.2/1' })
  t.match(await db.write(() => registers.recordSent({ agency: 'moi', letterId: randomUUID(), at: JUNE, letter: letter(n1.letterNumber), book: n1.book, number: n1.number })), { book: 'send', number: 1, how: 'created' })
  // Another request takes the next number while the letter is sealed: the letter's transaction refuses.
  const n2 = registers.nextOutgoing('moi', JUNE)!
  await db.write(() => registers.assignOutgoing({ agency: 'moi', book: 'send', at: JUNE, entry: {} }))
  t.equal(code(await db.write(() => registers.recordSent({ agency: 'moi', letterId: randomUUID(), at: JUNE, letter: letter(n2.letterNumber), book: n2.book, number: n2.number })).catch((e) => e)), 'ERR_REGISTER_NUMBER_TAKEN')
  t.match(registers.nextOutgoing('moi', JUNE), { number: 3, letterNumber: 'มท 0201.2/3' }, 'sealed again, it gets the next one')
})

t.test('numbering(): one letter at a time per agency, in order, a failure does not block the next', async (t) => {
  const { registers } = open(t)
  const order: string[] = []
  const step = (name: string, fail = false) => async () => {
    order.push(`${name}:start`)
    await new Promise((r) => setImmediate(r))
    order.push(`${name}:end`)
    if (fail) throw new Error(name)
    return name
  }
  const all = await Promise.allSettled([registers.numbering('moi', step('a')), registers.numbering('moi', step('b', true)), registers.numbering('moi', step('c'))])
  t.same(all.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.same(order, ['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end'])
})

t.test('cancel: a receive number acknowledged to the sender stays (issue 20 §13)', async (t) => {
  const { db, registers } = open(t)
  const acked = randomUUID(), other = randomUUID()
  await db.write(() => registers.receive({ agency: 'moi', messageId: acked, at: JUNE, entry: {} }))
  await db.write(() => registers.receive({ agency: 'moi', messageId: other, at: JUNE, entry: {} }))
  const s = { agency: 'moi', book: 'receive', year: 2026 }
  const acknowledged = (mid: string) => mid === acked
  t.equal(code(await db.write(() => registers.cancel(s, 1, JUNE, 'ผิด', acknowledged)).catch((e) => e)), 'ERR_REGISTER_ENTRY_ACKNOWLEDGED')
  t.match(await db.write(() => registers.cancel(s, 2, JUNE, 'ผิด', acknowledged)), { status: 'cancelled' }, 'one never acknowledged can be cancelled')
})
