// What the classified services need (PROTOCOL.md §19): the store, the access record, and the same
// sealing and delivery parts as letters and notices.
import type { ClassifiedStore } from '../../storage/classified.js'
import type { SealingDeps } from '../sealing-deps.js'
import type { AccessRecord } from './access-record.js'
import type { ReceivedLog } from '../evidence/received-log.js'

export interface ClassifiedDeps extends SealingDeps {
  readonly store: ClassifiedStore
  readonly access: AccessRecord
  readonly requireFreshDirectory?: () => void
  /** Largest inner envelope accepted (bytes). */
  readonly maxInnerBytes: number
  /** The signed directory in force, for evidence (PROTOCOL.md §19.10). */
  readonly directoryJws: () => string
  /** The recipient's inclusion proof of each message's receipt, for evidence (PROTOCOL.md §20.7). */
  readonly receivedLog?: ReceivedLog | undefined
}

/** Who is asking, through the API (PROTOCOL.md §19.7: the access record names the key and the client). */
export interface ClassifiedCaller {
  readonly keyName: string
  readonly agencies: readonly string[]
  readonly scopes: ReadonlySet<string>
  readonly client: string
}
