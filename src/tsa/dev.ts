// Development TSA material: a 'tsa' role certificate (RFC 3161 §2.3 profile, dev-issue.ts) under a dev
// federation's issuing CA, for certs-dev/, the demo and tests. Never for production.
import { issueCertificate, type Issued, type KeyAlg } from '../pki/dev-issue.js'

export interface DevTsaOptions {
  /** default 'ec' (P-256); 'rsa' gives RSA-2048 */
  readonly keyType?: KeyAlg | 'rsa' | 'ec'
  readonly notBefore?: Date
  readonly notAfter?: Date
  readonly commonName?: string
}

export function issueTsaCertificate(issuer: Pick<Issued, 'key' | 'cert' | 'chain'>, opts: DevTsaOptions = {}): Promise<Issued> {
  return issueCertificate(issuer, {
    role: 'tsa',
    keyType: opts.keyType ?? 'ec',
    subject: { commonName: opts.commonName ?? 'Saraban Federation Time-Stamping Authority (DEV)', organization: 'Saraban Federation Operator (DEV)' },
    ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
    ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
  })
}
