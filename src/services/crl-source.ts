// Getting the federation's CRLs (PROTOCOL.md §15.1): each configured source (a file, or an https URL)
// is read at start and every `refreshSeconds`; what verifies goes into the node's CrlSet, and the
// last good copy of each source is kept under dataDir, so that a restart while the operator is
// unreachable still has the CRLs it had. Freshness (nextUpdate + grace) is judged by CrlSet.
// TODO(issue 4): move onto the directory work's generic refreshing source once it is on main.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import { rootCertificates } from 'node:tls'
import { join } from 'node:path'
import { Agent } from 'undici'
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Config } from '../config/index.js'
import { SarabanError } from '../errors.js'
import { toPem } from '../pki/cert.js'
import { CrlSet } from '../pki/crl-set.js'
import type { Crl } from '../pki/crl.js'
import { RevocationChecker } from '../pki/revocation.js'

export interface CrlSourceState {
  source: string
  ok: boolean
  lastError?: string
  /** the CRL this source last gave (the set may hold a newer one from another source) */
  crl?: { issuer: string; number?: string; thisUpdate: string; nextUpdate: string }
}

const FETCH_TIMEOUT_MS = 15_000
const MAX_CRL_BYTES = 16 * 1024 * 1024

export class CrlSources {
  readonly #states = new Map<string, CrlSourceState>()
  #timer: NodeJS.Timeout | undefined
  #agent: Agent | undefined

  constructor(
    readonly crls: CrlSet,
    private readonly opts: {
      sources: readonly string[]; cacheDir: string; refreshMs: number; log: Logger
      issuers: () => X509Certificate[]; anchorsPem: () => string[]
      /** each CRL accepted (new to the set), e.g. to record it for evidence */
      onAccepted?: (crl: Crl, source: string) => void
    },
  ) {
    for (const s of opts.sources) this.#states.set(s, { source: s, ok: false, lastError: 'not loaded yet' })
  }

  /** Last good copies first, then every source once. Never throws: failures are logged and kept in status(). */
  async load(): Promise<void> {
    mkdirSync(this.opts.cacheDir, { recursive: true })
    for (const s of this.opts.sources) {
      try {
        await this.#accept(s, readFileSync(this.#cacheFile(s)), false)
      } catch { /* no last good copy yet */ }
    }
    await this.refresh()
  }

  async refresh(): Promise<void> {
    await Promise.all(this.opts.sources.map(async (s) => {
      const state = this.#states.get(s)!
      try {
        await this.#accept(s, await this.#read(s), true)
      } catch (e) {
        state.ok = false
        state.lastError = (e as Error).message
        this.opts.log.warn({ event: 'crl.refresh-failed', source: s, reason: state.lastError }, 'a CRL source could not be used; the CRLs held stay in force until nextUpdate + grace')
      }
    }))
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.refresh(), this.opts.refreshMs)
    this.#timer.unref()
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#agent?.close()
  }

  status(): CrlSourceState[] {
    return [...this.#states.values()].map((s) => ({ ...s }))
  }

  async #accept(source: string, der: Buffer, keep: boolean): Promise<void> {
    const r = await this.crls.add(der, this.opts.issuers())
    const state = this.#states.get(source)!
    if (!r.ok) {
      if (!keep && /rollback/.test(r.reason)) return // a last good copy older than what another source gave
      throw new Error(r.reason)
    }
    state.ok = true
    delete state.lastError
    state.crl = {
      issuer: r.crl.issuer, ...(r.crl.number !== undefined ? { number: r.crl.number.toString() } : {}),
      thisUpdate: r.crl.thisUpdate.toISOString(), nextUpdate: r.crl.nextUpdate.toISOString(),
    }
    if (r.changed) {
      this.opts.log.info({ event: 'crl.accepted', source, issuer: r.crl.issuer, number: state.crl.number, revoked: r.crl.revoked.size }, 'CRL accepted')
      this.opts.onAccepted?.(r.crl, source)
    }
    if (keep && r.changed) {
      const file = this.#cacheFile(source)
      writeFileSync(file + '.tmp', r.crl.der)
      renameSync(file + '.tmp', file)
    }
  }

  async #read(source: string): Promise<Buffer> {
    if (!/^https:\/\//i.test(source)) return readFileSync(source)
    // CRLs are signed, so the transport only needs to reach the operator: system roots or the federation's.
    this.#agent ??= new Agent({ connect: { ca: [...rootCertificates, ...this.opts.anchorsPem()] } })
    const res = await this.#agent.request({
      origin: new URL(source).origin, path: new URL(source).pathname + new URL(source).search, method: 'GET',
      headersTimeout: FETCH_TIMEOUT_MS, bodyTimeout: FETCH_TIMEOUT_MS,
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const c of res.body) {
      size += (c as Buffer).length
      if (size > MAX_CRL_BYTES) { res.body.destroy(); throw new Error(`${source} sent more than ${MAX_CRL_BYTES} bytes`) }
      chunks.push(c as Buffer)
    }
    if (res.statusCode !== 200) throw new Error(`${source} answered ${res.statusCode}`)
    return Buffer.concat(chunks)
  }

  #cacheFile(source: string): string {
    return join(this.opts.cacheDir, createHash('sha256').update(source).digest('hex').slice(0, 32) + '.crl')
  }
}

/** The node's revocation check and its CRL sources, from the config (context.ts). Nothing is read
 *  until `sources.load()`. Soft mode is announced loudly here, and every soft pass is logged. */
export function createRevocation(config: Pick<Config, 'trust' | 'dataDir'>, deps: { clock: Clock; log: Logger; issuers: () => X509Certificate[]; anchors: () => readonly X509Certificate[] }) {
  const { trust } = config
  if (trust.revocation === 'hard' && trust.crls.length === 0) {
    throw new SarabanError('ERR_CONFIG_INVALID', 'trust.crls is empty while trust.revocation is "hard": every certificate would be refused', {
      errors: [{ field: '/trust/crls', message: 'list the federation CAs\' CRLs (files or https URLs), or set trust.revocation to "soft"' }],
    })
  }
  const crls = new CrlSet({ graceMs: trust.crlGraceSeconds * 1000 })
  if (trust.revocation === 'soft') {
    deps.log.warn({ event: 'revocation.soft-fail', crls: trust.crls.length },
      'REVOCATION IS IN SOFT-FAIL MODE (trust.revocation = "soft"): certificates whose revocation status is unknown are ACCEPTED. Use only while CRLs cannot be fetched.')
  }
  const checker = new RevocationChecker({
    crls, mode: trust.revocation, now: () => deps.clock.now(),
    onSoftFailure: (f) => deps.log.warn({ event: 'revocation.soft-pass', ...f }, 'accepted a certificate WITHOUT revocation information (soft-fail mode)'),
  })
  const sources = new CrlSources(crls, {
    sources: trust.crls, cacheDir: join(config.dataDir, 'crls'), refreshMs: trust.crlRefreshSeconds * 1000, log: deps.log,
    issuers: deps.issuers, anchorsPem: () => deps.anchors().map(toPem),
  })
  return { crls, checker, sources }
}
