// `saraban-node log verify`: the local check of the transparency log (PROTOCOL.md §20.3, issue 14 §4),
// offline on a copy of the data directory. The checks are services/log/verify.ts.
import { join, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { loadConfig } from '../../config/index.js'
import { packageRoot } from '../../version.js'
import { openReadOnly } from '../../storage/log.js'
import { verifyLog, type VerifyReport } from '../../services/log/verify.js'
import { CliError, parse } from '../args.js'

export const VERIFY_HELP = `Usage: saraban-node log verify (--data-dir DIR | --config FILE) [--agency ID] [--json]

Checks the node's transparency log offline, without starting the node or writing anything: every
entry is rebuilt from the database rows it covers (letters sent and delivered, envelopes received,
notices, register numbers, classified access records, directory and CRLs) and compared with the
stored entry; the whole Merkle tree is recomputed (RFC 9162 §2.1) and compared with the stored
subtrees, the head and our latest signed checkpoints; every covered row must have its entry. Run it
on a copy of the data directory (a backup, or a copy taken while the node runs).

Options:
  --data-dir DIR   the data directory (holds saraban.sqlite)
  --config FILE    the node's config file: its dataDir
  --agency ID      only this agency's log (default: every log)
  --json           the whole report as JSON
Exit status: 0 every entry matches its rows and the tree; 1 a difference was found (the first one per
log is printed first: index, entry type, what differs); 2 usage error, or the database cannot be read.
`

export async function verifyRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { 'data-dir': { type: 'string' }, config: { type: 'string' }, agency: { type: 'string' }, json: { type: 'boolean' } })
  if ((v['data-dir'] === undefined) === (v.config === undefined)) throw new CliError('give exactly one of --data-dir DIR or --config FILE.')
  const dir = v['data-dir'] !== undefined ? resolve(v['data-dir']) : loadConfig({ file: v.config, env: {}, packageRoot: packageRoot() }).dataDir
  const file = join(dir, 'saraban.sqlite')
  if (!existsSync(file)) throw new CliError(`${file} does not exist: --data-dir (or the config's dataDir) must name a node's data directory.`)
  let sqlite
  try {
    sqlite = openReadOnly(file)
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
  }
  let report: VerifyReport
  try {
    report = verifyLog(sqlite, { agency: v.agency })
  } finally {
    sqlite.close()
  }
  if (v.agency !== undefined && report.logs.length === 0) throw new CliError(`${file} holds no log of agency "${v.agency}".`)
  if (v.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  } else {
    for (const l of report.logs) {
      process.stdout.write(`log ${l.agency}: ${l.size} entries, root ${l.root}${l.checkpointSize === null ? ', no checkpoint signed yet' : `, latest checkpoint at size ${l.checkpointSize}`}\n`)
    }
    for (const d of report.differences) process.stdout.write(`✗ ${d.agency} ${d.index === null ? '-' : `#${d.index}`} ${d.type}: ${d.what}\n`)
    process.stdout.write(report.ok
      ? `VERDICT: INTACT — ${report.entriesChecked} entries match the rows they cover and the tree\n`
      : `VERDICT: DIFFERS — ${report.differences.length} difference(s); the first of each log is listed first\n`)
  }
  return report.ok ? 0 : 1
}
