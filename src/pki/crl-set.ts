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

export type AddResult = { ok: true; crl: Crl; changed: boolean; pending?: true } | { ok: false; reason: string }

/** CRLs held aside per issuer name (their issuer is not known yet): the newest few, not ranked. */
const MAX_ASIDE = 4

/** A CRL counts as current until nextUpdate + grace; one issued in the future (beyond the skew) does not. */
const SKEW_MS = 5 * 60_000

export class CrlSet {
  readonly #byIssuer = new Map<string, Crl>()
  // Issuer certificates (by fingerprint) whose key verified a CRL (checked once per pair).
  readonly #verified = new WeakMap<Crl, Set<string>>()
  // Per issuer name, the CA certificates that verified its CRLs: a replacement CRL must verify with one.
  readonly #issuerCerts = new Map<string, X509Certificate[]>()
  // CRLs whose issuer is not known yet (PROTOCOL.md §15.1): never in force, never ranked (no
  // anti-rollback reference), never kept; verified once a validated path or the directory brings
  // their issuer. Per issuer name; each with the issuer fingerprints it already failed against.
  readonly #aside = new Map<string, Array<{ crl: Crl; failed: Map<string, string> }>>()
  readonly #onVerified: Array<(crl: Crl) => void> = []
  readonly #graceMs: number

  constructor(opts: { graceMs?: number } = {}) {
    this.#graceMs = opts.graceMs ?? 0
  }

