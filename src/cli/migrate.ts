// `saraban-node migrate [--config F]` (issue 17 item 7): brings a stopped node's database to this
// software's latest migration, the step doctor names for an older database (start does it too).
import { loadConfig } from '../config/index.js'
import { Db } from '../storage/db.js'
import { databaseFile, schemaState } from '../storage/schema-version.js'
import { SCHEMA_VERSION } from '../storage/migrations/index.js'
import { packageRoot } from '../version.js'
import { parse, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import type { Command } from './commands.js'
import { migratePostgres, SchemaTooNewError } from '../storage/postgresql/migrate.js'
import type { PgTarget } from '../storage/postgresql/connect.js'
import { redactDatabaseUrl } from '../config/redact.js'
import { onPostgres } from './postgres.js'

async function migratePg(target: PgTarget): Promise<number> {
  const where = redactDatabaseUrl(target.url)
  const refusal = (err: unknown) => (err instanceof SchemaTooNewError ? `${where}: ${err.message}.` : undefined)
  const { from, to } = await onPostgres(target, 'migrate', { refusal, untouched: 'nothing was changed' }, migratePostgres)
  process.stdout.write(from === to ? `${where} is at the latest migration (${to})\n` : `${where}: migrated from ${from} to ${to}\n`)
  return EXIT.OK
}

export const migrateCommand: Command = {
  summary: 'bring the database to the latest migration (start does it too)',
  help: `Usage: saraban-node migrate [--config FILE]

Applies the migrations the database lacks, then exits: the SQLite file of dataDir, or with
storage.engine postgresql the PostgreSQL database of storage.postgresql.url (several processes may run
it at once: one migrates, the others wait and find nothing to do). Stop the node first.
Exit status: 0 done (or nothing to do); 1 the database is newer than this software; 3 the PostgreSQL
database cannot be reached; 4 the config is wrong.
`,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' } })
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    if (config.storage.engine === 'postgresql') return migratePg(config.storage.postgresql!)
    const file = databaseFile(config.dataDir)
    const before = schemaState(file)
    if (before.kind === 'found' && before.version > SCHEMA_VERSION) {
      throw new CliError(`the database ${file} is at migration ${before.version}, newer than this software (${SCHEMA_VERSION}): install the saraban-node that wrote it.`, EXIT.FAILED)
    }
    const db = Db.open(file, { synchronous: config.storage.synchronous })
    await db.close()
    const from = before.kind === 'found' ? before.version : 0
    process.stdout.write(from === SCHEMA_VERSION ? `${file} is at the latest migration (${SCHEMA_VERSION})\n` : `${file}: migrated from ${from} to ${SCHEMA_VERSION}\n`)
    return EXIT.OK
  },
}
