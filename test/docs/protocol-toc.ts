// The table of contents of PROTOCOL.md, made from its headings (## N. and ### N.M) with GitHub's
// heading anchors. test/unit/protocol-toc.test.ts keeps it in step with the document.
//   npx tsx test/docs/protocol-toc.ts --write    rewrites the block between the toc markers
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const TOC_START = '<!-- toc:start (npx tsx test/docs/protocol-toc.ts --write) -->'
export const TOC_END = '<!-- toc:end -->'

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
export function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N} _-]/gu, '').replace(/ /g, '-')
}

export function protocolToc(md: string): string {
  const lines: string[] = []
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^(##|###) (\d+\.(?:\d+)?)\.? (.*)$/.exec(line)
    if (!m) continue
    const text = line.replace(/^#+ /, '')
    let a = anchor(text)
    const n = seen.get(a) ?? 0
    seen.set(a, n + 1)
    if (n > 0) a += `-${n}`
    lines.push(`${m[1] === '###' ? '  ' : ''}- [${text.replace(/`/g, '')}](#${a})`)
  }
  return lines.join('\n')
}

export function withToc(md: string): string {
  const a = md.indexOf(TOC_START)
  const b = md.indexOf(TOC_END)
  if (a < 0 || b < a) throw new Error('PROTOCOL.md has no toc markers')
  return md.slice(0, a + TOC_START.length) + '\n' + protocolToc(md) + '\n' + md.slice(b)
}

if (process.argv.includes('--write')) {
  const file = fileURLToPath(new URL('../../PROTOCOL.md', import.meta.url))
  writeFileSync(file, withToc(readFileSync(file, 'utf8')))
}
