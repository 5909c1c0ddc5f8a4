// Warnings before things break (issue 17 item 4): the node looks at its own certificates and trust
// documents on a timer and whenever they change (a CRL, the directory, a reload of hosted agencies),
// through the table of checks.ts. /healthz reads the last findings (services/health.ts); each alert
// raises its event once (storage/expiry-alerts.ts) and is logged once per process, a revoked
// certificate in use at fatal level. A revoked signing certificate in use stops the node signing
// with it: the guards of own-signer.ts ask the path validation itself, so they never wait for a tick.
import type { X509Certificate } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { Db } from '../../storage/db.js'
import type { EventSink } from '../../domain/events.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { CertRole } from '../../pki/cert.js'
import { fingerprint } from '../../pki/cert.js'
import { ExpiryAlertStore } from '../../storage/expiry-alerts.js'
import type { SourceStatus } from '../sources/signed-source.js'
import { checks, type ExpirySettings, type Finding, type Judged, type Snapshot } from './checks.js'
import { ownCertificates, type InventoryDeps, type OwnCertificate } from './inventory.js'

export { checks, type Finding, type ExpirySettings } from './checks.js'
export { ownCertificates, directorySigner, type OwnCertificate } from './inventory.js'

export interface ExpiryDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly anchors: TrustAnchors
  readonly events?: EventSink | undefined
  readonly inventory: InventoryDeps
  readonly directoryStatus: () => SourceStatus
  readonly crlStatus: () => readonly SourceStatus[]
  readonly settings: ExpirySettings & { readonly checkSeconds: number }
}

const VALIDATE_ROLE: Record<OwnCertificate['role'], CertRole> = { tls: 'tls', signing: 'signing', encryption: 'encryption', directory: 'directory', ca: 'ca' }

export class ExpiryWatch {
  readonly #d: ExpiryDeps
  readonly #alerts: ExpiryAlertStore
  #findings: readonly Finding[] = []
  /** Alert keys logged by this process (the event is raised once ever, the log line once per start). */
  readonly #logged = new Set<string>()
  #running: Promise<void> | undefined
  #again = false
  #timer: NodeJS.Timeout | undefined

  constructor(d: ExpiryDeps) {
    this.#d = d
    this.#alerts = new ExpiryAlertStore(d.db)
  }

  /** The findings of the last evaluation, for /healthz. */
  findings(): readonly Finding[] {
    return this.#findings
  }

  /** Looks again now; calls while one runs are folded into one more run. Never rejects. */
  evaluate(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        try {
          await this.#evaluate()
        } catch (err) {
          this.#d.log.error({ err, event: 'expiry.check-failed' }, 'could not check the node\'s certificates and trust documents')
        }
      } while (this.#again)
    })().finally(() => { this.#running = undefined })
    return this.#running
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.evaluate(), this.#d.settings.checkSeconds * 1000)
    this.#timer.unref()
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  async #snapshot(): Promise<Snapshot> {
    const d = this.#d
    const now = d.clock.now()
    const at = new Date(now)
    const certs: Judged[] = []
    const cas = new Map<string, X509Certificate>()
    for (const cert of ownCertificates(d.inventory)) {
      const r = await d.anchors.validate(cert.chain, { at, role: VALIDATE_ROLE[cert.role] })
      if (r.ok) {
        certs.push({ cert, path: r.value.path })
        if (cert.inUse) for (const ca of r.value.path.slice(1)) cas.set(fingerprint(ca), ca)
      } else {
        certs.push({ cert, problem: { code: r.code, reason: r.reason } })
      }
    }
    // The CA chain of the certificates in use (issue 17 item 4: "CA chain"), each CA once.
    for (const ca of cas.values()) certs.push({ cert: { role: 'ca', chain: [ca], inUse: true } })
    return { now, certs, directory: d.directoryStatus(), crls: d.crlStatus(), agencies: d.inventory.hosted.ids(), settings: d.settings }
  }

  async #evaluate(): Promise<void> {
    const s = await this.#snapshot()
    const findings = checks.flatMap(([, check]) => check(s))
    this.#findings = findings
    const raise = findings.filter((f) => f.alert !== undefined && !this.#alerts.raised(f.alert.key))
    if (raise.length > 0) {
      await this.#d.db.write(() => {
        for (const f of raise) {
          const a = f.alert!
          if (!this.#alerts.raise(a.key, s.now)) continue
          for (const agency of a.agencies) this.#d.events?.emit({ agency, type: a.type, data: { ...a.data, detail: f.detail } })
        }
      })
    }
    for (const f of findings) {
      const a = f.alert
      if (!a || this.#logged.has(a.key)) continue
      this.#logged.add(a.key)
      this.#d.log[a.level]({ event: a.type, check: f.check, ...a.data }, f.detail)
    }
  }
}
