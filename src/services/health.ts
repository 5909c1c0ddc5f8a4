// Health (GET /healthz): cheap checks that tell an operator what needs attention.
import type { Clock } from '../clock.js'
import { isoTime } from '../clock.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Directory } from '../pki/directory.js'
import type { SourceStatus } from './signed-source.js'
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
  /** RFC 3161 queue state (PROTOCOL.md §13.4). */
  readonly timestamping?: () => TimestampingStatus
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
    ...(status === 'ok' ? {} : { checks: checks.filter((c) => c.status !== 'ok') }),
  }
}

function clip(s: string): string {
  return s.length > 1000 ? s.slice(0, 999) + '…' : s
}
