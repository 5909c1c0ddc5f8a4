// Development TSA material: a 'tsa' role certificate (RFC 3161 §2.3 profile, dev-issue.ts) under a dev
// federation's issuing CA, for certs-dev/, the demo and tests. Never for production.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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

/** Writes `<outDir>/tsa/tsa.chain.pem` and `tsa.key.pem` (0600): the files README "Time-stamping" runs
 *  `saraban-node tsa` with. For `saraban-node dev-certs`, after the federation is written. */
export async function writeDevTsa(outDir: string, issuer: Pick<Issued, 'key' | 'cert' | 'chain'>, opts: DevTsaOptions = {}): Promise<Issued> {
  const tsa = await issueTsaCertificate(issuer, opts)
  const dir = join(outDir, 'tsa')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'tsa.chain.pem'), tsa.chainPem)
  await writeFile(join(dir, 'tsa.key.pem'), tsa.keyPem, { mode: 0o600 })
  await chmod(join(dir, 'tsa.key.pem'), 0o600) // an existing file keeps its mode otherwise
  return tsa
}
