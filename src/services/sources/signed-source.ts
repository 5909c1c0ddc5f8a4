// A refreshing signed trust document (PROTOCOL.md §14): the directory, and the CRLs (§15) with the
// same rules. It fetches from a file or an https:// URL on a schedule, accepts a copy only when it
// verifies, is fresh and is newer than the one held (anti-rollback), keeps the last good copy on disk
// and uses it while the source is unreachable, and says how fresh what it holds is:
//   fresh  until nextUpdate;  grace  until nextUpdate + graceMs;  stale  after that.
// What "stale" stops is the caller's business (the directory: new letters, PROTOCOL.md §14.4).
// Several processes of one node (issue 19 item 2) each hold their own copy, and one process may have
// rewritten the kept file with an older document than another took into use: the reference for
// anti-rollback is then the database's history (newestTaken), the newest any process took into use.
import { SarabanError, isSarabanError, type ErrorCode } from '../../errors.js'
import { redactUrlsIn } from '../../config/redact.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { DocumentFetcher } from './fetch-document.js'
import { readIfExists, writeAtomic } from './kept-copy.js'

export interface SignedDocumentSpec<T> {
  /** For logs and health, e.g. 'directory' or 'crl <issuer>'. */
  readonly name: string
  /** The last good copy, replaced atomically (write, fsync, rename). */
  readonly lastGoodFile: string
  /** Signature, signer path at `at`, shape; not freshness. Throws a SarabanError. */
  verify(bytes: Buffer, at: Date): Promise<T>
  /** Throws unless `doc` may be accepted anew at `at` (e.g. ERR_DIRECTORY_EXPIRED). */
  checkFresh(doc: T, at: Date): void
  /** Anti-rollback: 'newer' | 'same' (same serial and contents), or throws (e.g. ERR_DIRECTORY_ROLLBACK). */
  compare(held: T, candidate: T): 'newer' | 'same'
  nextUpdate(doc: T): Date
  /** Serial or CRL number, as text, for logs and health. */
  serial(doc: T): string
  /** Whether `doc`'s signature was verified against an anchored issuer (default: always, as verify
   *  throws otherwise). A CRL whose issuing CA is not known yet is held but not trusted: it is never
   *  kept on disk nor used as the reference for anti-rollback (PROTOCOL.md §15.1) until it is. */
  trusted?(doc: T): boolean
  /** Older copies to fall back on when the last good file is missing or does not verify (e.g. history), newest first. */
  fallback?(): Buffer[]
  /** The newest document of `doc`'s series (the directory; one CRL issuer) that any process of the node
   *  took into use, from the database (issue 19 item 2, PROTOCOL.md §14.3, §15.2); undefined: none known.
   *  No document older than it is taken into use, and a process starts from it when its kept copy is older. */
  newestTaken?(doc: T): Buffer | undefined
}

export interface SourceSettings {
  readonly refreshMs: number
  readonly graceMs: number
  /** After a failed refresh, the next try comes this soon (default: min(refreshMs, 60 s)). */
  readonly retryMs?: number
}

export type Freshness = 'fresh' | 'grace' | 'stale'

export interface RefreshResult {
  /** deferred: a document whose issuer is not known yet (a CRL before its CA): not used, retried soon. */
  readonly outcome: 'updated' | 'unchanged' | 'refused' | 'unreachable' | 'deferred'
  readonly code?: ErrorCode
  readonly reason?: string
}

export interface SourceStatus {
  readonly name: string
  readonly location: string
  readonly state: Freshness
  readonly serial: string
  readonly nextUpdate: string
  /** When the document stops being usable (nextUpdate + grace). */
  readonly staleAt: string
  readonly lastAttemptAt?: string
  readonly lastSuccessAt?: string
  readonly lastError?: { code: string; reason: string; at: string }
}

interface Held<T> { doc: T; bytes: Buffer; etag?: string }

export class SignedDocumentSource<T> {
  readonly #spec: SignedDocumentSpec<T>
  readonly #fetcher: DocumentFetcher
  readonly #settings: SourceSettings
  readonly #clock: Clock
  readonly #log: Logger
  readonly #listeners: Array<(doc: T, previous: T) => void> = []
  #held: Held<T>
  #timer: NodeJS.Timeout | undefined
  #running: Promise<RefreshResult> | undefined
  #closed = false
  #lastAttemptAt: number | undefined
  #lastSuccessAt: number | undefined
  #lastError: { code: string; reason: string; at: number } | undefined
  #waitingForIssuer = false

  private constructor(spec: SignedDocumentSpec<T>, fetcher: DocumentFetcher, settings: SourceSettings, deps: { clock: Clock; log: Logger }, held: Held<T>) {
    this.#spec = spec
    this.#fetcher = fetcher
    this.#settings = settings
    this.#clock = deps.clock
    this.#log = deps.log
    this.#held = held
  }

