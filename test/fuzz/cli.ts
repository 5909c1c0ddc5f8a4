// npm run fuzz -- [--seed 1] [--iterations 500] [--target federation,api,parsers] [--from 0]
//                 [--rss-mb 1536] [--out fuzz-out] [--timeout-ms 15000]
// Seeded, bounded fuzzing (issue 13 §4): prints a summary table and exits 1 on any violation that
// KNOWN_OPEN (oracle.ts) does not name, with each violating input saved under --out for replay.
import { parseArgs } from 'node:util'
import { runFuzz, formatSummary } from './engine.js'
import { fuzzTargets } from './targets.js'

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '500' },
    from: { type: 'string', default: '0' },
    target: { type: 'string', default: 'federation,api,parsers' },
    'rss-mb': { type: 'string', default: '1536' },
    out: { type: 'string', default: 'fuzz-out' },
    'timeout-ms': { type: 'string', default: '15000' },
  },
})
const seed = Number(values.seed)
const summary = await runFuzz({
  seed,
  iterations: Number(values.iterations),
  from: Number(values.from),
  targets: fuzzTargets(values.target!.split(','), { timeoutMs: Number(values['timeout-ms']) }),
  rssCeilingMb: Number(values['rss-mb']),
  outDir: values.out,
  log: (l) => console.log(l),
})
console.log(formatSummary(summary, seed))
const fresh = summary.violations.filter((v) => !v.known)
process.exitCode = fresh.length > 0 ? 1 : 0
if (fresh.length) console.log(`\nFAILED: ${fresh.length} violations not in KNOWN_OPEN (seed ${seed}); inputs saved under ${values.out}/`)
