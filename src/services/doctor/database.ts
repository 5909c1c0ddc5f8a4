// Check "database" (issue 17 item 7): the data directory and database file are writable by this user,
// and the database is at the latest migration this software knows (older: migrate; newer: this is an
// older saraban-node than the one that wrote it). With storage.engine postgresql: postgresql.ts.
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Config } from '../../config/index.js'
import { databaseFile, schemaState } from '../../storage/schema-version.js'
import { SCHEMA_VERSION } from '../../storage/migrations/index.js'
import { fail, ok, warn, type Finding } from './types.js'
import { checkPostgres } from './postgresql.js'

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}

const me = () => process.getuid?.() ?? '<uid of the node>'

function unwritable(path: string, what: string): Finding {
  let owner = ''
  try {
    owner = `, owned by uid ${statSync(path).uid}`
  } catch { /* absent */ }
  return fail(`the ${what} ${path} is not writable by uid ${me()}${owner}`, `Run \`chown -R ${me()} ${path}\`, or run the node as the owner.`)
}

export function checkDatabase({ config }: { config: Config }): Finding[] | Promise<Finding[]> {
  if (config.storage.engine === 'postgresql') return checkPostgres(config)
  const dir = config.dataDir
  if (!existsSync(dir)) {
    // The node creates it (0700) at start: its nearest existing parent must be writable.
    let parent = dirname(dir)
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent)
    if (!writable(parent)) return [unwritable(parent, `folder that would hold dataDir ${dir}:`)]
    return [ok(`dataDir ${dir} does not exist yet: start creates it with a database at migration ${SCHEMA_VERSION}`)]
  }
  if (!statSync(dir).isDirectory()) return [fail(`dataDir ${dir} is not a folder`, 'Set dataDir (or SARABAN_DATA_DIR) to a folder.')]
  if (!writable(dir)) return [unwritable(dir, 'dataDir')]
  const file = databaseFile(dir)
  const state = schemaState(file)
  if (state.kind === 'absent') return [ok(`no database in ${dir} yet: start creates it at migration ${SCHEMA_VERSION}`)]
  if (state.kind === 'unreadable') return [fail(`the database ${file} cannot be opened: ${state.reason}`, 'Restore the database from a backup, or move it away to start with an empty one.')]
  if (!writable(file)) return [unwritable(file, 'database')]
  const mode = statSync(file).mode & 0o777
  // storage/private-files.ts: the node refuses a database other users can read (letters, content keys).
  if ((mode & 0o077) !== 0) return [fail(`the database ${file} has mode ${mode.toString(8).padStart(4, '0')}: other users can read letters and content keys, and the node refuses to open it`, `Run \`chmod 600 ${file}*\`.`)]
  if (state.version > state.latest) {
    return [fail(
      `the database ${file} is at migration ${state.version}, newer than this software knows (${state.latest})`,
      'You run an older saraban-node than the one that wrote this database: install that version (or newer) again.',
    )]
  }
  if (state.version < state.latest) {
    return [warn(`the database ${file} is at migration ${state.version}; this software's latest is ${state.latest}`, `Run \`saraban-node migrate --config ${config.file}\` (start also migrates it).`)]
  }
  return [ok(`the database ${file} is writable and at the latest migration (${state.version})`)]
}
