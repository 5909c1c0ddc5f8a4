// The federation's CRLs (PROTOCOL.md §15.1), each configured source (a file or an https:// URL) kept
// by a SignedDocumentSource with the directory's rules (§14): refreshed on schedule, accepted only if
// it verifies, is current and is newer (anti-rollback by cRLNumber), last good copy on disk. What is
// accepted goes into the node's CrlSet (what TrustAnchors checks) and into crl_history (evidence).
import { createHash } from 'node:crypto'
import type { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { SarabanError } from '../../errors.js'
import { redactUrl, redactUrlsIn } from '../../config/redact.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Config } from '../../config/index.js'
import { CrlSet } from '../../pki/crl-set.js'
import type { Crl } from '../../pki/crl.js'
import { RevocationChecker } from '../../pki/revocation.js'
import type { Db } from '../../storage/db.js'
import type { TrustHistoryStore } from '../../storage/trust-history.js'
import { documentFetcher, type FetchSettings } from './fetch-document.js'
import { SignedDocumentSource, type RefreshResult, type SourceSettings, type SourceStatus } from './signed-source.js'

export const MAX_CRL_BYTES = 16 * 1024 * 1024

export interface CrlSourcesOptions {
  readonly locations: readonly string[]
  readonly dataDir: string
  readonly crls: CrlSet
  /** the CA certificates known now (TrustAnchors#cas), to verify CRLs with */
  readonly issuers: () => X509Certificate[]
  readonly mode: 'hard' | 'soft'
  readonly settings: SourceSettings
  readonly fetch: FetchSettings
  readonly clock: Clock
  readonly log: Logger
  readonly history?: { readonly db: Db; readonly store: TrustHistoryStore }
}

/** Where the last good copy of a CRL source is kept, under the node's data directory. */
export function lastGoodCrlFile(dataDir: string, location: string): string {
  return join(dataDir, 'trust', `crl-${createHash('sha256').update(location).digest('hex').slice(0, 16)}.crl`)
}

const invalid = (location: string, e: unknown) => new SarabanError('ERR_CRL_INVALID', `${redactUrl(location)}: ${(e as Error).message}`)

export class CrlSources {
  readonly #o: CrlSourcesOptions
  readonly #sources: SignedDocumentSource<Crl>[] = []
  /** soft mode: sources that could not be opened yet, retried on a timer */
  #pending: string[] = []
  #retry: NodeJS.Timeout | undefined
  /** Told of every CRL put in force (issue 17 item 4: the node checks its own certificates at once). */
  readonly #listeners: Array<(crl: Crl) => void> = []

  private constructor(o: CrlSourcesOptions) {
    this.#o = o
    // A CRL held aside until its issuer was known (PROTOCOL.md §15.1) is verified now: keep and record it.
    o.crls.onVerified((crl) => {
      for (const s of this.#sources) if (s.current() === crl) this.#keep(s)
      this.#accepted(crl)
    })
  }

  #keep(source: SignedDocumentSource<Crl>): void {
    try {
      source.keep()
    } catch (err) {
      this.#o.log.error({ event: 'trust.last-good-write-failed', document: source.name, err: (err as Error).message }, 'cannot keep the last good copy on disk')
    }
  }

  /** Opens every source (last good copy, then one fetch). Hard mode: a source with no usable CRL stops
   *  the node from starting, as the directory does. Soft mode: it is logged loudly and retried. */
  static async open(o: CrlSourcesOptions): Promise<CrlSources> {
    const cs = new CrlSources(o)
    for (const location of o.locations) {
      try {
        await cs.#open(location)
      } catch (err) {
        if (o.mode === 'hard') throw err
        o.log.error({ event: 'crl.unavailable', location: redactUrl(location), err: redactUrlsIn((err as Error).message) },
          'NO CRL from this source (soft-fail mode: certificates it covers are ACCEPTED WITHOUT revocation checking); retrying')
        cs.#pending.push(location)
      }
    }
    return cs
  }

  async #open(location: string): Promise<void> {
    const o = this.#o
    const source = await SignedDocumentSource.open<Crl>({
      name: `crl ${redactUrl(location)}`,
      lastGoodFile: lastGoodCrlFile(o.dataDir, location),
      verify: async (bytes) => {
        try {
          return await o.crls.prepare(bytes, o.issuers())
        } catch (e) {
          throw invalid(location, e)
        }
      },
      trusted: (crl) => o.crls.verified(crl),
      checkFresh: (crl, at) => {
        if (at.getTime() >= crl.nextUpdate.getTime()) throw invalid(location, new Error(`the CRL of ${crl.issuer} expired at ${crl.nextUpdate.toISOString()}`))
      },
      compare: (held, candidate) => {
        try {
          return CrlSet.compare(held, candidate)
        } catch (e) {
          throw invalid(location, e)
        }
      },
      nextUpdate: (crl) => crl.nextUpdate,
      serial: (crl) => String(crl.number ?? crl.thisUpdate.toISOString()),
      // The highest cRLNumber of the issuer any process of the node took into use (PROTOCOL.md §15.2; issue 19 item 2).
      ...(o.history ? { newestTaken: (crl: Crl) => {
        const issuerFp = o.crls.issuerOf(crl)
        return issuerFp === undefined ? undefined : o.history!.store.newestCrl(issuerFp)
      } } : {}),
    }, documentFetcher(location, { ...o.fetch, maxBytes: MAX_CRL_BYTES }), o.settings, { clock: o.clock, log: o.log })
    this.#sources.push(source)
    this.#accept(source.current())
    source.onUpdate((crl) => this.#accept(crl))
  }

  #accept(crl: Crl): void {
    if (!this.#o.crls.put(crl)) return
    this.#accepted(crl)
  }

  #accepted(crl: Crl): void {
    this.#o.log.info({ event: 'crl.accepted', issuer: crl.issuer, number: crl.number?.toString(), revoked: crl.revoked.size, nextUpdate: crl.nextUpdate.toISOString() }, 'CRL in force')
    const issuerFp = this.#o.crls.issuerOf(crl)
    if (issuerFp !== undefined) this.#record(crl, issuerFp)
    for (const fn of this.#listeners) fn(crl)
  }

  /** Calls `fn` with each CRL put in force from now on. */
  onAccepted(fn: (crl: Crl) => void): void {
    this.#listeners.push(fn)
  }

  /** Once the directory brought the issuing CAs: verify the CRLs held aside until then (onVerified
   *  keeps and records each one that verifies). */
  async issuersKnown(): Promise<void> {
    await this.#o.crls.verifyAside(this.#o.issuers())
    // A newer CRL fetched before its issuer was known was deferred and the kept copy stayed in force
    // (SignedDocumentSource: an unverified document never displaces one): fetch it again now, so that
    // after a restart the newest CRL is in force before the node seals, opens or serves anything
    // (PROTOCOL.md §15.2), not one retry interval later. Found by the README's revocation walk-through.
    await Promise.all(this.#sources.filter((s) => s.deferred).map((s) => s.refresh()))
  }

  #record(crl: Crl, issuerFp: string): void {
    const h = this.#o.history
    if (!h) return
    h.db.write(() => h.store.recordCrl({
      issuerFp, crlNumber: String(crl.number ?? 0), thisUpdate: crl.thisUpdate.getTime(), nextUpdate: crl.nextUpdate.getTime(),
      der: crl.der, fetchedAt: this.#o.clock.now(),
    })).catch((err: unknown) => this.#o.log.error({ event: 'trust.history-failed', err }, 'cannot record a CRL in history'))
  }

  status(): SourceStatus[] {
    return this.#sources.map((s) => s.status())
  }

  /** Sources that could not be opened yet (soft mode only). */
  pending(): readonly string[] {
    return this.#pending.map(redactUrl)
  }

  refresh(): Promise<RefreshResult[]> {
    return Promise.all(this.#sources.map((s) => s.refresh()))
  }

  start(): void {
    for (const s of this.#sources) s.start()
    if (this.#pending.length > 0 && !this.#retry) {
      this.#retry = setInterval(() => void this.#retryPending(), Math.min(this.#o.settings.refreshMs, 60_000))
      this.#retry.unref()
    }
  }

  async #retryPending(): Promise<void> {
    for (const location of [...this.#pending]) {
      try {
        await this.#open(location)
        this.#pending = this.#pending.filter((l) => l !== location)
        this.#sources.at(-1)!.start()
      } catch { /* still unavailable: the open error was logged by the source */ }
    }
    if (this.#pending.length === 0 && this.#retry) clearInterval(this.#retry)
  }

  async close(): Promise<void> {
    if (this.#retry) clearInterval(this.#retry)
    await Promise.all(this.#sources.map((s) => s.close()))
  }
}

/** The node's revocation check (context.ts), before anything is loaded. Soft mode is announced loudly
 *  here, and every certificate that passes without revocation information is logged. */
export function createRevocationChecker(config: Pick<Config, 'trust'>, deps: { clock: Clock; log: Logger }): RevocationChecker {
  const { trust } = config
  if (trust.revocation === 'hard' && trust.crls.length === 0) {
    throw new SarabanError('ERR_CONFIG_INVALID', 'trust.crls is empty while trust.revocation is "hard": every certificate would be refused', {
      errors: [{ field: '/trust/crls', message: 'list the federation CAs\' CRLs (files or https URLs), or set trust.revocation to "soft"' }],
    })
  }
  if (trust.revocation === 'soft') {
    deps.log.warn({ event: 'revocation.soft-fail', crls: trust.crls.length },
      'REVOCATION IS IN SOFT-FAIL MODE (trust.revocation = "soft"): certificates whose revocation status is unknown are ACCEPTED. Use only while CRLs cannot be fetched.')
  }
  return new RevocationChecker({
    crls: new CrlSet({ graceMs: trust.graceSeconds * 1000 }), mode: trust.revocation, now: () => deps.clock.now(),
    onSoftFailure: (f) => deps.log.warn({ event: 'revocation.soft-pass', ...f }, 'accepted a certificate WITHOUT revocation information (soft-fail mode)'),
  })
}
