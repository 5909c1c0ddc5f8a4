// One hosted-agency file of hosting.agenciesDir (schemas/config/hosted-agency.json): parsed,
// validated against its schema, paths resolved against the file's folder, passphrases read from
// the environment, keys loaded. Any problem is a plain Error naming the file and the field.
import { readFileSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { check, schemaIds } from '../../schema/index.js'
import { loadAgencyKeys, type AgencyWebhook, type HostedAgency, type HostedAgencyFiles, type KeySource } from './agencies.js'
import { isRawTokenKey, resolveTokenKey, type RawTokenKey } from '../../crypto/keys/token-config.js'
import { webhookKey } from '../events/signature.js'

interface RawKeyFiles { key: string; cert: string; passphraseEnv?: string }
type RawKeySource = RawKeyFiles | RawTokenKey
interface RawAgencyFile {
  id: string
  signing: RawKeySource | RawKeySource[]
  encryption: RawKeySource | RawKeySource[]
  apiKeys: Array<{ name: string; sha256: string; scopes?: string[] }>
  ownerCode?: string
  allowClassifiedPlaintext?: boolean
  /** Filled with [] by validation; absent in a file read raw for its version. */
  webhooks: Array<{ name: string; url: string; types: string[] | null; secretEnv: string | null; secretFile: string | null }>
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v])

/** The files one agency file refers to, for change detection. */
function referencedFiles(raw: RawAgencyFile, base: string): string[] {
  // a token key: its chain file and PIN file (the key itself lives on the token)
  const keys = [...list(raw.signing), ...list(raw.encryption)].flatMap((k) =>
    isRawTokenKey(k) ? [k.cert, k.pkcs11.pinFile].flatMap((f) => (typeof f === 'string' ? [resolve(base, f)] : [])) : [resolve(base, k.key), resolve(base, k.cert)])
  // a rotated webhook secret reloads the agency too (README "Notifications")
  const secrets = (raw.webhooks ?? []).flatMap((w) => (typeof w.secretFile === 'string' ? [resolve(base, w.secretFile)] : []))
  return [...keys, ...secrets]
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
  const keyFiles = (k: RawKeySource, at: string): KeySource => {
    if (isRawTokenKey(k)) {
      try {
        return resolveTokenKey(k, base, env)
      } catch (err) {
        throw new Error(`${file}: ${at}/pkcs11: ${(err as Error).message}`)
      }
    }
    if (k.passphraseEnv !== undefined && (env[k.passphraseEnv] ?? '') === '') {
      throw new Error(`${file}: ${at}/passphraseEnv names ${k.passphraseEnv}, which is not set`)
    }
    return { key: resolve(base, k.key), cert: resolve(base, k.cert), ...(k.passphraseEnv !== undefined ? { passphrase: env[k.passphraseEnv]! } : {}) }
  }
  const files: HostedAgencyFiles = {
    id: raw.id,
    signing: list(raw.signing).map((k, i) => keyFiles(k, `/signing/${i}`)),
    encryption: list(raw.encryption).map((k, i) => keyFiles(k, `/encryption/${i}`)),
    apiKeys: raw.apiKeys.map((k) => ({ name: k.name, sha256: k.sha256.toLowerCase(), scopes: k.scopes ?? [] })),
    ...(raw.ownerCode !== undefined ? { ownerCode: raw.ownerCode } : {}),
    ...(raw.allowClassifiedPlaintext === true ? { allowClassifiedPlaintext: true } : {}),
    webhooks: agencyWebhooks(file, raw, env),
  }
  try {
    return { agency: loadAgencyKeys(files), version }
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
}

/** README "Notifications": an agency's own webhooks, each with one secret (secretEnv or secretFile). */
function agencyWebhooks(file: string, raw: RawAgencyFile, env: NodeJS.ProcessEnv): AgencyWebhook[] {
  const seen = new Set<string>()
  return raw.webhooks.map((w, i) => {
    const at = `${file}: /webhooks/${i}`
    if (seen.has(w.name)) throw new Error(`${at}/name repeats "${w.name}"`)
    seen.add(w.name)
    if ((w.secretEnv === null) === (w.secretFile === null)) throw new Error(`${at} must give exactly one of secretEnv and secretFile`)
    let secret: string
    if (w.secretEnv !== null) {
      secret = env[w.secretEnv] ?? ''
      if (secret === '') throw new Error(`${at}/secretEnv names ${w.secretEnv}, which is not set`)
    } else {
      try {
        secret = readFileSync(resolve(dirname(file), w.secretFile!), 'utf8')
      } catch (err) {
        throw new Error(`${at}/secretFile cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      }
    }
    const key = webhookKey(secret)
    if (!key.ok) throw new Error(`${at}: the secret ${key.reason}`)
    return { name: w.name, url: w.url, key: key.key, ...(w.types ? { types: new Set(w.types) } : {}) }
  })
}
