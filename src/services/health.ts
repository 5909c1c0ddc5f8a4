// Health (GET /healthz): cheap checks that tell an operator what needs attention.
import type { Clock } from '../clock.js'
import { isoTime } from '../clock.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Directory } from '../pki/directory.js'
import type { SourceStatus } from './sources/signed-source.js'
import type { TimestampingStatus } from './timestamping.js'

type Status = 'ok' | 'degraded' | 'failing'
interface HealthCheck { name: string; status: Status; detail?: string }

export interface HealthDeps {
  readonly clock: Clock
  readonly db: Db
  readonly outbox: OutboxStore
  readonly directory: () => Directory
  /** The refreshing directory's state (PROTOCOL.md §14.4); without it, nextUpdate alone is judged. */
  readonly directoryStatus?: () => SourceStatus
  readonly agencies: () => string[]
  readonly version: string
  /** The CRL sources (PROTOCOL.md §15): a stale CRL under hard fail refuses every certificate of its issuer. */
  readonly revocationStatus?: () => { mode: 'hard' | 'soft'; sources: SourceStatus[]; pending: readonly string[] }
  /** RFC 3161 queue state (PROTOCOL.md §13.4). */
  readonly timestamping?: () => TimestampingStatus
  /** Event streams and webhooks (README "Notifications"): failing endpoints are named, never their URLs. */
  readonly notifications?: () => NotificationsStatus
  /** PROTOCOL.md §20.6: how many misbehaviour proofs of peers' logs this node keeps. */
  readonly logWitness?: () => number
  /** Issue 17 item 4: the findings of the expiry watch (src/services/expiry/checks.ts), in its table's order. */
  readonly expiry?: () => ReadonlyArray<{ readonly check: string; readonly status: 'degraded' | 'failing'; readonly detail: string }>
}

export interface NotificationsStatus {
  readonly streams: number
  readonly webhooks: { readonly pending: number; readonly delivered: number; readonly failed: number; readonly abandoned: number }
  /** Names of the webhook endpoints whose last attempt failed. */
  readonly failingEndpoints: readonly string[]
}

