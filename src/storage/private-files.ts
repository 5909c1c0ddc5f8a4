// The data folder holds letters in plaintext and the content key of every sent envelope (issue 13
// §1): it is 0700 and every file in it 0600, whatever the umask, and a node refuses to start on a
// folder or database file that other local users can read.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { SarabanError } from '../errors.js'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600
const OPEN_TO_OTHERS = 0o077
// POSIX modes mean nothing on Windows (ACLs there): the check is skipped.
const POSIX = process.platform !== 'win32'

/** Creates `dir` (and missing parents) 0700, or refuses an existing one that group or others can open. */
export function preparePrivateDir(dir: string, field = '/dataDir'): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  if (!POSIX) return
  refuseIfOpen(dir, field, `chmod 700 '${dir}'`)
}

/** Refuses an existing file that group or others can read or write; creates a missing one empty, 0600. */
export function preparePrivateFile(file: string, field = '/dataDir'): void {
  if (existsSync(file)) {
    if (POSIX) refuseIfOpen(file, field, `chmod 600 '${file}'*`)
    return
  }
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE))
  restrict(file)
}

/** Sets 0600 on a file the node wrote (or SQLite created), whatever the umask was. */
export function restrict(file: string): void {
  if (POSIX && existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE)
}

function refuseIfOpen(path: string, field: string, fix: string): void {
  const mode = statSync(path).mode & 0o777
  if ((mode & OPEN_TO_OTHERS) === 0) return
  throw new SarabanError('ERR_CONFIG_INVALID',
    `${path} is readable by other local users (mode ${mode.toString(8).padStart(4, '0')}), and it holds letters and content keys; run \`${fix}\` and start again.`,
    { errors: [{ field, message: `make it private to the node's user: ${fix}` }] })
}
