// Register configuration (README "Registers"): ownerCode per agency (node.json and hosted-agency files),
// registers.books with its contradictions, and the defaults that keep old config files valid.
import t from 'tap'
import { loadConfigObject, configProblems } from '../helpers/config-file.js'
import { check, schemaIds } from '../../src/schema/index.js'

const agency = (extra: Record<string, unknown> = {}) => ({
  id: 'moi', signing: { key: 's.key', cert: 's.pem' }, encryption: { key: 'e.key', cert: 'e.pem' }, ...extra,
})
const config = (extra: Record<string, unknown> = {}, agencyExtra: Record<string, unknown> = {}) => ({
  tls: { key: 'tls.key', cert: 'tls.pem' }, trust: { anchors: ['root.pem'], directory: 'directory.jws' }, agencies: [agency(agencyExtra)], ...extra,
})

const load = loadConfigObject
const problems = configProblems

t.test('defaults: no owner code, no extra books', async (t) => {
  const c = load(config())
  t.equal(c.agencies[0]!.ownerCode, undefined)
  t.same(c.registers, { books: [] })
})

t.test('ownerCode and extra books are read', async (t) => {
  const c = load(config({ registers: { books: [{ id: 'classified', direction: 'receive', title: 'ทะเบียนหนังสือรับ (ลับ)' }] } }, { ownerCode: 'มท 0201.2' }))
  t.equal(c.agencies[0]!.ownerCode, 'มท 0201.2')
  t.same(c.registers.books, [{ id: 'classified', direction: 'receive', title: 'ทะเบียนหนังสือรับ (ลับ)', prefix: '' }])
  t.match(JSON.stringify(c), /มท 0201\.2/, 'the owner code is not a secret: it is logged')
})

t.test('contradictions: built-in ids, repeated ids, a prefix on a receive book', async (t) => {
  const p = problems(config({ registers: { books: [
    { id: 'send', direction: 'send', title: 'x' },
    { id: 'secret', direction: 'receive', title: 'x', prefix: 'ล ' },
    { id: 'secret', direction: 'receive', title: 'y' },
  ] } }))
  const fields = p.map((x) => x.field)
  t.ok(fields.includes('/registers/books/0/id'), JSON.stringify(p))
  t.ok(fields.includes('/registers/books/1/prefix'))
  t.ok(fields.includes('/registers/books/2/id'))
})

t.test('an owner code is one line of text', async (t) => {
  const p = problems(config({}, { ownerCode: 'มท\n0201' }))
  t.ok(p.some((x) => x.field === '/agencies/0/ownerCode'), JSON.stringify(p))
})

t.test('hosted-agency files may carry an ownerCode', async (t) => {
  const ok = check(schemaIds.hostedAgency, agency({ ownerCode: 'กค 0406.2' }))
  t.ok(ok.ok)
  const bad = check(schemaIds.hostedAgency, agency({ ownerCode: '' }))
  t.notOk(bad.ok)
})
