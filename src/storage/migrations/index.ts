// Numbered migrations, applied in order; PRAGMA user_version records the last one applied.
// Append only: a published migration never changes (a node may already have run it).
import type { Database } from 'better-sqlite3'
import { SarabanError } from '../../errors.js'
import { sql as init } from './001-init.js'
import { sql as timestamps } from './002-timestamps.js'
import { sql as trustHistory } from './003-trust-history.js'
import { sql as registers } from './004-registers.js'
import { sql as events } from './005-events.js'
import { sql as registerIdempotency } from './006-register-idempotency.js'
import { sql as letterOnce } from './007-letter-once.js'
import { sql as notices } from './008-notices.js'
import { sql as fanout } from './009-fanout.js'
import { sql as timestampImprint } from './010-timestamp-imprint.js'
import { sql as registerOpenNumbers } from './011-register-open-numbers.js'
import { sql as inboxContents } from './012-inbox-contents.js'
import { sql as webhookAbandoned } from './013-webhook-abandoned.js'
import { sql as sharedRefs } from './014-shared-refs.js'
import { sql as sealing } from './015-sealing.js'
import { sql as patience } from './016-patience.js'
import { sql as classified } from './017-classified.js'
import { sql as transparencyLog } from './018-transparency-log.js'
import { sql as peerCheckpoints } from './019-peer-checkpoints.js'
import { sql as ecmsOutbound } from './020-ecms-outbound.js'
import { sql as ecmsQueue } from './021-ecms-queue.js'
import { sql as noticeDisputed } from './022-notice-disputed.js'
import { sql as logReceipts } from './024-log-receipts.js'
import { sql as apiStyle } from './027-api-style.js'
import { sql as requestFingerprint } from './028-request-fingerprint.js'
import { sql as expiryAlerts } from './029-expiry-alerts.js'
import { sql as consoleActions } from './032-console-actions.js'
import { sql as deliveryAttempts } from './034-delivery-attempts.js'
import { sql as blobChunks } from './036-blob-chunks.js'
import { sql as receivedCheckpoints } from './038-received-checkpoints.js'
import { sql as deliveredProofs } from './039-delivered-proofs.js'
import { sql as outboxLeases, postgresql as outboxLeasesPg } from './040-outbox-leases.js'
import { sql as processLeases, postgresql as processLeasesPg } from './041-process-leases.js'
import { sql as webhookClaims, postgresql as webhookClaimsPg } from './042-webhook-claims.js'
import { sql as sealingOwner, postgresql as sealingOwnerPg } from './043-sealing-owner.js'
import { sql as consoleSessions, postgresql as consoleSessionsPg } from './044-console-sessions.js'
import { sql as sharedClaims, postgresql as sharedClaimsPg } from './045-shared-claims.js'
import { sql as outboxLeaseOwner, postgresql as outboxLeaseOwnerPg } from './046-outbox-lease-owner.js'
import { sql as logEntryTime, postgresql as logEntryTimePg } from './051-log-entry-time.js'
import { sql as postgresqlCompat, postgresql as postgresqlCompatPg } from './054-postgresql-compat.js'
import { sql as postgresqlBaseline } from '../postgresql/baseline.js'

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
  /** The same change in PostgreSQL's dialect (issue 19); see POSTGRESQL_BASELINE. */
  readonly postgresql?: string
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'timestamps', sql: timestamps },
  { version: 3, name: 'trust-history', sql: trustHistory },
  { version: 4, name: 'registers', sql: registers },
  { version: 5, name: 'events', sql: events },
  { version: 6, name: 'register-idempotency', sql: registerIdempotency },
  { version: 7, name: 'letter-once', sql: letterOnce },
  { version: 8, name: 'notices', sql: notices },
  { version: 9, name: 'fanout', sql: fanout },
  { version: 10, name: 'timestamp-imprint', sql: timestampImprint },
  { version: 11, name: 'register-open-numbers', sql: registerOpenNumbers },
  { version: 12, name: 'inbox-contents', sql: inboxContents },
  { version: 13, name: 'webhook-abandoned', sql: webhookAbandoned },
  { version: 14, name: 'shared-refs', sql: sharedRefs },
  { version: 15, name: 'sealing', sql: sealing },
  { version: 16, name: 'patience', sql: patience },
  { version: 17, name: 'classified', sql: classified },
  { version: 18, name: 'transparency-log', sql: transparencyLog },
  { version: 19, name: 'peer-checkpoints', sql: peerCheckpoints },
  { version: 20, name: 'ecms-outbound', sql: ecmsOutbound },
  { version: 21, name: 'ecms-queue', sql: ecmsQueue },
  { version: 22, name: 'notice-disputed', sql: noticeDisputed },
  { version: 24, name: 'log-receipts', sql: logReceipts },
  { version: 27, name: 'api-style', sql: apiStyle },
  { version: 28, name: 'request-fingerprint', sql: requestFingerprint },
  { version: 29, name: 'expiry-alerts', sql: expiryAlerts },
  { version: 32, name: 'console-actions', sql: consoleActions },
  { version: 34, name: 'delivery-attempts', sql: deliveryAttempts },
  { version: 36, name: 'blob-chunks', sql: blobChunks },
  { version: 38, name: 'received-checkpoints', sql: receivedCheckpoints },
  // PostgreSQL starts at 39 with the schema SQLite reached by then, as one squashed baseline
  // (storage/postgresql/baseline.ts): a PostgreSQL database runs this entry's `postgresql` only.
  // Every later migration must carry both dialects, `sql` and `postgresql`.
  { version: 39, name: 'delivered-proofs', sql: deliveredProofs, postgresql: postgresqlBaseline },
  { version: 40, name: 'outbox-leases', sql: outboxLeases, postgresql: outboxLeasesPg },
  { version: 41, name: 'process-leases', sql: processLeases, postgresql: processLeasesPg },
  { version: 42, name: 'webhook-claims', sql: webhookClaims, postgresql: webhookClaimsPg },
  { version: 43, name: 'sealing-owner', sql: sealingOwner, postgresql: sealingOwnerPg },
  { version: 44, name: 'console-sessions', sql: consoleSessions, postgresql: consoleSessionsPg },
  { version: 45, name: 'shared-claims', sql: sharedClaims, postgresql: sharedClaimsPg },
  { version: 46, name: 'outbox-lease-owner', sql: outboxLeaseOwner, postgresql: outboxLeaseOwnerPg },
  { version: 51, name: 'log-entry-time', sql: logEntryTime, postgresql: logEntryTimePg },
  { version: 54, name: 'postgresql-compat', sql: postgresqlCompat, postgresql: postgresqlCompatPg },
]

