// Trust decisions: RFC 5280 §6 path validation through pkijs CertificateChainValidationEngine, then the
// checks pkijs leaves out (roles.ts). Building a chain is not validating it: every path is checked here.
// Results are cached by (role, chain fingerprints) with the validity window of the path, so validating
// the signer of every message costs a Map lookup after the first one (PROTOCOL.md §4.2). Revocation
// (PROTOCOL.md §15.2) is checked after the cache, on every call, so a new CRL takes effect at once.
import type { X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
import type { Check, ErrorCode } from '../errors.js'
import { fingerprint, notAfter, notBefore } from './cert.js'
import { certFacts, pkijsOf } from './cert-facts.js'
import type { CertRole } from './cert.js'
import { pkijsCrypto } from './pkijs-engine.js'
import { checkPathConstraints, checkRole } from './roles.js'
import { OID_EXT_CERTIFICATE_POLICIES, OID_EXT_INHIBIT_ANY_POLICY, OID_EXT_NAME_CONSTRAINTS, OID_EXT_POLICY_CONSTRAINTS, OID_EXT_POLICY_MAPPINGS } from './oids.js'
import type { RevocationChecker } from './revocation.js'

export interface ValidateOptions {
  /** the time at which the path must be valid (RFC 5280 §6.1.1 (b)) */
  at: Date
  role: CertRole
  /** error code of a refusal; default ERR_TLS_CLIENT_CERT_UNTRUSTED for 'tls', else ERR_SIGNER_UNTRUSTED.
   *  Expiry, revocation and unknown revocation status keep their own codes (SPECIFIC_CODES). */
  code?: ErrorCode
}

export type PathResult = Check<{ path: X509Certificate[] /* leaf..anchor */ }>

const DEFAULT_CODE: Record<CertRole, ErrorCode> = {
  tls: 'ERR_TLS_CLIENT_CERT_UNTRUSTED',
  signing: 'ERR_SIGNER_UNTRUSTED',
  encryption: 'ERR_SIGNER_UNTRUSTED',
  directory: 'ERR_SIGNER_UNTRUSTED',
  tsa: 'ERR_TSA_UNTRUSTED',
  ca: 'ERR_SIGNER_UNTRUSTED',
  'officer-signing': 'ERR_OFFICER_UNTRUSTED',
  'officer-encryption': 'ERR_OFFICER_UNTRUSTED',
}

// pkijs's numeric result codes (CertificateChainValidationEngine.verify), wrapped (house style §3).
const PKIJS_REASONS: Record<number, string> = {
  [-1]: 'no certification path to a trust anchor',
  0: 'the certificate policies of the path do not intersect',
  3: 'a certificate sets keyCertSign without being a CA',
  4: 'a CA certificate lacks keyCertSign',
  5: 'a CRL issuer lacks cRLSign',
  6: 'a critical extension cannot be parsed',
  7: 'more than one possible end-entity certificate',
  8: 'a certificate in the path is expired or not yet valid',
  9: 'the certification path is too short',
  10: 'issuer and subject names do not chain',
  11: 'no revocation information',
  12: 'a certificate in the path is revoked',
  13: 'a CRL issuer is not a CA',
  14: 'an intermediate certificate is not a CA certificate',
  21: 'a required name form is missing',
  41: 'a name is outside the permitted subtrees',
  42: 'a name is inside the excluded subtrees',
  60: 'no certification path to a trust anchor',
  97: 'no certification path to a trust anchor',
  98: 'policy mapping is inhibited',
  99: 'anyPolicy appears in a policy mapping',
}
const TIME_CODE = 8
// Refusals whose code says more than the caller's generic one (PROTOCOL.md §15.4).
const SPECIFIC_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ERR_CERT_EXPIRED', 'ERR_CERT_REVOKED', 'ERR_REVOCATION_UNKNOWN'])
const MAX_CHAIN = 8

interface Entry { result: PathResult; from: number; to: number }

/** A CA whose path to an anchor pkijs validated (as the issuer of a leaf), with the window in which
 *  every certificate of that path is valid. */
interface IssuerPath { path: X509Certificate[] /* issuer..anchor */; from: number; to: number }

// Extensions whose processing (RFC 5280 §6.1.3 (b)-(f), §6.1.4 (a)-(j)) depends on the whole path:
// a path or leaf that carries any of them is always validated by pkijs.
const PATH_DEPENDENT: ReadonlySet<string> = new Set([
  OID_EXT_NAME_CONSTRAINTS, OID_EXT_CERTIFICATE_POLICIES, OID_EXT_POLICY_MAPPINGS, OID_EXT_POLICY_CONSTRAINTS, OID_EXT_INHIBIT_ANY_POLICY,
])
const pathDependent = (c: X509Certificate): boolean => certFacts(c).extensions.some((e) => PATH_DEPENDENT.has(e.oid))

// pkijs parses are shared per DER (cert-facts.ts); pkijs only adds a lazy tbsView to them.
const toPkijs = (cert: X509Certificate): pkijs.Certificate => pkijsOf(cert)

/** The federation's configured trust anchors (never the OS store, domain.md §PKI) plus a pool of
 *  untrusted intermediates that only help path building. `validate` is async. */
export class TrustAnchors {
  readonly #anchors: X509Certificate[]
  readonly #anchorFps: Set<string>
  readonly #pool = new Map<string, X509Certificate>()
  readonly #cache = new Map<string, Entry>()
  // Validations in progress, so that a burst of messages from one new signer validates it once.
  readonly #pending = new Map<string, Promise<Entry>>()
  // Issue 16 item 3: a circular's sender validates a new leaf per recipient, twice, all issued by one
  // CA. Once pkijs has validated a path through that CA, a leaf it issued is checked against the
  // known path natively (#underKnownIssuer); anything else, and every failure, goes to pkijs.
  readonly #issuers = new Map<string, IssuerPath>()
  readonly #cacheSize: number
  readonly #revocation: RevocationChecker | undefined

  /** `revocation`: the node's CRL check (context.ts always sets it). Without it no revocation is
   *  checked: only for tests and for verifiers that judge revocation data themselves (evidence). */
  constructor(anchors: X509Certificate[], opts: { intermediates?: X509Certificate[]; cacheSize?: number; revocation?: RevocationChecker } = {}) {
    if (anchors.length === 0) throw new Error('TrustAnchors needs at least one anchor')
    this.#revocation = opts.revocation
    this.#anchors = [...anchors]
    this.#anchorFps = new Set(anchors.map(fingerprint))
    this.#cacheSize = opts.cacheSize ?? 10_000
    this.addIntermediates(opts.intermediates ?? [])
  }

  get anchors(): readonly X509Certificate[] {
    return this.#anchors
  }

  get revocation(): RevocationChecker | undefined {
    return this.#revocation
  }

  /** Anchors and pooled intermediates: the CA certificates a CRL may come from (crl-set.ts). */
  cas(): X509Certificate[] {
    return [...this.#anchors, ...this.#pool.values()]
  }

  /** Adds CA certificates to the path-building pool (e.g. Directory#intermediates()). They are not
   *  trusted: any path through them must still end at an anchor. Clears the cache. */
  addIntermediates(certs: readonly X509Certificate[]): void {
    let added = false
    for (const c of certs) {
      const fp = fingerprint(c)
      if (this.#anchorFps.has(fp) || this.#pool.has(fp)) continue
      this.#pool.set(fp, c)
      added = true
    }
    if (added) this.clearCache() // a new intermediate can turn an earlier failure into a path
  }

  clearCache(): void {
    this.#cache.clear()
    this.#issuers.clear()
  }

  get cacheSize(): number {
    return this.#cache.size
  }

  /** RFC 5280 path validation of `chain` (leaf first; intermediates in any order; the root may be
   *  included or left out) at `opts.at`, then the role rules on the leaf. Never throws. */
  async validate(chain: readonly X509Certificate[], opts: ValidateOptions): Promise<PathResult> {
    const code = opts.code ?? DEFAULT_CODE[opts.role]
    const leaf = chain[0]
    if (leaf === undefined) return { ok: false, code, reason: 'no certificate' }
    if (chain.length > MAX_CHAIN) return { ok: false, code, reason: `a chain of more than ${MAX_CHAIN} certificates` }
    const at = opts.at.getTime()
    const key = opts.role + '|' + chain.map(fingerprint).join(',')
    const hit = this.#cache.get(key)
    if (hit !== undefined && at >= hit.from && at <= hit.to) return this.#revoked(hit.result, opts.at, code)

    let pending = this.#pending.get(key)
    if (pending === undefined) {
      pending = this.#validateUncached(chain, leaf, opts.at, opts.role).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    let { result, from, to } = await pending
    // A shared validation answers for this caller only if its time falls in the result's window.
    if (at < from || at > to) ({ result, from, to } = await this.#validateUncached(chain, leaf, opts.at, opts.role))
    if (at >= from && at <= to) { // a result caused by the clock is not cached
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!)
      this.#cache.set(key, { result, from, to })
    }
    return this.#revoked(result, opts.at, code)
  }

  async #revoked(result: PathResult, at: Date, code: ErrorCode): Promise<PathResult> {
    if (!result.ok || this.#revocation === undefined) return withCode(result, code)
    const r = await this.#revocation.check(result.value.path, at)
    return r.ok ? result : r
  }

  async #validateUncached(chain: readonly X509Certificate[], leaf: X509Certificate, at: Date, role: CertRole): Promise<Entry> {
    // The window in which the supplied certificates are all valid; refined to the path on success.
    let from = Math.max(...chain.map((c) => notBefore(c).getTime()))
    let to = Math.min(...chain.map((c) => notAfter(c).getTime()))
    const fail = (reason: string): Entry => ({ result: { ok: false, code: 'ERR_SIGNER_UNTRUSTED', reason }, from, to })

    const leafFp = fingerprint(leaf)
    if (this.#anchorFps.has(leafFp)) return fail('the certificate is a trust anchor, not an end-entity certificate')
    const known = this.#underKnownIssuer(leaf, at.getTime())
    if (known !== undefined) {
      const reason = checkPathConstraints(known.path) ?? checkRole(leaf, role)
      if (reason === undefined) return { result: { ok: true, value: { path: known.path } }, from: Math.max(from, known.from), to: Math.min(to, known.to) }
    }
    // pkijs takes the last of its `certs` as the end entity and drops later duplicates: leaf goes last, once.
    const others = new Map<string, X509Certificate>(this.#pool)
    for (const c of chain.slice(1)) {
      const fp = fingerprint(c)
      if (!this.#anchorFps.has(fp)) others.set(fp, c)
    }
    others.delete(leafFp)
    const byPkijs = new Map<pkijs.Certificate, X509Certificate>()
    const pk = (c: X509Certificate) => { const p = toPkijs(c); byPkijs.set(p, c); return p }
    let out: pkijs.CertificateChainValidationEngineVerifyResult
    try {
      const engine = new pkijs.CertificateChainValidationEngine({
        trustedCerts: this.#anchors.map(pk),
        certs: [...[...others.values()].map(pk), pk(leaf)],
        checkDate: at,
      })
      out = await engine.verify({}, pkijsCrypto())
    } catch (e) {
      return fail(`the certificate could not be processed: ${(e as Error).message}`)
    }
    if (!out.result) {
      const reason = PKIJS_REASONS[out.resultCode] ?? `path validation failed (${out.resultCode})`
      // A failure caused by the clock must not be cached: shrink the window to nothing.
      if (out.resultCode === TIME_CODE) return { result: { ok: false, code: 'ERR_CERT_EXPIRED', reason }, from: 1, to: 0 }
      return fail(reason)
    }
    const path = (out.certificatePath ?? []).map((p) => byPkijs.get(p))
    if (path.length < 2 || path.some((c) => c === undefined) || path[0] !== leaf) return fail('no certification path to a trust anchor')
    const nodePath = path as X509Certificate[]
    from = Math.max(...nodePath.map((c) => notBefore(c).getTime()))
    to = Math.min(...nodePath.map((c) => notAfter(c).getTime()))
    const reason = checkPathConstraints(nodePath) ?? checkRole(leaf, role)
    if (reason !== undefined) return fail(reason)
    this.#remember(nodePath)
    return { result: { ok: true, value: { path: nodePath } }, from, to }
  }

  /** After pkijs validated `path` (leaf..anchor): its issuer's part, unless a certificate of it (or
   *  the leaf) carries a path-dependent extension. */
  #remember(path: readonly X509Certificate[]): void {
    const issuer = path[1]!
    const fp = fingerprint(issuer)
    if (this.#issuers.has(fp) || path.some(pathDependent)) return
    const rest = path.slice(1)
    this.#issuers.set(fp, { path: rest, from: Math.max(...rest.map((c) => notBefore(c).getTime())), to: Math.min(...rest.map((c) => notAfter(c).getTime())) })
  }

  /** RFC 5280 §6.1.3 for the leaf alone, when its issuer's path is known (#remember) and valid at `at`:
   *  the leaf valid at `at`, named and identified as issued by that CA (issuer Name, authority key
   *  id, the CA's keyCertSign: OpenSSL X509_check_issued), its signature verified with the CA's key,
   *  and no path-dependent extension in it. Undefined sends the leaf to pkijs, which decides. */
  #underKnownIssuer(leaf: X509Certificate, at: number): IssuerPath | undefined {
    if (this.#issuers.size === 0) return undefined
    try {
      if (at < notBefore(leaf).getTime() || at > notAfter(leaf).getTime() || pathDependent(leaf)) return undefined
      for (const known of this.#issuers.values()) {
        const issuer = known.path[0]!
        if (at < known.from || at > known.to || !leaf.checkIssued(issuer)) continue
        if (!leaf.verify(issuer.publicKey)) return undefined
        return { path: [leaf, ...known.path], from: Math.max(known.from, notBefore(leaf).getTime()), to: Math.min(known.to, notAfter(leaf).getTime()) }
      }
    } catch {
      // a certificate OpenSSL or the facts parser cannot process: pkijs gives the reason
    }
    return undefined
  }
}

function withCode(r: PathResult, code: ErrorCode): PathResult {
  return r.ok || r.code === code || SPECIFIC_CODES.has(r.code) ? r : { ok: false, code, reason: r.reason }
}
