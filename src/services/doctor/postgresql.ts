// Check "database" with storage.engine postgresql (issue 19): the database answers (TLS as configured),
// and its schema is at this software's latest migration. This version does not run a node on
// PostgreSQL (start refuses, src/wire/storage.ts), so that is reported as the failure it is for start.
import type { Config } from '../../config/index.js'
import { pgFailure, withClient } from '../../storage/postgresql/connect.js'
import { pgSchemaVersion } from '../../storage/postgresql/migrate.js'
import { SCHEMA_VERSION } from '../../storage/migrations/index.js'
import { redactDatabaseUrl } from '../../config/redact.js'
import { SarabanError } from '../../errors.js'
import { fail, ok, warn, type Finding } from './types.js'

export async function checkPostgres(config: Config): Promise<Finding[]> {
  const target = config.storage.postgresql!
  const where = redactDatabaseUrl(target.url)
  const findings: Finding[] = [fail(
    'storage.engine is postgresql: this version prepares a PostgreSQL database (migrate, storage copy) but cannot run a node on it, and start refuses',
    'Set storage.engine to sqlite (the default) to start this node; keep the PostgreSQL database for a version that runs on it.',
  )]
  try {
    const version = await withClient(target, 'saraban-node doctor', pgSchemaVersion)
    if (version === 0) findings.push(warn(`${where} answers and holds no saraban-node tables yet`, `Run \`saraban-node migrate --config ${config.file}\`, or \`saraban-node storage copy\` to move a node's history into it.`))
    else if (version > SCHEMA_VERSION) findings.push(fail(`${where} is at migration ${version}, newer than this software knows (${SCHEMA_VERSION})`, 'You run an older saraban-node than the one that wrote this database: install that version (or newer) again.'))
    else if (version < SCHEMA_VERSION) findings.push(warn(`${where} is at migration ${version}; this software's latest is ${SCHEMA_VERSION}`, `Run \`saraban-node migrate --config ${config.file}\`.`))
    else findings.push(ok(`${where} answers and is at the latest migration (${version})`))
  } catch (err) {
    if (err instanceof SarabanError) findings.push(fail(err.message, 'Correct storage.postgresql.caFile in the config file.'))
    else findings.push(fail(pgFailure(target.url, err), 'Fix the URL (storage.postgresql.url or SARABAN_POSTGRESQL_URL) or the server, then run doctor again.'))
  }
  return findings
}
