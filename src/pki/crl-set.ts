// The CRLs a node holds: the newest verified CRL per issuer (PROTOCOL.md §15.1), and the answer to
// "was this certificate revoked at time T?" (RFC 5280 §6.3, for complete direct CRLs).
import type { X509Certificate } from 'node:crypto'
import { fingerprint } from './cert.js'
import { certIssuerKey, certSubjectKey, checkCrlIssuer, normaliseSerial, parseCrl } from './crl.js'
import type { Crl, RevokedEntry } from './crl.js'

export type RevocationStatus =
  | { state: 'good'; crl: Crl }
  | { state: 'revoked'; crl: Crl; entry: RevokedEntry }
  | { state: 'unknown'; reason: string }

export type AddResult = { ok: true; crl: Crl; changed: boolean } | { ok: false; reason: string }

/** A CRL counts as current until nextUpdate + grace; one issued in the future (beyond the skew) does not. */
const SKEW_MS = 5 * 60_000

export class CrlSet {
  readonly #byIssuer = new Map<string, Crl>()
  // Issuer certificates (by fingerprint) whose key verified a CRL (checked once per pair).
  readonly #verified = new WeakMap<Crl, Set<string>>()
  // Per issuer name, the CA certificates that verified its CRLs: a replacement CRL must verify with one.
  readonly #issuerCerts = new Map<string, X509Certificate[]>()
  readonly #graceMs: number
  #listeners: Array<(crl: Crl) => void> = []

  constructor(opts: { graceMs?: number } = {}) {
    this.#graceMs = opts.graceMs ?? 0
  }

  /** Called after a CRL is added or replaced (TrustAnchors clears nothing: revocation is not cached). */
  onChange(listener: (crl: Crl) => void): void {
    this.#listeners.push(listener)
  }

  /** Adds a CRL (DER or PEM). `issuers`: CA certificates that may have signed it. If one matches by
   *  name, the CRL must verify with it, else it is refused; if none is known yet, it is verified on
   *  first use. Anti-rollback: a CRL with a lower cRLNumber (or, without numbers, an older
   *  thisUpdate) than the one held for its issuer is refused, and the held one is kept. */
  async add(der: Buffer, issuers: readonly X509Certificate[] = []): Promise<AddResult> {
    let crl: Crl
    try {
      crl = parseCrl(der)
    } catch (e) {
      return { ok: false, reason: (e as Error).message }
    }
    const held = this.#byIssuer.get(crl.issuerKey)
    if (held?.fingerprint === crl.fingerprint) return { ok: true, crl: held, changed: false }
    const candidates = [...issuers, ...(held ? this.#issuersOf(held) : [])].filter((c) => certSubjectKey(c) === crl.issuerKey)
    const ok = new Set<string>()
    let failure: string | undefined
    for (const c of candidates) {
      const reason = await checkCrlIssuer(crl, c)
      if (reason === undefined) ok.add(fingerprint(c))
      else failure ??= reason
    }
    if (ok.size === 0 && failure !== undefined) return { ok: false, reason: failure }
    if (held) {
      const older = held.number !== undefined && crl.number !== undefined
        ? crl.number <= held.number
        : crl.thisUpdate.getTime() <= held.thisUpdate.getTime()
      if (older) return { ok: false, reason: `the CRL of ${crl.issuer} is not newer than the one held (rollback refused)` }
    }
    this.#byIssuer.set(crl.issuerKey, crl)
    this.#verified.set(crl, ok)
    this.#issuerCerts.set(crl.issuerKey, [...candidates.filter((c) => ok.has(fingerprint(c)))])
    for (const l of this.#listeners) l(crl)
    return { ok: true, crl, changed: true }
  }

  #issuersOf(crl: Crl): X509Certificate[] {
    return this.#issuerCerts.get(crl.issuerKey) ?? []
  }

  /** Every CRL held, one per issuer. */
  list(): Crl[] {
    return [...this.#byIssuer.values()]
  }

  /** Whether `cert`, issued by `issuer` (the next certificate of a validated path), was revoked at
   *  `at`, judged with the CRL held now; `now` decides whether that CRL is still current. */
  async status(cert: X509Certificate, issuer: X509Certificate, at: Date, now: Date): Promise<RevocationStatus> {
    const crl = this.#byIssuer.get(certIssuerKey(cert))
    if (!crl) return { state: 'unknown', reason: 'no CRL of its issuer is held' }
    if (crl.thisUpdate.getTime() > now.getTime() + SKEW_MS) return { state: 'unknown', reason: `the CRL of its issuer is not valid before ${crl.thisUpdate.toISOString()}` }
    if (now.getTime() > crl.nextUpdate.getTime() + this.#graceMs) {
      return { state: 'unknown', reason: `the CRL of its issuer is stale (nextUpdate ${crl.nextUpdate.toISOString()})` }
    }
    const fp = fingerprint(issuer)
    let verified = this.#verified.get(crl)
    if (!verified) this.#verified.set(crl, verified = new Set())
    if (!verified.has(fp)) {
      const reason = await checkCrlIssuer(crl, issuer)
      if (reason !== undefined) return { state: 'unknown', reason: `the CRL held for its issuer is not usable: ${reason}` }
      verified.add(fp)
      this.#issuerCerts.set(crl.issuerKey, [...this.#issuersOf(crl), issuer])
    }
    const entry = crl.revoked.get(normaliseSerial(cert.serialNumber))
    if (entry === undefined) return { state: 'good', crl }
    // Revoked from the earlier of revocationDate and invalidityDate (RFC 5280 §5.3.2); a signature
    // proven to predate both still stands (PROTOCOL.md §15.3).
    const since = Math.min(entry.revokedAt.getTime(), entry.invalidSince?.getTime() ?? Infinity)
    return at.getTime() >= since ? { state: 'revoked', crl, entry } : { state: 'good', crl }
  }
}