  /**
   * Loads the last good copy (if it still verifies), then fetches once. Starts with whichever is
   * newer; with neither, throws the fetch or verification error (a node cannot start without one).
   */
  static async open<T>(spec: SignedDocumentSpec<T>, fetcher: DocumentFetcher, settings: SourceSettings, deps: { clock: Clock; log: Logger }): Promise<SignedDocumentSource<T>> {
    const at = new Date(deps.clock.now())
    let held: Held<T> | undefined
    for (const bytes of [...readIfExists(spec.lastGoodFile), ...(spec.fallback?.() ?? [])]) {
      try {
        held = { doc: await spec.verify(bytes, at), bytes }
        break
      } catch (err) {
        deps.log.error({ event: 'trust.last-good-refused', document: spec.name, err: describe(err) }, 'a kept copy of a trust document no longer verifies; ignoring it')
      }
    }
    if (held !== undefined) {
      // Another process of the node took a newer one into use (and may have rewritten the kept file
      // with an older one since): start from that one, and keep it.
      const taken = await newerTaken(spec, held, at, deps.log)
      if (taken) {
        deps.log.warn({ event: 'trust.kept-copy-older', document: spec.name, kept: spec.serial(held.doc), taken: spec.serial(taken.doc) },
          'the kept copy of a trust document is older than one this node already took into use; starting from that one')
        held = taken
      }
      // Started from the kept copy: look for a newer one now, as any refresh (anti-rollback applies).
      const source = new SignedDocumentSource(spec, fetcher, settings, deps, held)
      if (taken) source.keep()
      await source.refresh()
      return source
    }
    const fetched = await fetcher.fetch()
    if (fetched.kind !== 'document') throw new SarabanError('ERR_INTERNAL', 'an unconditional fetch answered "unchanged"')
    const doc = await spec.verify(fetched.bytes, at)
    spec.checkFresh(doc, at)
    let first: Held<T> = { doc, bytes: fetched.bytes, ...(fetched.etag ? { etag: fetched.etag } : {}) }
    // No kept copy (a new process, or its file lost): the document served may be older than one another
    // process of the node took into use; that one is used then, never the older.
    const taken = await newerTaken(spec, first, at, deps.log)
    if (taken) {
      deps.log.warn({ event: 'trust.rollback-refused', document: spec.name, served: spec.serial(doc), taken: spec.serial(taken.doc) },
        'the trust document served is older than one this node already took into use; using that one')
      first = taken
    }
    const source = new SignedDocumentSource(spec, fetcher, settings, deps, first)
    source.keep()
    source.#lastAttemptAt = source.#lastSuccessAt = at.getTime()
    return source
  }

  get name(): string {
    return this.#spec.name
  }

  current(): T {
    return this.#held.doc
  }

