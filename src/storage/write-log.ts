// The contract between the group commit (storage/db.ts) and the transparency log's appender
// (services/log/append.ts): how a write's state changes become log entries in its transaction.

/** PROTOCOL.md §20 (migration 018): what ends every write() and tx() fn. The transparency log's
 *  appender (services/log/append.ts) builds a fn's entries in `drain` and appends them in `flush`, once
 *  per transaction rather than once per fn (issue 14 §6: one head read and write, one root). */
export interface WriteLog {
  /** At the end of every write() and tx() fn, inside its savepoint: turns the state changes the log
   *  triggers recorded into entries, kept until flush(). A throw rolls back that fn alone. */
  drain(): void
  /** Appends what drain() kept: once a batch's fns ran (before its beforeCommit hooks), once its
   *  hooks ran, and at the end of a tx() no transaction holds. A throw rolls back the whole transaction. */
  flush(): void
  /** How much drain() has kept; undo(mark) forgets what was kept since (the fn that made it rolled back). */
  mark(): number
  undo(mark: number): void
}
