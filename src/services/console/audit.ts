// The console's record of actions (issue 17 item 2: "every action taken in the console is recorded
// with who did it"): login, logout, retry, cancel, export (registers; statistics, issue 17 item 6),
// evidence download and check. Who: the API
// key's name and its agencies at the time; never the key or its digest.
import type { Clock } from '../../clock.js'
import type { Db } from '../../storage/db.js'
import type { ConsoleStore, ConsoleActionRow } from '../../storage/console.js'

export type { ConsoleActionRow }

export const CONSOLE_ACTIONS = ['login', 'login-refused', 'logout', 'retry', 'cancel', 'export', 'export-statistics', 'evidence', 'evidence-check'] as const
export type ConsoleAction = (typeof CONSOLE_ACTIONS)[number]

export interface Actor { readonly keyName: string; readonly agencies: readonly string[] }

export class ConsoleAudit {
  readonly #db: Db
  readonly #store: ConsoleStore
  readonly #clock: Clock
  constructor(deps: { db: Db; store: ConsoleStore; clock: Clock }) {
    this.#db = deps.db
    this.#store = deps.store
    this.#clock = deps.clock
  }

  /** Resolves once the action is durable. */
  record(who: Actor, action: ConsoleAction, outcome: 'ok' | 'refused', target?: string, detail?: string): Promise<void> {
    const at = this.#clock.now()
    return this.#db.write(() => this.#store.insertAction({ at, keyName: who.keyName, agencies: who.agencies, action, target, outcome, detail: detail?.slice(0, 500) }))
  }

  /** Actions of keys sharing an agency with the caller, newest first. */
  list(agencies: readonly string[], limit: number, offset: number): ConsoleActionRow[] {
    return this.#store.actions(agencies, limit, offset)
  }
}
