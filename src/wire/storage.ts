// The database and the stores every later part shares, with the cleanups that must run before any
// of them is used.
import { join } from 'node:path'
import { Db } from '../storage/db.js'
import { OutboxStore } from '../storage/outbox.js'
import { ownerFor } from '../storage/owner.js'
import { InboxStore } from '../storage/inbox.js'
import { BodyStaging } from '../storage/staged-bodies.js'
import { TrustHistoryStore } from '../storage/trust-history.js'
import type { Base } from './base.js'
import { wireLogAppender, type LogWiring } from './log.js'

export interface Storage {
  readonly db: Db
  readonly outbox: OutboxStore
  readonly inbox: InboxStore
  /** What this node trusted when (directoryAt, crlsAt) for evidence. */
  readonly trustHistory: TrustHistoryStore
  /** The transparency log's appender, running at the end of every write (PROTOCOL.md §20.3). */
  readonly logWiring: LogWiring
  /** Large federation bodies staged as they arrive (issue 16 item 2). */
  readonly staging: BodyStaging
}

export function wireStorage(base: Base): Storage {
  const { config, log, closers } = base
  const storageLog = log.child({ area: 'storage' })
  // Issue 19 §1: the same stores on either engine (storage/db.ts openPostgres; the schema is migrated
  // as the database opens, as SQLite's is).
  const db = config.storage.engine === 'postgresql'
    ? Db.openPostgres(config.storage.postgresql!, { maxBatch: config.storage.maxBatch, application: `saraban-node ${ownerFor(config.federation.port)}` })
    : Db.open(join(config.dataDir, 'saraban.sqlite'), {
      maxBatch: config.storage.maxBatch,
      synchronous: config.storage.synchronous,
      checkpoint: config.storage.checkpoint,
      durableSync: config.storage.durableSync,
      onCheckpoint: (event) => {
        if (event.kind === 'error' || event.kind === 'fallback') storageLog.warn({ event: `checkpoint.${event.kind}`, detail: event }, 'WAL checkpointing needs attention')
      },
    })
  // A restarted or failed-over server (issue 19 §6): statements wait for the connection to come back
  // (up to 10 s, storage/postgresql/sync/bridge.ts), then fail at once until it is back; the operator
  // learns of both.
  db.onConnection({
    reconnected: () => storageLog.warn({ event: 'storage.reconnected' }, 'the connection to PostgreSQL was lost and made again'),
    stale: () => storageLog.error({ event: 'storage.stale-answer' }, 'an answer of PostgreSQL came for a statement given up on, and was dropped'),
    unreachable: () => storageLog.error({ event: 'storage.unreachable' }, 'PostgreSQL stayed out of reach for 10 s: requests fail (5xx, /healthz 503) until it is back; check the server and storage.postgresql.url'),
  })
  closers.push(() => db.close())
  // Before the first write: every state change from now on gets its log entries in its own transaction.
  const logWiring = wireLogAppender(base, db)
  const outbox = new OutboxStore(db, undefined, { agingMs: config.delivery.urgencyAgingMs, leaseMs: config.delivery.claimLeaseMs, owner: ownerFor(config.federation.port) })
  // Issue 5 §4: envelopes stored ahead of a letter whose sealing never finished (the process died
  // mid-send; the client had no 202 and retries): nothing refers to them, so they go.
  const unsealed = outbox.dropAbandonedSealing()
  if (unsealed > 0) storageLog.warn({ event: 'letter.sealing.dropped', envelopes: unsealed }, 'deleted the envelopes of letters whose sealing never finished')
  const inbox = new InboxStore(db)
  const trustHistory = new TrustHistoryStore(db)
  // Issue 16 item 2: large federation bodies being received are staged in files; what this process
  // left staged when it stopped (and any a day old) goes. A staged body was never acknowledged: its
  // sender retries it.
  const staging = new BodyStaging(config.dataDir, ownerFor(config.federation.port))
  const unstaged = staging.dropAbandoned()
  if (unstaged > 0) storageLog.warn({ event: 'receive.staging.dropped', bodies: unstaged }, 'deleted the staged bodies of receives that never finished')
  return { db, outbox, inbox, trustHistory, logWiring, staging }
}
