// PROTOCOL.md §9 lists exactly the codes of src/errors.ts, with the same HTTP statuses.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ERRORS } from '../../src/errors.js'

const md = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8')
const table = md.slice(md.indexOf('<!-- error-table:start -->'), md.indexOf('<!-- error-table:end -->'))
const rows = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const)

t.same(
  rows.map(([code]) => code).sort(),
  Object.keys(ERRORS).sort(),
  'every code in src/errors.ts is in PROTOCOL.md §9 and no other',
)
for (const [code, status] of rows) {
  t.equal(status, ERRORS[code as keyof typeof ERRORS]?.status, `${code} has the same HTTP status in both`)
}
