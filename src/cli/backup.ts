// `saraban-node backup` and `saraban-node restore` (issue 17 item 3, README "Backups"). backup opens
// the running node's database file itself (WAL: it reads while the node writes) and copies it with
// SQLite's online backup API (src/storage/snapshot.ts); restore checks everything before it writes (src/services/backup/read.ts).
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig } from '../config/index.js'
import { snapshotDatabase } from '../storage/snapshot.js'
import { parsePemChain } from '../pki/cert.js'
import { packageRoot } from '../version.js'
import { BackupError } from '../services/backup/errors.js'
import { backupInputFrom } from '../services/backup/from-config.js'
import { restoreBackup } from '../services/backup/read.js'
import { DATABASE_FILE, writeBackup } from '../services/backup/write.js'
import { parse, CliError, readInputFile } from './args.js'
import { EXIT } from './exit-codes.js'
import type { Command } from './commands.js'

/** A BackupError as the CLI's one sentence and exit code. */
function explained(err: unknown): never {
  if (err instanceof BackupError) throw new CliError(err.message, err.kind === 'not-empty' || err.kind === 'needs-key' ? EXIT.USAGE : EXIT.FAILED)
  throw err
}

export const backupCommand: Command = {
  summary: "copy a running node's database, config and certificates into one signed (and encrypted) file",
  help: `Usage: saraban-node backup --out FILE [--config FILE]

Makes a consistent copy of the node's database while the node runs (SQLite's online backup API),
with the data directory's other files, the config file and the certificates, in one ustar archive
whose first member is a manifest (every file's SHA-256, the schema level) signed with the node's
TLS key. With backup.recipient in the config, the archive is encrypted to that certificate (CMS
AuthEnvelopedData, AES-256-GCM; openssl cms -decrypt opens it) and also carries the private key
files; without it, no private key is in the backup. README "Backups" describes the format.

Options:
  --out FILE      the backup file to write (0600); it appears only once complete
  --config FILE   the node's configuration (default: the embedded dev node, as "start")
`,
  async run(argv) {
    const { values } = parse(argv, { out: { type: 'string' }, config: { type: 'string' } })
    if (!values.out) throw new CliError('--out FILE is required: name the backup file to write.')
    const out = resolve(values.out)
    if (existsSync(out)) throw new CliError(`${out} exists already: give a new file name with --out (a backup never overwrites one).`)
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    if (config.storage.engine === 'postgresql') throw new CliError('this node keeps its records in PostgreSQL (storage.engine postgresql): back up the database with pg_dump or pg_basebackup, and its dataDir and keys as files; saraban-node backup copies a SQLite node.', EXIT.CONFIG)
    const dbFile = join(config.dataDir, DATABASE_FILE)
    if (!existsSync(dbFile)) throw new CliError(`there is no database at ${dbFile}: --config must name the config of the node to back up (its dataDir).`, EXIT.CONFIG)
    const result = await writeBackup(backupInputFrom(config, (dest) => snapshotDatabase(dbFile, dest), new Date()), out).catch(explained)
    const m = result.manifest
    process.stdout.write(
      `${out}: ${m.files.length} files, schema ${m.schemaVersion}, ${m.encrypted ? 'encrypted to backup.recipient, private keys included' : 'NOT encrypted (no backup.recipient), private keys not included'}` +
        `${m.keysNotIncluded.length > 0 ? `; not included: ${m.keysNotIncluded.join(', ')}` : ''}\n`,
    )
    return EXIT.OK
  },
}

function readKey(file: string, passphraseEnv: string | undefined): KeyObject {
  const pem = readInputFile(file, '--key')
  const passphrase = passphraseEnv === undefined ? undefined : process.env[passphraseEnv]
  if (passphraseEnv !== undefined && passphrase === undefined) throw new CliError(`${passphraseEnv} (--passphrase-env) is not set: export the key's passphrase in it.`)
  try {
    return createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase })
  } catch {
    throw new CliError(`${file} (--key) is not a private key this passphrase opens: give the PEM private key of the backup.recipient certificate${passphraseEnv === undefined ? ' (and --passphrase-env NAME if it is encrypted)' : ''}.`)
  }
}

export const restoreCommand: Command = {
  summary: 'check a backup and put it into an empty data directory',
  help: `Usage: saraban-node restore --in FILE (--data-dir DIR | --config FILE) [--config FILE] [--config-dir DIR] [--key FILE]

Checks the backup's signature and every file's SHA-256 before it writes anything, then puts the
database and the data directory's files into DIR, which must be empty or not exist. A changed or
damaged backup is refused and nothing is written.

Options:
  --in FILE             the backup file
  --data-dir DIR        where to put the data (default: the dataDir of --config)
  --config FILE         the config the restored node will run with: the backup must be signed by a
                        TLS certificate that chains to its trust anchors (without it, the signature
                        is checked with the certificate inside the backup only)
  --config-dir DIR      also write the backup's config/ and pki/ files (config file, certificates,
                        and the private keys of an encrypted backup) into DIR, empty or new
  --key FILE            PEM private key of the backup.recipient certificate (encrypted backups)
  --passphrase-env NAME the environment variable that holds that key's passphrase
`,
  async run(argv) {
    const { values } = parse(argv, {
      in: { type: 'string' }, 'data-dir': { type: 'string' }, config: { type: 'string' }, 'config-dir': { type: 'string' }, key: { type: 'string' }, 'passphrase-env': { type: 'string' },
    })
    if (!values.in) throw new CliError('--in FILE is required: name the backup file to restore.')
    const config = values.config !== undefined ? loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() }) : undefined
    const dataDir = values['data-dir'] ?? config?.dataDir
    if (dataDir === undefined) throw new CliError('--data-dir DIR (or --config FILE with its dataDir) is required: name the empty data directory to restore into.')
    const anchors = config?.trust.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8')))
    const key = values.key !== undefined ? readKey(values.key, values['passphrase-env']) : undefined
    const result = await restoreBackup({
      file: values.in, dataDir,
      ...(values['config-dir'] !== undefined ? { configDir: values['config-dir'] } : {}),
      ...(key ? { key } : {}),
      ...(anchors ? { anchors } : {}),
    }).catch((err: unknown) => explained(err instanceof BackupError ? new BackupError(err.kind, err.detail, values.in) : err))
    const m = result.manifest
    process.stdout.write(
      `restored the backup of ${m.agencies.join(', ')} made ${m.createdAt} (schema ${m.schemaVersion}) into ${resolve(dataDir)}` +
        `${values['config-dir'] !== undefined ? ` and its config and certificates${m.keysIncluded ? ' and private keys' : ''} into ${resolve(values['config-dir'])}` : ''}\n`,
    )
    if (!anchors) process.stderr.write(`saraban-node: the signature was checked with the certificate inside the backup (${result.signer.subject.replace(/\n/g, ', ')}) only; give --config to check that your federation's node made it.\n`)
    return EXIT.OK
  },
}
