// A key on a PKCS#11 token as a config file names it (schemas/config.json $defs/tokenKeyPair, also
// used by hosted-agency files): module, slot or token label, key label, and where the PIN comes from
// (pinFile, else the environment variable SARABAN_PKCS11_PIN). Issue 12 §1.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Pkcs11KeySpec } from './pkcs11.js'

export const PIN_ENV = 'SARABAN_PKCS11_PIN'

/** As in the file, before paths are resolved and the PIN read. */
export interface RawTokenKey {
  pkcs11: { module: string; slot?: number; tokenLabel?: string; keyLabel: string; pinFile?: string }
  cert?: string
}

/** Resolved: the spec openPkcs11Key takes (PIN included: secret) and the certificate chain file, if any. */
export interface TokenKey {
  readonly pkcs11: Readonly<Pkcs11KeySpec>
  /** PEM chain, leaf first; absent: the certificate object of the same label on the token. */
  readonly cert?: string
}

export function isRawTokenKey(k: object): k is RawTokenKey {
  return 'pkcs11' in k
}

export function isTokenKey(k: object): k is TokenKey {
  return 'pkcs11' in k
}

/** Resolves paths against `base` and reads the PIN; throws an Error whose message is one sentence
 *  (the caller prefixes the file and field). The PIN never appears in a message. */
export function resolveTokenKey(raw: RawTokenKey, base: string, env: NodeJS.ProcessEnv): TokenKey {
  const { pinFile, ...where } = raw.pkcs11
  let pin: string
  if (pinFile !== undefined) {
    const file = resolve(base, pinFile)
    try {
      pin = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch {
      throw new Error(`the PIN file ${file} cannot be read: create it (mode 0600) with the token's user PIN`)
    }
  } else {
    pin = env[PIN_ENV] ?? ''
  }
  if (pin === '') throw new Error(`no PIN for the token key "${raw.pkcs11.keyLabel}": set pkcs11.pinFile or the environment variable ${PIN_ENV}`)
  return {
    pkcs11: { ...where, module: resolve(base, where.module), pin },
    ...(raw.cert !== undefined ? { cert: resolve(base, raw.cert) } : {}),
  }
}

/** The loggable form: everything but the PIN. */
export function redactedTokenKey(k: TokenKey, redacted: string): Record<string, unknown> {
  const { pin: _pin, ...rest } = k.pkcs11
  return { pkcs11: { ...rest, pin: redacted }, ...(k.cert !== undefined ? { cert: k.cert } : {}) }
}
