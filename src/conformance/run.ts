// Runs the case table against a target and writes TAP version 14 (https://testanything.org/tap-version-14-specification.html):
// one test point per case and profile, the § cited in its description, a YAML block with what was
// expected and what came for a failure, `# SKIP` with the reason for a case that could not run, and a
// summary comment line at the end.
import { CASES, type ConformanceCase } from './cases.js'
import { CaseFailure, CaseSkip } from './expect.js'
import type { Session } from './session.js'

export interface RunOptions {
  /** ids, id prefixes (`C-4.2`) or sections (`§7.1`, `7.1`): run only these */
  readonly only?: readonly string[]
  readonly skip?: readonly string[]
  readonly write: (line: string) => void
  readonly cases?: readonly ConformanceCase[]
}

export interface CaseResult {
  readonly id: string
  readonly profile: string | undefined
  readonly outcome: 'pass' | 'fail' | 'skip'
  readonly message?: string
}

export interface RunSummary {
  readonly results: CaseResult[]
  readonly pass: number
  readonly fail: number
  readonly skip: number
}

/** Whether a token of --only/--skip names the case. */
export function matches(c: Pick<ConformanceCase, 'id' | 'section'>, token: string): boolean {
  const t = token.trim()
  if (t === '') return false
  const section = c.section.replace(/^§/, '')
  return t === c.id || t.replace(/^§/, '') === section || c.id.startsWith(t.endsWith('-') ? t : `${t}-`)
}

function selected(c: ConformanceCase, o: RunOptions): boolean {
  if (o.only && o.only.length > 0 && !o.only.some((t) => matches(c, t))) return false
  return !(o.skip ?? []).some((t) => matches(c, t))
}

const yamlString = (s: string) => JSON.stringify(s) // a JSON string is a YAML flow scalar

function yamlBlock(obj: Record<string, unknown>, indent = '  '): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out.push(`${indent}${k}:`)
      out.push(...yamlBlock(v as Record<string, unknown>, indent + '  '))
    } else out.push(`${indent}${k}: ${typeof v === 'string' ? yamlString(v) : JSON.stringify(v)}`)
  }
  return out
}

/** The test points the run will have: each selected case, once per profile where it runs per profile. */
export function plan(k: Session, o: Pick<RunOptions, 'only' | 'skip' | 'cases'>): Array<{ c: ConformanceCase; profile: string | undefined }> {
  const targetProfiles = k.targetProfiles()
  const points: Array<{ c: ConformanceCase; profile: string | undefined }> = []
  for (const c of o.cases ?? CASES) {
    if (!selected(c, o as RunOptions)) continue
    if (c.profiles === undefined) points.push({ c, profile: undefined })
    else {
      const ps = c.profiles === 'all' ? targetProfiles : targetProfiles.filter((p) => (c.profiles as readonly string[]).includes(p))
      for (const p of ps) points.push({ c, profile: p })
    }
  }
  return points
}

export async function runConformance(k: Session, o: RunOptions): Promise<RunSummary> {
  const points = plan(k, o)
  o.write('TAP version 14')
  o.write(`# saraban conformance kit: target ${k.target} at ${k.origin}, as ${k.me.agency}; profiles ${k.targetProfiles().join(', ') || '(none)'}`)
  o.write(`1..${points.length}`)
  const results: CaseResult[] = []
  let n = 0
  for (const { c, profile } of points) {
    n++
    const desc = `${c.id}${profile ? ` [${profile}]` : ''} ${c.section} ${c.title}`.replace(/#/g, '\\#')
    try {
      await c.run(k, profile ?? '')
      o.write(`ok ${n} - ${desc}`)
      results.push({ id: c.id, profile, outcome: 'pass' })
    } catch (e) {
      if (e instanceof CaseSkip) {
        o.write(`ok ${n} - ${desc} # SKIP ${e.message}`)
        results.push({ id: c.id, profile, outcome: 'skip', message: e.message })
        continue
      }
      const message = e instanceof Error ? e.message : String(e)
      o.write(`not ok ${n} - ${desc}`)
      o.write('  ---')
      for (const line of yamlBlock({ message, ...(e instanceof CaseFailure ? e.diag : { error: (e as Error)?.name ?? 'Error' }), section: c.section })) o.write(line)
      o.write('  ...')
      results.push({ id: c.id, profile, outcome: 'fail', message })
    }
  }
  const count = (x: CaseResult['outcome']) => results.filter((r) => r.outcome === x).length
  const summary = { results, pass: count('pass'), fail: count('fail'), skip: count('skip') }
  o.write(`# ${summary.fail === 0 ? 'CONFORMS' : 'DOES NOT CONFORM'}: ${points.length} tests, ${summary.pass} pass, ${summary.fail} fail, ${summary.skip} skip`)
  return summary
}
