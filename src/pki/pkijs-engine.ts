// The one place that gives pkijs a crypto engine: node's own WebCrypto. pkijs keeps its engine in a
// process-global slot, so this is set once, lazily (not at import time), and also passed explicitly
// to every pkijs call this package makes.
import { webcrypto } from 'node:crypto'
import * as pkijs from 'pkijs'

type CryptoKey = webcrypto.CryptoKey

let engine: pkijs.CryptoEngine | undefined

const MAX_KEYS = 1024

/** pkijs imports the issuer's public key again for every signature it checks: path building checks
 *  the issuing CA's and the root's signatures on each validation (RFC 5280 §6.1.3 (a)(1)). The same
 *  SubjectPublicKeyInfo with the same signature algorithm always imports to the same (immutable)
 *  CryptoKey, so the imports are kept, bounded. */
class KeyCachingEngine extends pkijs.CryptoEngine {
  readonly #keys = new Map<string, Promise<CryptoKey>>()

  override getPublicKey(publicKeyInfo: pkijs.PublicKeyInfo, signatureAlgorithm: pkijs.AlgorithmIdentifier, parameters?: pkijs.CryptoEnginePublicKeyParams): Promise<CryptoKey> {
    if (parameters !== undefined) return super.getPublicKey(publicKeyInfo, signatureAlgorithm, parameters)
    const id = Buffer.from(publicKeyInfo.toSchema().toBER(false)).toString('hex') + '|' + Buffer.from(signatureAlgorithm.toSchema().toBER(false)).toString('hex')
    let key = this.#keys.get(id)
    if (key === undefined) {
      key = super.getPublicKey(publicKeyInfo, signatureAlgorithm)
      key.catch(() => this.#keys.delete(id)) // a failed import is not remembered
      if (this.#keys.size >= MAX_KEYS) this.#keys.delete(this.#keys.keys().next().value!)
      this.#keys.set(id, key)
    }
    return key
  }
}

export function pkijsCrypto(): pkijs.CryptoEngine {
  if (engine === undefined) {
    engine = new KeyCachingEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] })
    pkijs.setEngine('node-webcrypto', engine)
  }
  return engine
}