  #trusted(doc: T): boolean {
    return this.#spec.trusted?.(doc) ?? true
  }

  /** Keeps the document held on disk as the last good copy, once it is trusted (write, fsync, rename);
   *  false while it is not. Called again when a document held aside becomes verified. */
  keep(): boolean {
    if (!this.#trusted(this.#held.doc)) return false
    writeAtomic(this.#spec.lastGoodFile, this.#held.bytes)
    return true
  }

  /** The bytes of the document held, as signed. */
  currentBytes(): Buffer {
    return this.#held.bytes
  }

  freshness(at: number = this.#clock.now()): Freshness {
    const next = this.#spec.nextUpdate(this.#held.doc).getTime()
    if (at < next) return 'fresh'
    return at < next + this.#settings.graceMs ? 'grace' : 'stale'
  }

  /** Called after a newer document is accepted (and kept on disk). Listeners must not throw. */
  onUpdate(fn: (doc: T, previous: T) => void): void {
    this.#listeners.push(fn)
  }

  status(): SourceStatus {
    const next = this.#spec.nextUpdate(this.#held.doc).getTime()
    const iso = (ms: number) => new Date(ms).toISOString()
    return {
      name: this.#spec.name,
      location: this.#fetcher.location,
      state: this.freshness(),
      serial: this.#spec.serial(this.#held.doc),
      nextUpdate: iso(next),
      staleAt: iso(next + this.#settings.graceMs),
      ...(this.#lastAttemptAt !== undefined ? { lastAttemptAt: iso(this.#lastAttemptAt) } : {}),
      ...(this.#lastSuccessAt !== undefined ? { lastSuccessAt: iso(this.#lastSuccessAt) } : {}),
      ...(this.#lastError ? { lastError: { code: this.#lastError.code, reason: this.#lastError.reason, at: iso(this.#lastError.at) } } : {}),
    }
  }

  /** Fetch now; concurrent calls share one attempt. Never throws: the outcome says what happened. */
  refresh(): Promise<RefreshResult> {
    this.#running ??= this.#refreshOnce().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #refreshOnce(): Promise<RefreshResult> {
    const now = this.#clock.now()
    this.#lastAttemptAt = now
    const at = new Date(now)
    let fetched
    try {
      fetched = await this.#fetcher.fetch(this.#held.etag)
    } catch (err) {
      return this.#failed('unreachable', err)
    }
    if (fetched.kind === 'unchanged' || fetched.bytes.equals(this.#held.bytes)) return this.#succeeded({ outcome: 'unchanged' })
    let doc: T
    try {
      doc = await this.#spec.verify(fetched.bytes, at)
      // Anti-rollback ranks verified documents only: an unverified one held is no reference, and an
      // unverified candidate cannot displace a verified one (PROTOCOL.md §15.1).
      // The copy held stays: it came first (a kept copy was trusted when kept); retried soon.
      if (!this.#trusted(doc)) return this.#deferred()
      if (this.#trusted(this.#held.doc) && this.#spec.compare(this.#held.doc, doc) === 'same') {
        this.#held = { ...this.#held, ...(fetched.etag ? { etag: fetched.etag } : {}) }
        return this.#succeeded({ outcome: 'unchanged' })
      }
      // Newer than this process holds, but not older than any process of the node took into use.
      const taken = await newerTaken(this.#spec, { doc, bytes: fetched.bytes }, at, this.#log)
      if (taken) this.#spec.compare(taken.doc, doc) // throws: a rollback
      this.#spec.checkFresh(doc, at)
    } catch (err) {
      return this.#failed('refused', err)
    }
    const previous = this.#held.doc
    this.#held = { doc, bytes: fetched.bytes, ...(fetched.etag ? { etag: fetched.etag } : {}) }
    try {
      this.keep()
    } catch (err) {
      // Still use it: refusing a newer, verified document would not make the node safer.
      this.#log.error({ event: 'trust.last-good-write-failed', document: this.#spec.name, err: describe(err) }, 'cannot keep the last good copy on disk')
    }
    this.#log.info({ event: 'trust.updated', document: this.#spec.name, serial: this.#spec.serial(doc), previous: this.#spec.serial(previous) }, 'accepted a newer trust document')
    for (const fn of this.#listeners) {
      try {
        fn(doc, previous)
      } catch (err) {
        this.#log.error({ event: 'trust.listener-failed', document: this.#spec.name, err: describe(err) }, 'a trust document listener failed')
      }
    }
    return this.#succeeded({ outcome: 'updated' })
  }

  /** True while the newest document fetched waits for its issuer (the last refresh was 'deferred'). */
  get deferred(): boolean {
    return this.#waitingForIssuer
  }

  #deferred(): RefreshResult {
    this.#waitingForIssuer = true
    this.#log.info({ event: 'trust.deferred', document: this.#spec.name }, 'received a trust document whose issuer is not known yet; not used, retried soon')
    return { outcome: 'deferred' }
  }

  #succeeded(r: RefreshResult): RefreshResult {
    this.#waitingForIssuer = false
    this.#lastSuccessAt = this.#clock.now()
    this.#lastError = undefined
    return r
  }

  #failed(outcome: 'refused' | 'unreachable', err: unknown): RefreshResult {
    this.#waitingForIssuer = false
    const code: ErrorCode = isSarabanError(err) ? err.code : 'ERR_INTERNAL'
    const reason = describe(err).slice(0, 1000)
    this.#lastError = { code, reason, at: this.#clock.now() }
    const level = outcome === 'refused' ? 'error' : 'warn'
    this.#log[level]({ event: `trust.${outcome}`, document: this.#spec.name, code, reason, state: this.freshness() },
      outcome === 'refused' ? 'refused a trust document; keeping the last good copy' : 'cannot fetch a trust document; keeping the last good copy')
    return { outcome, code, reason }
  }

  /** Refresh every refreshMs (sooner after a failure) until close(). */
  start(): void {
    if (this.#closed || this.#timer) return
    this.#schedule(this.#settings.refreshMs)
  }

  #schedule(ms: number): void {
    if (this.#closed) return
    this.#timer = setTimeout(() => {
      void this.refresh().then((r) => {
        const failed = r.outcome !== 'updated' && r.outcome !== 'unchanged'
        this.#schedule(failed ? (this.#settings.retryMs ?? Math.min(this.#settings.refreshMs, 60_000)) : this.#settings.refreshMs)
      })
    }, ms)
    this.#timer.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => undefined)
    await this.#fetcher.close()
  }
}

/** The newest document of `held`'s series that a process of the node took into use (spec.newestTaken),
 *  verified now, when `held` is older than it (or differs under the same number); undefined otherwise,
 *  and when none is recorded or the recorded one no longer verifies (it cannot be the reference then). */
async function newerTaken<T>(spec: SignedDocumentSpec<T>, held: Held<T>, at: Date, log: Logger): Promise<Held<T> | undefined> {
  if (!(spec.trusted?.(held.doc) ?? true)) return undefined
  const bytes = spec.newestTaken?.(held.doc)
  if (bytes === undefined || bytes.equals(held.bytes)) return undefined
  let doc: T
  try {
    doc = await spec.verify(bytes, at)
  } catch (err) {
    log.warn({ event: 'trust.taken-unverifiable', document: spec.name, err: describe(err) }, 'the newest trust document in the history no longer verifies; not used as the reference')
    return undefined
  }
  try {
    spec.compare(doc, held.doc)
    return undefined // held is the same or newer
  } catch {
    return { doc, bytes }
  }
}

function describe(err: unknown): string {
  return redactUrlsIn(err instanceof Error ? err.message : String(err)) // no credentials or tokens (issue 13 §1)
}