// Numbers are handed out per change this round (018/019 transparency log, 020/021 e-CMS gateway), and a
// branch may carry a later number before the earlier ones land: versions must only increase.
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The first version a PostgreSQL database has: its `postgresql` is the whole schema up to it. */
export const POSTGRESQL_BASELINE = 39

/** Brings the schema up to SCHEMA_VERSION; returns the version found before. */
export function migrate(sqlite: Database): number {
  MIGRATIONS.forEach((m, i) => {
    const before = i === 0 ? 0 : MIGRATIONS[i - 1]!.version
    if (m.version <= before) throw new Error(`storage: migration ${m.name} is numbered ${m.version}, after ${before}`)
  })
  // IMMEDIATE: two processes opening a fresh file at once must not both run 001.
  const run = sqlite.transaction((): number => {
    const found = sqlite.pragma('user_version', { simple: true }) as number
    if (found > SCHEMA_VERSION) {
      throw new SarabanError('ERR_INTERNAL', `storage: database schema version ${found} is newer than this software (${SCHEMA_VERSION})`)
    }
    for (const m of MIGRATIONS.filter((x) => x.version > found)) {
      sqlite.exec(m.sql)
      sqlite.pragma(`user_version = ${m.version}`) // transactional: stored in the page-1 header
    }
    return found
  })
  return run.immediate()
}
