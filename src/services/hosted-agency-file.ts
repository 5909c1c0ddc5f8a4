// One hosted-agency file of hosting.agenciesDir (schemas/config/hosted-agency.json): parsed,
// validated against its schema, paths resolved against the file's folder, passphrases read from
// the environment, keys loaded. Any problem is a plain Error naming the file and the field.
import { readFileSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { check, schemaIds } from '../schema/index.js'
import { loadAgencyKeys, type HostedAgency, type HostedAgencyFiles, type KeyFiles } from './hosted-agencies.js'

interface RawKeyFiles { key: string; cert: string; passphraseEnv?: string }
interface RawAgencyFile {
  id: string
  signing: RawKeyFiles | RawKeyFiles[]
  encryption: RawKeyFiles | RawKeyFiles[]
  apiKeys: Array<{ name: string; sha256: string }>
  ownerCode?: string
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v])

/** The files one agency file refers to, for change detection. */
function referencedFiles(raw: RawAgencyFile, base: string): string[] {
  return [...list(raw.signing), ...list(raw.encryption)].flatMap((k) => [resolve(base, k.key), resolve(base, k.cert)])
}

export interface LoadedAgencyFile {
  readonly agency: Omit<HostedAgency, 'signer'>
  /** Changes when the file or any key or certificate file it names changes (content or mtime). */
  readonly version: string
}

/** The version of a file without loading its keys: cheap enough to run on every rescan. */
export function agencyFileVersion(file: string): string {
  const text = readFileSync(file)
  const h = createHash('sha256').update(text)
  try {
    const raw = JSON.parse(text.toString('utf8')) as RawAgencyFile
    for (const f of referencedFiles(raw, dirname(file))) {
      const st = statSync(f, { throwIfNoEntry: false })
      h.update(`\n${f}:${st ? `${st.size}:${st.mtimeMs}` : 'missing'}`)
    }
  } catch {
    // Malformed: the content hash alone decides; loadAgencyFile reports the problem.
  }
  return h.digest('hex')
}

export function loadAgencyFile(file: string, env: NodeJS.ProcessEnv): LoadedAgencyFile {
  const version = agencyFileVersion(file)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`)
  }
  const checked = check<RawAgencyFile>(schemaIds.hostedAgency, json)
  if (!checked.ok) throw new Error(`${file}: ${checked.errors.map((e) => `${e.field || '/'} ${e.message}`).join('; ')}`)
  const raw = checked.value
  const base = dirname(file)
  const keyFiles = (k: RawKeyFiles, at: string): KeyFiles => {
    if (k.passphraseEnv !== undefined && (env[k.passphraseEnv] ?? '') === '') {
      throw new Error(`${file}: ${at}/passphraseEnv names ${k.passphraseEnv}, which is not set`)
    }
    return { key: resolve(base, k.key), cert: resolve(base, k.cert), ...(k.passphraseEnv !== undefined ? { passphrase: env[k.passphraseEnv]! } : {}) }
  }
  const files: HostedAgencyFiles = {
    id: raw.id,
    signing: list(raw.signing).map((k, i) => keyFiles(k, `/signing/${i}`)),
    encryption: list(raw.encryption).map((k, i) => keyFiles(k, `/encryption/${i}`)),
    apiKeys: raw.apiKeys.map((k) => ({ name: k.name, sha256: k.sha256.toLowerCase() })),
    ...(raw.ownerCode !== undefined ? { ownerCode: raw.ownerCode } : {}),
  }
  try {
    return { agency: loadAgencyKeys(files), version }
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
}