export function health(deps: HealthDeps) {
  const checks: HealthCheck[] = []
  let outbox = { queued: 0, sending: 0, delivered: 0, failed: 0 }
  try {
    outbox = { ...outbox, ...deps.outbox.counts() }
    checks.push({ name: 'database', status: 'ok' })
  } catch (err) {
    checks.push({ name: 'database', status: 'failing', detail: `the database cannot be read: ${(err as Error).message}` })
  }
  const doc = deps.directory().document()
  const now = deps.clock.now()
  const dir = deps.directoryStatus?.()
  const failedRefresh = dir?.lastError ? ` The last refresh failed (${dir.lastError.code}): ${dir.lastError.reason}` : ''
  if (dir?.state === 'stale') {
    checks.push({ name: 'directory', status: 'failing', detail: clip(`directory serial ${dir.serial} expired at ${dir.nextUpdate} and its grace period ended at ${dir.staleAt}: new letters are refused (ERR_DIRECTORY_STALE) and queued letters wait for a fresh directory.${failedRefresh}`) })
  } else if (dir?.state === 'grace') {
    checks.push({ name: 'directory', status: 'degraded', detail: clip(`directory serial ${dir.serial} is past its nextUpdate (${dir.nextUpdate}); it stays usable until ${dir.staleAt}.${failedRefresh}`) })
  } else if (dir === undefined && Date.parse(doc.nextUpdate) < now) {
    checks.push({ name: 'directory', status: 'degraded', detail: `directory serial ${doc.serial} is past its nextUpdate (${doc.nextUpdate}); install a newer one` })
  }
  checks.push(...revocationChecks(deps.revocationStatus?.()))
  // Issue 17 item 4: the node's own certificates (revoked: failing; expiring) and trust documents near their nextUpdate.
  for (const f of deps.expiry?.() ?? []) checks.push({ name: f.check, status: f.status, detail: clip(f.detail) })
  let timestamping: TimestampingStatus | undefined
  try {
    timestamping = deps.timestamping?.()
  } catch {
    /* the database check above reports an unreadable database */
  }
  if (timestamping?.state === 'retrying') {
    const e = timestamping.lastError
    checks.push({ name: 'timestamping', status: 'degraded', detail: `the time-stamping authority fails (${e ? `${e.code}: ${e.detail}`.slice(0, 600) : 'unknown error'}); ${timestamping.pending} stamps pending, oldest ${timestamping.oldestPendingSeconds} s; letters and receipts keep flowing` })
  }
  let notifications: NotificationsStatus | undefined
  try {
    notifications = deps.notifications?.()
  } catch {
    /* the database check above reports an unreadable database */
  }
  for (const name of notifications?.failingEndpoints ?? []) {
    checks.push({ name: 'webhooks', status: 'degraded', detail: clip(`webhook endpoint "${name}" fails; its deliveries are retried (GET /api/v1/webhooks/deliveries shows why)`) })
  }
  let misbehaviour = 0
  try {
    misbehaviour = deps.logWitness?.() ?? 0
  } catch {
    /* the database check above reports an unreadable database */
  }
  if (misbehaviour > 0) {
    checks.push({ name: 'log-witness', status: 'degraded', detail: `${misbehaviour} peer log(s) contradicted a checkpoint they signed (event log.inconsistent); \`saraban-node log audit\` lists them and the two checkpoints kept as proof` })
  }
  const status: Status = checks.some((c) => c.status === 'failing') ? 'failing' : checks.some((c) => c.status === 'degraded') ? 'degraded' : 'ok'
  return {
    status,
    version: deps.version,
    agencies: deps.agencies(),
    directorySerial: doc.serial,
    ...(dir ? { directory: dir } : {}),
    time: isoTime(now),
    outbox,
    ...(timestamping ? { timestamping } : {}),
    ...(notifications ? { notifications: { streams: notifications.streams, webhooks: notifications.webhooks } } : {}),
    ...(status === 'ok' ? {} : { checks: checks.filter((c) => c.status !== 'ok') }),
  }
}

// PROTOCOL.md §15.2: what the node's CRLs mean for the certificates it can accept now.
function revocationChecks(r: ReturnType<NonNullable<HealthDeps['revocationStatus']>> | undefined): HealthCheck[] {
  if (!r) return []
  const out: HealthCheck[] = []
  if (r.mode === 'soft') out.push({ name: 'revocation', status: 'degraded', detail: 'revocation is in soft-fail mode (trust.revocation = "soft"): certificates without a current CRL are accepted' })
  for (const p of r.pending) out.push({ name: 'revocation', status: 'degraded', detail: clip(`no CRL could be had from ${p}: certificates of its issuer are accepted unchecked (soft fail)`) })
  for (const s of r.sources) {
    const failed = s.lastError ? ` The last refresh failed (${s.lastError.code}): ${s.lastError.reason}` : ''
    if (s.state === 'stale') {
      out.push({ name: 'revocation', status: r.mode === 'hard' ? 'failing' : 'degraded', detail: clip(`the CRL from ${s.location} (number ${s.serial}) expired at ${s.nextUpdate} and its grace period ended at ${s.staleAt}: `
        + (r.mode === 'hard' ? 'certificates of its issuer are refused (ERR_REVOCATION_UNKNOWN).' : 'certificates of its issuer are accepted unchecked (soft fail).') + failed) })
    } else if (s.state === 'grace') {
      out.push({ name: 'revocation', status: 'degraded', detail: clip(`the CRL from ${s.location} (number ${s.serial}) is past its nextUpdate (${s.nextUpdate}); it stays usable until ${s.staleAt}.${failed}`) })
    } else if (s.lastError) {
      out.push({ name: 'revocation', status: 'degraded', detail: clip(`the CRL from ${s.location} is current (number ${s.serial}), but${failed.replace(/^ The/, ' the')}`) })
    }
  }
  return out
}

function clip(s: string): string {
  return s.length > 1000 ? s.slice(0, 999) + '…' : s
}