  /** Parses a CRL (DER or PEM) and checks it against `issuers`, the CA certificates known now: if
   *  one has its issuer's name, the CRL must verify with one of them (else throws an Error naming the
   *  problem); if none does yet (the issuing CA arrives with the directory), the CRL is returned
   *  unverified (`verified(crl)` is false): `put` holds it aside until its issuer is known. */
  async prepare(der: Buffer, issuers: readonly X509Certificate[] = []): Promise<Crl> {
    const crl = parseCrl(der)
    const held = this.#byIssuer.get(crl.issuerKey)
    const candidates = [...issuers, ...(held ? this.#issuersOf(held) : [])].filter((c) => certSubjectKey(c) === crl.issuerKey)
    const ok = new Set<string>()
    let failure: string | undefined
    for (const c of candidates) {
      const reason = await checkCrlIssuer(crl, c)
      if (reason === undefined) ok.add(fingerprint(c))
      else failure ??= reason
    }
    if (ok.size === 0 && failure !== undefined) throw new Error(failure)
    this.#verified.set(crl, ok)
    this.#rememberIssuers(crl, candidates.filter((c) => ok.has(fingerprint(c))))
    return crl
  }

  /** RFC 5280 §5.2.3 anti-rollback: 'newer' or 'same' (same bytes); throws for an older CRL or a
   *  reused cRLNumber (without numbers: by thisUpdate). */
  static compare(held: Crl, candidate: Crl): 'newer' | 'same' {
    if (held.fingerprint === candidate.fingerprint) return 'same'
    const older = held.number !== undefined && candidate.number !== undefined
      ? candidate.number <= held.number
      : candidate.thisUpdate.getTime() <= held.thisUpdate.getTime()
    if (older) throw new Error(`the CRL of ${candidate.issuer} is not newer than the one held (number ${String(candidate.number)} ≤ ${String(held.number)}): rollback refused`)
    return 'newer'
  }

  /** Whether a CA certificate known to this set verified `crl`'s signature. */
  verified(crl: Crl): boolean {
    return (this.#verified.get(crl)?.size ?? 0) > 0
  }

  /** Called with each CRL that was held aside and is now verified and in force (to keep and record it). */
  onVerified(fn: (crl: Crl) => void): void {
    this.#onVerified.push(fn)
  }

  /** Makes a verified `crl` the one in force for its issuer, unless a newer one is held already
   *  (another source). An unverified CRL is held aside instead (false): it neither counts nor ranks. */
  put(crl: Crl): boolean {
    if (!this.verified(crl)) {
      this.#holdAside(crl)
      return false
    }
    const held = this.#byIssuer.get(crl.issuerKey)
    if (held) {
      try {
        if (CrlSet.compare(held, crl) === 'same') return false
      } catch {
        return false
      }
    }
    this.#byIssuer.set(crl.issuerKey, crl) // nothing to clear: TrustAnchors does not cache revocation
    return true
  }

  /** prepare + compare + put, in one step (tests, tools). */
  async add(der: Buffer, issuers: readonly X509Certificate[] = []): Promise<AddResult> {
    let crl: Crl
    try {
      crl = await this.prepare(der, issuers)
      if (!this.verified(crl)) {
        this.#holdAside(crl)
        return { ok: true, crl, changed: false, pending: true }
      }
      const held = this.#byIssuer.get(crl.issuerKey)
      if (held && CrlSet.compare(held, crl) === 'same') return { ok: true, crl: held, changed: false }
    } catch (e) {
      return { ok: false, reason: (e as Error).message }
    }
    this.put(crl)
    return { ok: true, crl, changed: true }
  }

  /** Verifies the CRLs held aside against CA certificates that became known (the directory's
   *  intermediates); each one that verifies is put in force (if newer) and reported to onVerified. */
  async verifyAside(issuers: readonly X509Certificate[]): Promise<void> {
    for (const key of [...this.#aside.keys()]) {
      for (const c of issuers.filter((i) => certSubjectKey(i) === key)) await this.#tryAside(key, c)
    }
  }

  #holdAside(crl: Crl): void {
    const list = this.#aside.get(crl.issuerKey) ?? []
    if (list.some((a) => a.crl.fingerprint === crl.fingerprint)) return
    list.push({ crl, failed: new Map() })
    if (list.length > MAX_ASIDE) list.shift()
    this.#aside.set(crl.issuerKey, list)
  }

  /** Verifies the CRLs held aside for `issuerKey` with `issuer`; returns why the last one failed. */
  async #tryAside(issuerKey: string, issuer: X509Certificate): Promise<string | undefined> {
    const fp = fingerprint(issuer)
    let failure: string | undefined
    for (const a of [...(this.#aside.get(issuerKey) ?? [])]) {
      const known = a.failed.get(fp)
      if (known !== undefined) { failure = known; continue }
      const reason = await checkCrlIssuer(a.crl, issuer)
      if (reason !== undefined) { a.failed.set(fp, reason); failure = reason; continue }
      const list = this.#aside.get(issuerKey)!.filter((x) => x !== a)
      if (list.length === 0) this.#aside.delete(issuerKey)
      else this.#aside.set(issuerKey, list)
      this.#verified.set(a.crl, new Set([fp]))
      this.#rememberIssuers(a.crl, [issuer])
      if (this.put(a.crl)) for (const fn of this.#onVerified) fn(a.crl)
    }
    return failure
  }

  /** The fingerprint of a CA certificate that verified `crl`, if any did yet. */
  issuerOf(crl: Crl): string | undefined {
    return [...(this.#verified.get(crl) ?? [])][0]
  }

  #rememberIssuers(crl: Crl, certs: readonly X509Certificate[]): void {
    const known = this.#issuerCerts.get(crl.issuerKey) ?? []
    for (const c of certs) if (!known.some((k) => fingerprint(k) === fingerprint(c))) known.push(c)
    this.#issuerCerts.set(crl.issuerKey, known)
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
    // `issuer` comes from a validated path: CRLs held aside for it can be verified now.
    const aside = this.#aside.has(certIssuerKey(cert)) ? await this.#tryAside(certIssuerKey(cert), issuer) : undefined
    const crl = this.#byIssuer.get(certIssuerKey(cert))
    if (!crl) return { state: 'unknown', reason: `no CRL of its issuer is held${aside ? ` (the one received does not verify: ${aside})` : ''}` }
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
      this.#rememberIssuers(crl, [issuer])
    }
    const entry = crl.revoked.get(normaliseSerial(cert.serialNumber))
    if (entry === undefined) return { state: 'good', crl }
    // Revoked from the earlier of revocationDate and invalidityDate (RFC 5280 §5.3.2); a signature
    // proven to predate both still stands (PROTOCOL.md §15.3).
    const since = Math.min(entry.revokedAt.getTime(), entry.invalidSince?.getTime() ?? Infinity)
    return at.getTime() >= since ? { state: 'revoked', crl, entry } : { state: 'good', crl }
  }
}
