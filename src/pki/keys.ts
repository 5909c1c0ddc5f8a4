// Private keys in memory are node:crypto KeyObject (contract). Which JWS algorithm a key signs with is
// a row in a table (house style §2): RSA → RS256, EC P-256 → ES256 (PROTOCOL.md §5.1).
import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { SarabanError } from '../errors.js'

export type SigningAlg = 'RS256' | 'ES256'

/** Kind of an asymmetric key, as the algorithm tables see it. */
export type KeyKind = 'rsa' | 'ec-p256' | 'ec-p384'

/** Smallest RSA modulus we accept anywhere (NIST SP 800-131A Rev. 2: 2048 bits until 2030). */
export const MIN_RSA_BITS = 2048

const SIGNING_ALG: Readonly<Partial<Record<KeyKind, SigningAlg>>> = {
  rsa: 'RS256',
  'ec-p256': 'ES256',
}

/** Parses a PKCS#8 / PKCS#1 / SEC1 private key PEM; encrypted PKCS#8 needs the passphrase. */
export function loadPrivateKey(pem: string, passphrase?: string): KeyObject {
  const key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase })
  keyKind(key) // refuse unsupported key types at load time, not at first use
  return key
}

/** 'rsa' | 'ec-p256' | 'ec-p384' of a public or private key, or of a certificate's public key. */
export function keyKind(key: KeyObject | X509Certificate): KeyKind {
  const k = key instanceof X509Certificate ? key.publicKey : key
  const d = k.asymmetricKeyDetails
  if (k.asymmetricKeyType === 'rsa') {
    if ((d?.modulusLength ?? 0) < MIN_RSA_BITS) throw unsupported(`RSA key shorter than ${MIN_RSA_BITS} bits`)
    return 'rsa'
  }
  if (k.asymmetricKeyType === 'ec') {
    if (d?.namedCurve === 'prime256v1') return 'ec-p256'
    if (d?.namedCurve === 'secp384r1') return 'ec-p384'
    throw unsupported(`EC curve ${String(d?.namedCurve)}`)
  }
  throw unsupported(`key type ${String(k.asymmetricKeyType)}`)
}

/** The JWS algorithm this key (or certificate) signs with. Throws ERR_PROFILE_UNSUPPORTED otherwise. */
export function signingAlgFor(key: KeyObject | X509Certificate): SigningAlg {
  const kind = keyKind(key)
  const alg = SIGNING_ALG[kind]
  if (alg === undefined) throw unsupported(`no signing algorithm for ${kind} keys`)
  return alg
}

function unsupported(what: string): SarabanError {
  return new SarabanError('ERR_PROFILE_UNSUPPORTED', `unsupported key: ${what}`)
}
