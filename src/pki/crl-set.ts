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

  constructor(opts: { graceMs?: number } = {}) {
    this.#graceMs = opts.graceMs ?? 0
  }

  /** Parses a CRL (DER or PEM) and checks it against `issuers`, the CA certificates known now: if
   *  one has its issuer's name, the CRL must verify with one of them; if none does yet (the issuing
   *  CA arrives with the directory), it is verified on first use. Throws an Error naming the problem. */
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

  /** Makes `crl` the one in force for its issuer, unless a newer one is held already (another source). */
  put(crl: Crl): boolean {
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
      const held = this.#byIssuer.get(crl.issuerKey)
      if (held && CrlSet.compare(held, crl) === 'same') return { ok: true, crl: held, changed: false }
    } catch (e) {
      return { ok: false, reason: (e as Error).message }
    }
    this.put(crl)
    return { ok: true, crl, changed: true }
  }

  /** Verifies the CRLs held against CA certificates that became known (the directory's
   *  intermediates). Returns each CRL now verified with the fingerprint of its issuer (for history);
   *  a CRL that fails is left to fail at use (hard: ERR_REVOCATION_UNKNOWN). */
  async verifyHeld(issuers: readonly X509Certificate[]): Promise<Array<{ crl: Crl; issuerFp: string }>> {
    const out: Array<{ crl: Crl; issuerFp: string }> = []
    for (const crl of this.#byIssuer.values()) {
      const known = this.issuerOf(crl)
      if (known) { out.push({ crl, issuerFp: known }); continue }
      for (const c of issuers.filter((i) => certSubjectKey(i) === crl.issuerKey)) {
        if ((await checkCrlIssuer(crl, c)) !== undefined) continue
        this.#verified.get(crl)?.add(fingerprint(c)) ?? this.#verified.set(crl, new Set([fingerprint(c)]))
        this.#rememberIssuers(crl, [c])
        out.push({ crl, issuerFp: fingerprint(c) })
        break
      }
    }
    return out
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
