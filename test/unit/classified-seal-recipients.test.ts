// Who an inner envelope is sealed to (PROTOCOL.md §19.2): the registrar or the named addressee.
import t from 'tap'
import { sealRecipients, type DirectoryOfficer } from '../../src/classified/officers.js'

const o = (id: string, role: 'registrar' | 'deputy'): DirectoryOfficer => ({ id, role, nameTh: id, positionTh: id, certificates: { 'officer-signing': [], 'officer-encryption': [] } })
const reg = o('registrar', 'registrar'), dep = o('deputy', 'deputy'), dep2 = o('deputy-2', 'deputy')
const pick = (f: ReturnType<typeof sealRecipients>, agency: string) => [reg, dep, dep2].filter((x) => f(agency, x)).map((x) => x.id)

t.test('a named officer: that officer and the registrars; the sender keeps every officer', async (t) => {
  const f = sealRecipients({ from: 'moi', to: ['mof'], level: 'SECRET', addressees: [{ agency: 'mof', officer: 'deputy' }] })
  t.same(pick(f, 'mof'), ['registrar', 'deputy'])
  t.same(pick(f, 'moi'), ['registrar', 'deputy', 'deputy-2'])
  t.same(pick(f, 'dga'), [], 'an agency the letter is not for gets nothing')
})

t.test('a position only: every officer of the agency', async (t) => {
  const f = sealRecipients({ from: 'moi', to: ['mof'], level: 'CONFIDENTIAL', addressees: [{ agency: 'mof' }] })
  t.same(pick(f, 'mof'), ['registrar', 'deputy', 'deputy-2'])
})

t.test('TOP_SECRET: the named officers only', async (t) => {
  const f = sealRecipients({ from: 'moi', to: ['mof'], level: 'TOP_SECRET', addressees: [{ agency: 'mof', officer: 'deputy-2' }] })
  t.same(pick(f, 'mof'), ['deputy-2'])
})
