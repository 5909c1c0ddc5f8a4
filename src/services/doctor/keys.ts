// Check "keys" (issue 17 item 7): each private key opens (with its passphrase) and is the key of its
// certificate. A key on a PKCS#11 token is opened on the token; a token that cannot be reached is
// noted, not failed (doctor may run where the token is not plugged in).
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import type { Config, KeyFiles } from '../../config/index.js'
import { parsePemChain } from '../../pki/cert.js'
import { loadPrivateKey } from '../../pki/keys.js'
import { openPkcs11Key, Pkcs11KeyError } from '../../crypto/keys/pkcs11.js'
import type { TokenKey } from '../../crypto/keys/token-config.js'
import { keyPairs, type NamedPair } from './key-pairs.js'
import { fail, ok, warn, type Finding } from './types.js'

const PASSPHRASE_CODES = new Set(['ERR_OSSL_BAD_DECRYPT', 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED', 'ERR_MISSING_PASSPHRASE'])
// A token that is not there: doctor says so and goes on (issue 17 item 7).
const UNREACHABLE = new Set(['binding-missing', 'module-missing', 'module-load', 'token-not-found'])

function leafOf(file: string): X509Certificate | undefined {
  try {
    return parsePemChain(readFileSync(file, 'utf8'))[0]
  } catch {
    return undefined // files or chains say why
  }
}

function fileKey(p: NamedPair, k: KeyFiles): Finding | undefined {
  let pem: string
  try {
    pem = readFileSync(k.key, 'utf8')
  } catch {
    return undefined // the files check names it
  }
  const cert = leafOf(k.cert)
  if (cert === undefined) return undefined
  try {
    const key = loadPrivateKey(pem, k.passphrase)
    if (cert.checkPrivateKey(key)) return undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (!PASSPHRASE_CODES.has(code)) return fail(`the key file ${k.key} (${p.at}/key) is not a PEM private key this node reads (${(err as Error).message})`, 'Give the PKCS#8 PEM key that `init` made.')
    if (k.passphraseEnv === undefined) return fail(`the key file ${k.key} (${p.at}/key) is encrypted and no passphrase is configured`, `Set ${p.at}/passphraseEnv to the name of the environment variable that holds its passphrase.`)
    return fail(`the passphrase in ${k.passphraseEnv} does not open the key file ${k.key} (${p.at}/key)`, `Set ${k.passphraseEnv} to that key's passphrase.`)
  }
  return fail(
    `the key file ${k.key} (${p.at}/key) is not the key of the certificate ${k.cert} (${p.at}/cert)`,
    'Give the key the certificate was issued for, or the certificate issued for this key.',
  )
}

function tokenKey(p: NamedPair, k: TokenKey): Finding | undefined {
  let opened
  try {
    opened = openPkcs11Key(k.pkcs11)
  } catch (err) {
    if (err instanceof Pkcs11KeyError && UNREACHABLE.has(err.reason)) {
      return warn(`the key of ${p.at} is on a PKCS#11 token that cannot be reached here (${err.message}): not checked`, 'Run doctor where the token is plugged in to check that key.')
    }
    return fail(`the key of ${p.at} on the PKCS#11 token cannot be used: ${(err as Error).message}`, 'Correct the pkcs11 settings of that key in the config file.')
  }
  try {
    const cert = k.cert !== undefined ? leafOf(k.cert) : opened.certificate
    if (cert === undefined) return fail(`no certificate for the token key of ${p.at}`, `Give ${p.at}/cert or store the certificate on the token under the key's label.`)
    if (!cert.publicKey.export({ format: 'der', type: 'spki' }).equals(opened.handle.publicKey.export({ format: 'der', type: 'spki' }))) {
      return fail(`the token key of ${p.at} is not the key of its certificate`, 'Give the certificate issued for the key on the token.')
    }
    return undefined
  } finally {
    opened.handle.close()
  }
}

export function checkKeys({ config }: { config: Config }): Finding[] {
  const out: Finding[] = []
  const pairs = keyPairs(config)
  for (const p of pairs) {
    const f = p.files ? fileKey(p, p.files) : p.token ? tokenKey(p, p.token) : undefined
    if (f) out.push(f)
  }
  if (out.length === 0) out.push(ok(`${pairs.length} keys open and match their certificates`))
  return out
}
