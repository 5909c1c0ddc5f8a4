// The officer key spec of the classified commands (classified-design.md §6): PKCS#12, PKCS#8 + cert,
// or a PKCS#11 token; every key is then used only through a PrivateKeyHandle. An officer has two keys
// (officer-signing, officer-encryption); which is which is read from each certificate's keyUsage
// (RFC 5280 §4.2.1.3): digitalSignature/nonRepudiation signs, keyEncipherment/keyAgreement opens.
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { loadKeyFileAll, type LoadedKey } from '../../crypto/keys/file.js'
import type { PrivateKeyHandle } from '../../crypto/keys/handle.js'
import { certFacts, KEY_USAGE_BIT } from '../../pki/cert-facts.js'
import { CliError } from '../args.js'

export const KEY_OPTIONS = {
  'key-file': { type: 'string', multiple: true },
  'cert-file': { type: 'string', multiple: true },
  'passphrase-file': { type: 'string' },
  'pkcs11-module': { type: 'string' },
  slot: { type: 'string' },
  'token-label': { type: 'string' },
  'key-label': { type: 'string', multiple: true },
  'pin-file': { type: 'string' },
} as const

export const KEY_HELP = `Officer key (one of):
  --key-file officer.p12 --passphrase-file F          PKCS#12 with the signing and the encryption key
  --key-file key.pem --cert-file cert.pem [...] --passphrase-file F
                                                      encrypted PKCS#8 (PEM or DER) and its certificate;
                                                      repeat the pair for the second key
  --pkcs11-module LIB [--slot N | --token-label T] --key-label L [...] --pin-file F
                                                      a key on a PKCS#11 token (or SARABAN_PKCS11_PIN)
  The passphrase may also come from SARABAN_OFFICER_PASSPHRASE.`

export interface KeyValues {
  'key-file'?: string[] | undefined
  'cert-file'?: string[] | undefined
  'passphrase-file'?: string | undefined
  'pkcs11-module'?: string | undefined
  slot?: string | undefined
  'token-label'?: string | undefined
  'key-label'?: string[] | undefined
  'pin-file'?: string | undefined
}

export interface OfficerKeys {
  signing: LoadedKey | undefined
  encryption: LoadedKey | undefined
  close(): void
}

function secretFrom(file: string | undefined, env: string, what: string): string {
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0]!
    } catch {
      throw new CliError(`${file}: the ${what} file cannot be read; check the path and its permissions.`)
    }
  }
  const v = process.env[env]
  if (v === undefined || v === '') throw new CliError(`the ${what} is missing: give --${what === 'PIN' ? 'pin' : 'passphrase'}-file F or set ${env}.`)
  return v
}

type Pkcs11Open = (spec: { module: string; slot?: number; tokenLabel?: string; keyLabel: string; pin: string }) => { handle: PrivateKeyHandle; certificate?: X509Certificate }

async function pkcs11Opener(): Promise<Pkcs11Open> {
  // src/crypto/keys/pkcs11.ts comes from the pkcs11 work (issue 12 §1); this copy may not have it.
  const modulePath = '../../crypto/keys/pkcs11.js'
  try {
    const m = (await import(modulePath)) as { openPkcs11Key?: Pkcs11Open }
    if (typeof m.openPkcs11Key === 'function') return m.openPkcs11Key
  } catch { /* below */ }
  throw new CliError('PKCS#11 support is not built into this copy of saraban-node; use --key-file with a PKCS#12 or PKCS#8 file.')
}

/** Opens the keys the spec names; `need` says which roles the command uses. */
export async function openOfficerKeys(v: KeyValues, need: { signing?: boolean; encryption?: boolean }): Promise<OfficerKeys> {
  let loaded: LoadedKey[]
  if (v['pkcs11-module'] !== undefined) {
    const open = await pkcs11Opener()
    const pin = secretFrom(v['pin-file'], 'SARABAN_PKCS11_PIN', 'PIN')
    const certs = v['cert-file'] ?? []
    loaded = (v['key-label'] ?? []).map((keyLabel, i) => {
      const r = open({ module: v['pkcs11-module']!, ...(v.slot ? { slot: Number(v.slot) } : {}), ...(v['token-label'] ? { tokenLabel: v['token-label'] } : {}), keyLabel, pin })
      const certificate = r.certificate ?? (certs[i] ? loadCertFile(certs[i]!) : undefined)
      if (certificate === undefined) throw new CliError(`the token holds no certificate for key ${keyLabel}; give it with --cert-file.`)
      return { handle: r.handle, certificate, chain: [] }
    })
    if (loaded.length === 0) throw new CliError('--key-label L is required with --pkcs11-module.')
  } else {
    const files = v['key-file'] ?? []
    if (files.length === 0) throw new CliError('an officer key is required: --key-file (PKCS#12 or PKCS#8) or --pkcs11-module.')
    const passphrase = secretFrom(v['passphrase-file'], 'SARABAN_OFFICER_PASSPHRASE', 'passphrase')
    const certs = v['cert-file'] ?? []
    loaded = []
    for (const [i, keyFile] of files.entries()) loaded.push(...await loadKeyFileAll({ keyFile, ...(certs[i] ? { certFile: certs[i] } : {}), passphrase }))
  }
  const keys: OfficerKeys = {
    signing: loaded.find((k) => roleOf(k.certificate) === 'signing'),
    encryption: loaded.find((k) => roleOf(k.certificate) === 'encryption'),
    close: () => loaded.forEach((k) => k.handle.close()),
  }
  if (need.signing && keys.signing === undefined) { keys.close(); throw new CliError('no officer signing key was given (a certificate with keyUsage digitalSignature or nonRepudiation).') }
  if (need.encryption && keys.encryption === undefined) { keys.close(); throw new CliError('no officer encryption key was given (a certificate with keyUsage keyEncipherment or keyAgreement).') }
  return keys
}

function loadCertFile(file: string): X509Certificate {
  try {
    return new X509Certificate(readFileSync(file))
  } catch {
    throw new CliError(`${file}: this is not an X.509 certificate file (PEM or DER).`)
  }
}

function roleOf(cert: X509Certificate): 'signing' | 'encryption' | undefined {
  const ku = certFacts(cert).keyUsage
  if (ku === undefined) return undefined
  const has = (b: keyof typeof KEY_USAGE_BIT): boolean => (ku & (1 << KEY_USAGE_BIT[b])) !== 0
  if (has('keyEncipherment') || has('keyAgreement')) return 'encryption'
  if (has('digitalSignature') || has('nonRepudiation')) return 'signing'
  return undefined
}
