// `saraban-node storage copy` (issue 19 §4): moves a node's history from its SQLite file into an empty
// PostgreSQL database, verified row for row and by the transparency log before it is committed
// (storage/postgresql/copy.ts). The node must be stopped: rows written after the copy's snapshot
// would not be in the copy.
import { isAbsolute, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { databaseFile } from '../storage/schema-version.js'
import { copySqliteToPostgres, CopyError } from '../storage/postgresql/copy.js'
import { redactDatabaseUrl } from '../config/redact.js'
import { isPostgresUrl } from '../config/checks.js'
import { onPostgres } from './postgres.js'
import { parse, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import type { Command } from './commands.js'

const COPY_HELP = `Usage: saraban-node storage copy --from <sqlite data dir> --to <postgresql url> [--ca-file FILE]

Copies every record of a stopped node (dataDir/saraban.sqlite) into an empty PostgreSQL database,
creating its tables (the same migrations as \`saraban-node migrate\`), then reads everything back and
compares it row for row, and rebuilds each agency's transparency log from the copied entries (its
head and every checkpoint the node signed must match). All of it is one transaction: on any failure
or difference no record is committed (the tables, once created, stay). The SQLite file is only read.
  --to        postgres://user[:password]@host[:port]/database (or SARABAN_POSTGRESQL_URL); a unix
              socket directory as ?host=/path; ?sslmode=verify-full for TLS
  --ca-file   PEM of the CA of the database server's certificate (TLS, verified)
Exit status: 0 copied and verified; 1 refused or differed (nothing committed); 3 the database cannot be reached.
`

export const storageCommand: Command = {
  summary: 'move a node\'s records: storage copy (SQLite → PostgreSQL)',
  help: COPY_HELP,
  async run(argv) {
    const [sub, ...rest] = argv
    if (sub !== 'copy') throw new CliError('name a subcommand: copy (saraban-node storage --help).')
    const { values } = parse(rest, { from: { type: 'string' }, to: { type: 'string' }, 'ca-file': { type: 'string' } })
    if (values.from === undefined) throw new CliError('--from is required: the data directory of the node to copy (its dataDir, holding saraban.sqlite).')
    const url = values.to ?? process.env['SARABAN_POSTGRESQL_URL']
    if (url === undefined || url === '') throw new CliError('--to is required: the PostgreSQL URL to copy into (postgres://user@host/database), or set SARABAN_POSTGRESQL_URL.')
    if (!isPostgresUrl(url)) throw new CliError(`--to must be a postgres:// URL, not ${redactDatabaseUrl(url)}.`)
    const dir = isAbsolute(values.from) ? values.from : resolve(values.from)
    const file = databaseFile(dir)
    if (!existsSync(file)) throw new CliError(`${file} does not exist: --from names a node's dataDir (the folder holding saraban.sqlite).`)
    const caFile = values['ca-file']
    const target = { url, ...(caFile !== undefined ? { caFile: resolve(caFile) } : {}) }
    const refusal = (err: unknown) => (err instanceof CopyError ? `${err.message}; no record was committed.` : undefined)
    const report = await onPostgres(target, 'storage copy', { refusal, untouched: 'no record was committed' }, (client) =>
      copySqliteToPostgres(file, client, { progress: (line) => process.stdout.write(`${line}\n`) }))
    const rows = report.tables.reduce((a, t) => a + t.rows, 0)
    process.stdout.write(`copied ${file} to ${redactDatabaseUrl(url)}: ${rows} rows in ${report.tables.length} tables, compared row for row; ${report.logs.length} transparency log(s) rebuilt and matching their heads and checkpoints\n`)
    return EXIT.OK
  },
}
