// Check "files" (issue 17 item 7): every file the configuration names exists and can be read by the
// user running this command; private keys are mode 0600 (no group or other access).
import { accessSync, constants, statSync } from 'node:fs'
import type { Config } from '../../config/index.js'
import { keyPairs } from './key-pairs.js'
import { fail, ok, type Finding } from './types.js'

const uid = (): number | undefined => process.getuid?.()

/** One file: absent, unreadable (with the chown that fixes it) or, for a key, too open. */
function fileFindings(file: string, at: string, what: string, isKey: boolean): Finding[] {
  let st
  try {
    st = statSync(file)
  } catch {
    return [fail(`the ${what} ${file} (${at}) does not exist`, 'Correct the path in the config file or put the file there.')]
  }
  if (!st.isFile()) return [fail(`the ${what} ${file} (${at}) is not a file`, 'Name the file itself in the config file.')]
  const out: Finding[] = []
  try {
    accessSync(file, constants.R_OK)
  } catch {
    const me = uid()
    out.push(fail(
      `the ${what} ${file} (${at}) cannot be read by uid ${me ?? '?'} (it is owned by uid ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`,
      `Run \`chown ${me ?? '<uid of the node>'} ${file}\` (the node reads it as the user that runs it), or run the node as uid ${st.uid}.`,
    ))
  }
  if (isKey && (st.mode & 0o077) !== 0) {
    out.push(fail(
      `the private key ${file} (${at}) has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: other users can read it`,
      `Run \`chmod 600 ${file}\`.`,
    ))
  }
  return out
}

export function checkFiles({ config }: { config: Config }): Finding[] {
  const out: Finding[] = []
  let count = 0
  const add = (file: string | undefined, at: string, what: string, isKey = false) => {
    if (file === undefined) return
    count++
    out.push(...fileFindings(file, at, what, isKey))
  }
  for (const p of keyPairs(config)) {
    if (p.files) {
      add(p.files.key, `${p.at}/key`, 'key file', true)
      add(p.files.cert, `${p.at}/cert`, 'certificate file')
    } else if (p.token?.cert) add(p.token.cert, `${p.at}/cert`, 'certificate file')
  }
  config.trust.anchors.forEach((f, i) => add(f, `/trust/anchors/${i}`, 'trust anchor file'))
  if (!/^https?:\/\//i.test(config.trust.directory)) add(config.trust.directory, '/trust/directory', 'directory file')
  config.trust.crls.forEach((f, i) => { if (!/^https?:\/\//i.test(f)) add(f, `/trust/crls/${i}`, 'CRL file') })
  add(config.tsa.caFile, '/tsa/caFile', 'TSA CA file')
  if (out.length === 0) out.push(ok(`${count} files exist and can be read by uid ${uid() ?? '?'}; private keys are 0600`))
  return out
}
