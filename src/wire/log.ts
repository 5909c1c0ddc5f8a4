// The transparency log's appender (PROTOCOL.md §20.3): every write() and tx() of the node ends by
// turning the state changes it made into log entries (migration 018, storage/db.ts afterEachWrite).
import type { Db } from '../storage/db.js'
import { LeafAppender } from '../services/log/append.js'
import { LogStore } from '../storage/log.js'

export interface LogWiring {
  /** From wireAgencies on: node-wide changes go to every agency hosted at that moment. */
  useHosted(ids: () => Iterable<string>): void
}

/** Called right after the database opens, before anything writes; `initial`: the configured agencies. */
export function wireLogAppender(db: Db, initial: readonly string[], enabled = true): LogWiring {
  let hosted: () => Iterable<string> = () => initial
  const appender = new LeafAppender({ sqlite: db.sqlite, hosted: () => hosted() })
  // log.enabled false (bench only, to measure the log's cost): the triggers' pending rows are dropped.
  const store = new LogStore(db.sqlite)
  db.afterEachWrite(enabled ? () => appender.drain() : () => store.discardPending())
  // Changes made outside any write() (a direct store call, an older process that died mid-way) get
  // their entries now, before the node does anything else.
  db.tx(() => undefined)
  return { useHosted: (ids) => { hosted = ids } }
}
