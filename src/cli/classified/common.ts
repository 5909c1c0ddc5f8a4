// What the classified commands share: the API options, the officer's identity in the directory, and
// the check that an opened inner envelope matches the node's cover and the level rules.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { checkLevel } from '../../classified/levels.js'
import { officerBySigningCert, type AgencyOfficers, type OfficerRef } from '../../classified/officers.js'
import type { OpenedInner } from '../../classified/inner/open.js'
import { CliError } from '../args.js'
import { ClassifiedApi, type ClassifiedItem } from './api-client.js'

export const API_OPTIONS = {
  api: { type: 'string' },
  'api-key-file': { type: 'string' },
} as const

export const API_HELP = `Node:
  --api URL              the node's REST API (e.g. http://127.0.0.1:8080)
  --api-key-file F       a file holding an API key with the classified scope (or SARABAN_API_KEY)`

export const EXIT_HELP = `Exit codes:
  0  done
  1  refused: a check failed (signature, level rule, wrong key, mismatch) or the node refused; one
     sentence on stderr names the ERR_ code and what to do
  2  usage: a missing or wrong option, an unreadable file
  3  the node cannot be reached`

export function apiOf(v: { api?: string | undefined; 'api-key-file'?: string | undefined }): ClassifiedApi {
  if (!v.api) throw new CliError('--api URL is required.')
  let key = process.env['SARABAN_API_KEY']
  if (v['api-key-file'] !== undefined) {
    try {
      key = readFileSync(v['api-key-file'], 'utf8').trim()
    } catch {
      throw new CliError(`${v['api-key-file']}: the API key file cannot be read; check the path and its permissions.`)
    }
  }
  if (!key) throw new CliError('an API key is required: --api-key-file F or SARABAN_API_KEY.')
  return new ClassifiedApi(v.api, key)
}

/** Which officer of the directory the signing certificate is (statements name their signer). */
export function whoAmI(cert: X509Certificate, agencies: readonly AgencyOfficers[]): OfficerRef {
  const me = officerBySigningCert(cert, agencies)
  if (me === undefined) throw new SarabanError('ERR_SIGNER_UNTRUSTED', 'Your signing certificate is not an officer-signing certificate of this agency in the directory; ask the federation operator to list it.')
  return me
}

const asList = (to: string | string[]): string[] => (Array.isArray(to) ? to : [to])

/** PROTOCOL.md §19 opening: inner ↔ cover (controlNumber, from, to) and the level rules on the signers. */
export function checkOpened(opened: OpenedInner, item: ClassifiedItem, from: readonly AgencyOfficers[], policy: Parameters<typeof checkLevel>[2]): OfficerRef[] {
  const l = opened.letter
  const itemTo = asList(item.to)
  if (l.controlNumber !== item.controlNumber || l.from !== item.from || !itemTo.every((t) => l.to.includes(t))) {
    throw new SarabanError('ERR_CLASSIFIED_MISMATCH', `The inner envelope names ${l.controlNumber} from ${l.from}, but the node's cover says ${item.controlNumber} from ${item.from}; do not trust it and tell the registrar.`)
  }
  const signers = opened.signers.map((s) => officerBySigningCert(s.certificate, from))
  checkLevel(l, signers, policy)
  return signers as OfficerRef[]
}
