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

export const migrateCommand: Command = {
  summary: 'bring the database to the latest migration (start does it too)',
  help: `Usage: saraban-node migrate [--config FILE]

Applies the migrations the database of dataDir lacks, then exits. Stop the node first.
Exit status: 0 done (or nothing to do); 1 the database is newer than this software; 4 the config is wrong.
`,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' } })
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
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
