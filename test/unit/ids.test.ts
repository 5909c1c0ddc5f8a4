// The identifier patterns used outside schema validation accept exactly what the schemas accept.
import t from 'tap'
import { AGENCY_ID, MESSAGE_ID } from '../../src/domain/ids.js'
import { schemas, schemaIds } from '../../src/schema/index.js'

const defs = schemas().schema(schemaIds.common).$defs as Record<string, { pattern: string; minLength?: number; maxLength?: number }>
const bySchema = (def: { pattern: string; minLength?: number; maxLength?: number }) => (s: string) =>
  new RegExp(def.pattern, 'u').test(s) && s.length >= (def.minLength ?? 0) && s.length <= (def.maxLength ?? Infinity)

t.test('agency ids', async (t) => {
  const schema = bySchema(defs.agencyId!)
  for (const s of ['moi', 'mof', 'dga', 'a1', 'x-1-b', 'a', 'A', '1ab', 'ab-', '-ab', 'a--b', 'ab_c', 'ก', 'a'.repeat(64), 'a'.repeat(65), '']) {
    t.equal(AGENCY_ID.test(s), schema(s), JSON.stringify(s))
  }
})

t.test('message ids', async (t) => {
  const schema = bySchema(defs.uuid!)
  for (const s of ['0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f', '0B7F3C1E-5D2A-4F8E-9C3B-1A2B3C4D5E6F', '0b7f3c1e5d2a4f8e9c3b1a2b3c4d5e6f', '', 'x']) {
    t.equal(MESSAGE_ID.test(s), schema(s), JSON.stringify(s))
  }
})
