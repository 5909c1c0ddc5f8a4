// PROTOCOL.md Annex A's table, made from the kit's case table (src/conformance/cases.ts).
// test/integration/conformance.test.ts keeps the two in step, one to one.
//   npx tsx test/docs/conformance-annex.ts --write    rewrites the block between the markers
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CASES, type ConformanceCase } from '../../src/conformance/cases.js'

export const ANNEX_START = '<!-- conformance-table:start (npx tsx test/docs/conformance-annex.ts --write) -->'
export const ANNEX_END = '<!-- conformance-table:end -->'

export function runs(c: Pick<ConformanceCase, 'profiles'>): string {
  return c.profiles === undefined ? 'once' : c.profiles === 'all' ? 'per profile' : c.profiles.join(', ')
}

export function annexTable(cases: readonly ConformanceCase[] = CASES): string {
  return [
    '| id | § | runs | requirement | answer |',
    '|---|---|---|---|---|',
    ...cases.map((c) => `| \`${c.id}\` | ${c.section} | ${runs(c)} | ${c.title} | ${c.answer} |`),
  ].join('\n')
}

/** The table between the markers of a PROTOCOL.md text, or undefined without the markers. */
export function annexOf(md: string): string | undefined {
  const s = md.indexOf(ANNEX_START)
  const e = md.indexOf(ANNEX_END)
  return s === -1 || e === -1 ? undefined : md.slice(s + ANNEX_START.length, e).trim()
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const file = fileURLToPath(new URL('../../PROTOCOL.md', import.meta.url))
  const md = readFileSync(file, 'utf8')
  const s = md.indexOf(ANNEX_START)
  const e = md.indexOf(ANNEX_END)
  if (s === -1 || e === -1) throw new Error('PROTOCOL.md has no conformance-table markers')
  writeFileSync(file, md.slice(0, s + ANNEX_START.length) + '\n' + annexTable() + '\n' + md.slice(e))
}
