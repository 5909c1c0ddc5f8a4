// Health (GET /healthz): cheap checks that tell an operator what needs attention.
import type { Clock } from '../clock.js'
import { isoTime } from '../clock.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore } from '../storage/outbox.js'
import type { Directory } from '../pki/directory.js'
import type { TimestampingStatus } from './timestamping.js'

type Status = 'ok' | 'degraded' | 'failing'
interface HealthCheck { name: string; status: Status; detail?: string }

export interface HealthDeps {
  readonly clock: Clock
  readonly db: Db
  readonly outbox: OutboxStore
  readonly directory: () => Directory
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
  if (Date.parse(doc.nextUpdate) < now) {
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
    time: isoTime(now),
    outbox,
    ...(timestamping ? { timestamping } : {}),
    ...(status === 'ok' ? {} : { checks: checks.filter((c) => c.status !== 'ok') }),
  }
}
