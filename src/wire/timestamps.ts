// RFC 3161 time-stamps of signatures: queue, worker, status and tokensFor (PROTOCOL.md §13).
import type { ProfileTable } from '../crypto/profiles.js'
import type { TrustAnchors } from '../pki/validate.js'
import { Timestamping } from '../services/timestamping.js'
import { TimestampStore } from '../storage/timestamps.js'
import { WorkerPauseStore } from '../storage/worker-pauses.js'
import type { Db } from '../storage/db.js'
import { TsaClient } from '../tsa/client.js'
import type { Base } from './base.js'

export function wireTimestamps(
  { config, clock, log, random, closers }: Base,
  { db, anchors, profiles, owner }: { db: Db; anchors: TrustAnchors; profiles: ProfileTable; owner: string },
): Timestamping {
  const tsa = config.tsa
  const timestamps = new Timestamping({
    clock, log: log.child({ area: 'timestamping' }), db, store: new TimestampStore(db, owner), pauses: new WorkerPauseStore(db), anchors, profiles,
    client: tsa.url ? new TsaClient({ url: tsa.url, timeoutMs: tsa.timeoutMs, caFile: tsa.caFile }) : undefined,
    settings: tsa,
    ...(random ? { random } : {}),
  })
  closers.push(() => timestamps.stop())
  return timestamps
}
