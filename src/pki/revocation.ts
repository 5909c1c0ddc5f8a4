// The revocation check of a validated path (PROTOCOL.md §15.2): every certificate except the trust
// anchor is looked up in its issuer's CRL. Hard fail by default: no current CRL → refusal. Soft fail
// only when configured: the path passes, and every such pass is reported (the node logs it loudly).
// A revoked certificate is refused in both modes.
import type { X509Certificate } from 'node:crypto'
import type { Check } from '../errors.js'
import type { CrlSet } from './crl-set.js'

export type RevocationMode = 'hard' | 'soft'

export interface SoftFailure {
  subject: string
  serial: string
  reason: string
}

export interface RevocationOptions {
  crls: CrlSet
  mode: RevocationMode
  /** the current time, which decides whether a CRL is still current (not the validation time) */
  now: () => number
  /** soft mode: called for each certificate that passes without revocation information */
  onSoftFailure?: (f: SoftFailure) => void
}

export class RevocationChecker {
  readonly crls: CrlSet
  readonly mode: RevocationMode
  readonly #opts: RevocationOptions

  constructor(opts: RevocationOptions) {
    this.crls = opts.crls
    this.mode = opts.mode
    this.#opts = opts
  }

  /** `path` ordered leaf..anchor, as TrustAnchors#validate builds it; `at` is the validation time. */
  async check(path: readonly X509Certificate[], at: Date): Promise<Check> {
    const now = new Date(this.#opts.now())
    for (let i = 0; i + 1 < path.length; i++) {
      const cert = path[i]!
      const s = await this.crls.status(cert, path[i + 1]!, at, now)
      if (s.state === 'good') continue
      const who = `${oneLine(cert.subject)} (serial ${cert.serialNumber.toLowerCase()})`
      if (s.state === 'revoked') {
        const since = s.entry.invalidSince ?? s.entry.revokedAt
        return { ok: false, code: 'ERR_CERT_REVOKED', reason: `${who} is revoked since ${since.toISOString()} (${s.entry.reason})` }
      }
      if (this.mode === 'hard') return { ok: false, code: 'ERR_REVOCATION_UNKNOWN', reason: `the revocation status of ${who} is unknown: ${s.reason}` }
      this.#opts.onSoftFailure?.({ subject: oneLine(cert.subject), serial: cert.serialNumber.toLowerCase(), reason: s.reason })
    }
    return { ok: true, value: undefined }
  }
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ', ')
}
