// The transparency log's appender (PROTOCOL.md §20.3): every write() and tx() of the node ends by
// turning the state changes it made into log entries (migration 018, storage/db.ts afterEachWrite);
// and the keys the hosted agencies use, logged when first seen in use (key.in-use).
import type { Db } from '../storage/db.js'
import { LogStore } from '../storage/log.js'
import { LeafAppender } from '../services/log/append.js'
import { recordKeysInUse } from '../services/log/keys.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import type { Base } from './base.js'

/** How often the keys in use are looked at: the signing key is chosen at each use (§16.4 rollover). */
const KEYS_EVERY_MS = 60_000

export interface LogWiring {
  /** From wireAgencies on: node-wide changes go to every agency hosted at that moment; their keys are logged. */
  useHosted(hosted: HostedAgencies): Promise<void>
}

/** Called right after the database opens, before anything writes; the configured agencies until useHosted. */
export function wireLogAppender({ config, clock, log, closers }: Base, db: Db): LogWiring {
  let ids: () => Iterable<string> = () => config.agencies.map((a) => a.id)
  const appender = new LeafAppender({ sqlite: db.sqlite, hosted: () => ids() })
  // transparencyLog.enabled false (bench only, to measure the log's cost): the triggers' pending rows are dropped.
  const store = new LogStore(db.sqlite)
  db.afterEachWrite(config.transparencyLog.enabled ? appender : {
    drain: () => store.discardPending(), flush: () => {}, mark: () => 0, undo: () => {},
  })
  // Changes made outside any write() (a direct store call, an older process that died mid-way) get
  // their entries now, before the node does anything else.
  db.tx(() => undefined)
  return {
    async useHosted(hosted) {
      ids = () => hosted.ids()
      const look = (): Promise<number> => recordKeysInUse(db, store, hosted, clock.now())
      await look()
      const timer = setInterval(() => {
        look().catch((err: unknown) => log.warn({ event: 'log.keys-failed', err }, 'could not log the keys in use'))
      }, KEYS_EVERY_MS)
      timer.unref()
      closers.push(() => clearInterval(timer))
    },
  }
}
