// The key pairs a configuration names, with their config pointers and certificate roles, in the
// order the config file lists them (tls, then each agency's signing and encryption key).
import type { Config, KeyFiles } from '../../config/index.js'
import { isTokenKey, type TokenKey } from '../../crypto/keys/token-config.js'
import type { CertRole } from '../../pki/cert.js'

export interface NamedPair {
  /** JSON pointer of the pair in the config file, e.g. /agencies/0/signing */
  readonly at: string
  readonly role: Extract<CertRole, 'tls' | 'signing' | 'encryption'>
  readonly agency?: string
  readonly files?: KeyFiles
  readonly token?: TokenKey
}

export function keyPairs(config: Config): NamedPair[] {
  const pairs: NamedPair[] = [{ at: '/tls', role: 'tls', files: config.tls }]
  config.agencies.forEach((a, i) => {
    for (const role of ['signing', 'encryption'] as const) {
      const k = a[role]
      const at = `/agencies/${i}/${role}`
      pairs.push(isTokenKey(k) ? { at, role, agency: a.id, token: k } : { at, role, agency: a.id, files: k })
    }
  })
  return pairs
}

/** The certificate chain file of a pair, if it has one (a token key may keep its certificate on the token). */
export const certFile = (p: NamedPair): string | undefined => p.files?.cert ?? p.token?.cert
