// `saraban-node doctor` (issue 17 item 7): runs the table of checks (checks.ts) over a configuration.
import { CHECKS } from './checks.js'
import { fail, worst, type CheckResult, type DoctorInput, type DoctorReport } from './types.js'

export type { DoctorReport, CheckResult, Finding, Level } from './types.js'

export async function runDoctor(input: DoctorInput, only?: readonly string[]): Promise<DoctorReport> {
  const checks: CheckResult[] = []
  for (const [name, check] of CHECKS) {
    if (only !== undefined && !only.includes(name)) continue
    let findings
    try {
      findings = await check(input)
    } catch (err) {
      findings = [fail(`the ${name} check could not run: ${(err as Error).message}`, 'Run again with --debug and report it.')]
    }
    checks.push({ name, level: worst(findings.map((f) => f.level)), findings })
  }
  return { config: input.config.file, level: worst(checks.map((c) => c.level)), checks }
}

export const CHECK_NAMES: readonly string[] = CHECKS.map(([name]) => name)
