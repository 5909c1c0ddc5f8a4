// `saraban-node doctor [--config F] [--json] [--only CHECKS]` (issue 17 item 7): checks a configuration
// before start and says, per finding, how to fix it. The checks are a table in services/doctor/.
// Exit status for scripts: 0 all ok, 5 warnings only, 1 a check failed, 4 the config cannot be loaded.
import { loadConfig } from '../config/index.js'
import { runDoctor, CHECK_NAMES, type DoctorReport, type Level } from '../services/doctor/index.js'
import { packageRoot } from '../version.js'
import { parse, CliError } from './args.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import type { Command } from './commands.js'

export function doctorExitCode(level: Level): ExitCode {
  return level === 'ok' ? EXIT.OK : level === 'warn' ? EXIT.WARNINGS : EXIT.FAILED
}

const TAG: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' }

/** One line per finding: level, check, what was found, and the fix. */
export function formatReport(r: DoctorReport): string {
  const lines = [`doctor: ${r.config}`]
  for (const c of r.checks) {
    for (const f of c.findings) lines.push(`${TAG[f.level]} ${c.name.padEnd(9)} ${f.message}${f.fix ? `. ${f.fix}` : ''}`)
  }
  const counts = (l: Level) => r.checks.filter((c) => c.level === l).length
  lines.push(`${r.level === 'ok' ? 'all checks ok' : `${counts('fail')} check(s) failed, ${counts('warn')} with warnings`}`)
  return lines.join('\n') + '\n'
}

export const doctorCommand: Command = {
  summary: 'check a configuration before start: files, keys, chains, directory, ports, clock, database',
  help: `Usage: saraban-node doctor [--config FILE] [--json] [--only CHECK,…]

Checks a node's configuration without starting it, in this order, and says how to fix each finding:
  files      every file named exists and is readable by this user; private keys are mode 0600
  keys       each key opens and is its certificate's (a PKCS#11 token that cannot be reached: noted)
  chains     each certificate chain validates to trust.anchors
  directory  the signed directory lists each agency with this node's certificates and endpoint
  ports      federation.port and api.port are free (or this node already runs on them: said so)
  clock      with tsa.url: this clock agrees with the TSA's time within tsa.maxClockSkewSeconds (60)
  database   dataDir is writable and the database is at this software's latest migration
Run it as the user that runs the node (file access is checked for the user running doctor).

Options:
  --config FILE   node configuration (default: the embedded dev configuration, as start)
  --json          the report as JSON: { config, level, checks: [{ name, level, findings: [{ level, message, fix }] }] }
  --only LIST     run only these checks (comma-separated names from the list above)
Exit status: 0 all ok; 5 warnings only; 1 a check failed; 4 the config file cannot be loaded.
`,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' }, json: { type: 'boolean' }, only: { type: 'string' } })
    const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const unknown = only?.filter((n) => !CHECK_NAMES.includes(n)) ?? []
    if (unknown.length > 0) throw new CliError(`--only: no check named ${unknown.join(', ')}; the checks are ${CHECK_NAMES.join(', ')}.`)
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    const report = await runDoctor({ config, now: () => new Date() }, only)
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report))
    return doctorExitCode(report.level)
  },
}
