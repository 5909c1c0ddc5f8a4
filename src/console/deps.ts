// What the admin console (/console, issue 17 item 2) is given by its wiring (wire/console.ts): services
// only, never a store.
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Mailbox } from '../services/mailbox/index.js'
import type { Registers } from '../services/registers.js'
import type { SourceStatus } from '../services/sources/signed-source.js'
import type { CertificateExpiry } from '../services/console/certificates.js'
import type { PeerStatusDeps } from '../services/delivery/peer-status.js'
import type { RequeueDeps } from '../services/delivery/requeue.js'
import type { CancelDeps } from '../services/delivery/cancel.js'
import type { MailSearchService } from '../services/console/mail-search.js'
import type { ConsoleAudit } from '../services/console/audit.js'
import type { DeliveryAttempts } from '../services/console/delivery-attempts.js'
import type { StatisticsDeps } from '../services/statistics/index.js'
import type { EvidenceDeps } from '../services/evidence/index.js'
import type { EvidenceVerifyDeps } from '../services/evidence/verify.js'
import type { Events } from '../services/events/index.js'
import type { Sessions } from './session.js'

export interface ConsoleKey { readonly name: string; readonly agencies: readonly string[] }

export interface HealthView {
  readonly status: 'ok' | 'degraded' | 'failing'
  readonly version?: unknown
  readonly directorySerial?: unknown
  readonly outbox?: unknown
  readonly checks?: unknown
  readonly [k: string]: unknown
}

export interface ConsoleDeps {
  readonly clock: Clock
  readonly log: Logger
  /** The node's API keys (config file and hosted-agency files), asked on every request. */
  readonly lookupKey: (sha256: string) => ConsoleKey | undefined
  readonly sessions: Sessions
  /** Secure cookies: the API listener is reached over TLS (a TLS-terminating proxy's public URL). */
  readonly secureCookies: boolean
  readonly health: () => HealthView
  readonly directoryStatus: () => { readonly serial: string; readonly nextUpdate: string; readonly source?: SourceStatus }
  readonly crlStatus: () => readonly SourceStatus[]
  readonly certificates: (agencies: readonly string[], now: number) => CertificateExpiry[]
  readonly mailbox: Mailbox
  readonly search: MailSearchService
  readonly registers: Registers
  readonly peers: PeerStatusDeps
  readonly requeue: RequeueDeps
  readonly cancel: CancelDeps
  readonly evidence: EvidenceDeps
  readonly verifyEvidence: EvidenceVerifyDeps
  readonly events?: Events | undefined
  readonly audit: ConsoleAudit
  /** Every delivery attempt of a sent letter with its error (issue 17 item 2). */
  readonly attempts: DeliveryAttempts
  /** Statistics for the oversight bodies (issue 17 item 6), as GET /api/v1/statistics computes them. */
  readonly statistics?: StatisticsDeps | undefined
}
