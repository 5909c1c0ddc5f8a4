// Check "database" with storage.engine postgresql (issue 19): the database answers (TLS as configured),
// and its schema is at this software's latest migration (start migrates it as it opens, as it does a
// SQLite file; an empty database is worth a word: a node being moved is copied before its first start).
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
  const findings: Finding[] = []
  try {
    const version = await withClient(target, 'saraban-node doctor', pgSchemaVersion)
    if (version === 0) findings.push(warn(`${where} answers and holds no saraban-node tables yet`, `start creates them (or \`saraban-node migrate --config ${config.file}\`); to move a node's history into it, run \`saraban-node storage copy\` before the first start.`))
    else if (version > SCHEMA_VERSION) findings.push(fail(`${where} is at migration ${version}, newer than this software knows (${SCHEMA_VERSION})`, 'You run an older saraban-node than the one that wrote this database: install that version (or newer) again.'))
    else if (version < SCHEMA_VERSION) findings.push(warn(`${where} is at migration ${version}; this software's latest is ${SCHEMA_VERSION}`, `start migrates it; to do it beforehand, run \`saraban-node migrate --config ${config.file}\`.`))
    else findings.push(ok(`${where} answers and is at the latest migration (${version})`))
  } catch (err) {
    if (err instanceof SarabanError) findings.push(fail(err.message, 'Correct storage.postgresql.caFile in the config file.'))
    else findings.push(fail(pgFailure(target.url, err), 'Fix the URL (storage.postgresql.url or SARABAN_POSTGRESQL_URL) or the server, then run doctor again.'))
  }
  return findings
}
