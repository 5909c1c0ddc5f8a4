// The fuzz engine (issue 13 §4): seeded, bounded runs of each target, outcomes counted per target
// and status, every oracle violation kept with what replays it. Iteration i of target T under seed S
// draws from its own PRNG (seeded from S, T and i), so one input replays alone:
//   npm run fuzz -- --seed S --target T --from i --iterations 1
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { mulberry32, type Rng } from '../helpers/prng.js'
import { knownOpen, type Outcome } from './oracle.js'

export interface Target {
  one(rng: Rng): Promise<Outcome>
  alive(): Promise<boolean>
  close(): Promise<void>
}

export interface FuzzOptions {
  readonly seed: number
  readonly iterations: number
  /** first iteration index (to replay one input) */
  readonly from?: number
  readonly targets: ReadonlyArray<{ name: string; make: () => Promise<Target> }>
  /** resident memory ceiling, checked between batches */
  readonly rssCeilingMb: number
  readonly batch?: number
  /** where violating inputs are written (one JSON file each); none when undefined */
  readonly outDir?: string | undefined
  readonly log?: (line: string) => void
}

export interface Violation {
  readonly target: string
  readonly seed: number
  readonly iteration: number
  readonly input: string
  readonly status: string
  readonly violation: string
  /** the KNOWN_OPEN id it falls under; undefined: a new defect (the run fails) */
  readonly known: string | undefined
  readonly file?: string
}

export interface FuzzSummary {
  /** target → status (and code) → count */
  readonly counts: Map<string, Map<string, number>>
  readonly violations: Violation[]
  readonly peakRssMb: number
}

/** A 32-bit seed for iteration i of target t under seed s. */
export function iterationSeed(seed: number, target: string, i: number): number {
  return createHash('sha256').update(`${seed}/${target}/${i}`).digest().readUInt32LE(0)
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const counts = new Map<string, Map<string, number>>()
  const violations: Violation[] = []
  const log = opts.log ?? (() => {})
  const batch = opts.batch ?? 50
  let peakRssMb = 0
  const crashes: unknown[] = []
  const onCrash = (e: unknown) => crashes.push(e)
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
  try {
    for (const t of opts.targets) {
      const target = await t.make()
      const tally = new Map<string, number>()
      counts.set(t.name, tally)
      try {
        const first = opts.from ?? 0
        for (let i = first; i < first + opts.iterations; i++) {
          const o = await target.one(mulberry32(iterationSeed(opts.seed, t.name, i)))
          const key = o.code ? `${o.status} ${o.code}` : o.status
          tally.set(key, (tally.get(key) ?? 0) + 1)
          for (const v of [...o.violations, ...crashes.splice(0).map((e) => `crash: uncaught ${String((e as Error)?.stack ?? e).slice(0, 300)}`)]) {
            const known = knownOpen(o, v)
            let file: string | undefined
            if (opts.outDir && !known) {
              mkdirSync(opts.outDir, { recursive: true })
              file = join(opts.outDir, `${t.name}-seed${opts.seed}-i${i}.json`)
              writeFileSync(file, JSON.stringify({ seed: opts.seed, target: t.name, iteration: i, input: o.input, status: o.status, violation: v, replay: `npm run fuzz -- --seed ${opts.seed} --target ${t.name} --from ${i} --iterations 1`, repro: o.repro }, null, 2))
            }
            violations.push({ target: t.name, seed: opts.seed, iteration: i, input: o.input, status: o.status, violation: v, known, ...(file ? { file } : {}) })
          }
          if ((i - first + 1) % batch === 0 || i === first + opts.iterations - 1) {
            const rss = process.memoryUsage().rss / 2 ** 20
            peakRssMb = Math.max(peakRssMb, rss)
            if (rss > opts.rssCeilingMb) violations.push({ target: t.name, seed: opts.seed, iteration: i, input: 'batch', status: 'memory', violation: `memory: ${rss.toFixed(0)} MB resident > ${opts.rssCeilingMb} MB`, known: undefined })
            if (!(await target.alive())) {
              violations.push({ target: t.name, seed: opts.seed, iteration: i, input: 'batch', status: 'down', violation: 'crash: the server stopped answering', known: undefined })
              break
            }
            log(`  ${t.name}: ${i - first + 1}/${opts.iterations}, ${rss.toFixed(0)} MB`)
          }
        }
      } finally {
        await target.close()
      }
    }
  } finally {
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  }
  return { counts, violations, peakRssMb }
}

/** The summary table: outcomes per target and status, then violations grouped. */
export function formatSummary(s: FuzzSummary, seed: number): string {
  const lines: string[] = [`fuzz summary (seed ${seed}, peak RSS ${s.peakRssMb.toFixed(0)} MB)`]
  for (const [target, tally] of s.counts) {
    const total = [...tally.values()].reduce((a, b) => a + b, 0)
    lines.push(`\n${target} (${total} inputs)`)
    for (const [k, n] of [...tally].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(6)}  ${k}`)
  }
  const groups = new Map<string, Violation[]>()
  for (const v of s.violations) {
    const g = `${v.known ? `known (${v.known})` : 'NEW'}: ${v.target} ${v.violation.split(':')[0]}`
    groups.set(g, [...(groups.get(g) ?? []), v])
  }
  lines.push(`\nviolations: ${s.violations.length} (${s.violations.filter((v) => !v.known).length} new)`)
  for (const [g, vs] of groups) {
    lines.push(`  ${vs.length} × ${g}; iterations ${vs.slice(0, 8).map((v) => v.iteration).join(', ')}${vs.length > 8 ? ', …' : ''}`)
    for (const v of vs.slice(0, 3)) lines.push(`      i${v.iteration} ${v.input}: ${v.violation.slice(0, 160)}${v.file ? ` → ${v.file}` : ''}`)
  }
  return lines.join('\n')
}
