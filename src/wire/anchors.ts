// Trust anchors and the revocation check behind every path validation. Built first, before the
// database is opened: a bad trust configuration fails the boot with nothing to close.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import { parsePemChain } from '../pki/cert.js'
import { TrustAnchors } from '../pki/validate.js'
import type { RevocationChecker } from '../pki/revocation.js'
import { createRevocationChecker } from '../services/sources/crl-source.js'
import type { Base } from './base.js'

export interface Anchors {
  /** the configured anchor certificates; also the CA list of our TLS and of trust fetches */
  readonly anchorCerts: X509Certificate[]
  readonly revocation: RevocationChecker
  readonly anchors: TrustAnchors
}

export function wireAnchors({ config, clock, log }: Base): Anchors {
  const anchorCerts = config.trust.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8')))
  // PROTOCOL.md §15: every validation below checks revocation (hard fail unless configured soft).
  const revocation = createRevocationChecker(config, { clock, log: log.child({ area: 'revocation' }) })
  const anchors = new TrustAnchors(anchorCerts, { revocation })
  return { anchorCerts, revocation, anchors }
}
