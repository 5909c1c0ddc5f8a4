// key.in-use (PROTOCOL.md §20.3): the certificates a hosted agency signs and decrypts with, logged the
// first time the node sees each in use. The signing key is chosen at each use (rollover, §16.4), so
// the node looks at boot, when agencies change, and every `everyMs`.
import { fingerprint } from '../../pki/cert.js'
import type { Db } from '../../storage/db.js'
import type { LogStore } from '../../storage/log.js'
import type { HostedAgencies } from '../hosting/agencies.js'

/** Returns how many keys were seen in use for the first time. */
export async function recordKeysInUse(db: Db, store: LogStore, hosted: HostedAgencies, now: number): Promise<number> {
  const seen: Array<[string, 'signing' | 'encryption', string]> = []
  for (const id of hosted.ids()) {
    const a = hosted.get(id)
    if (!a) continue
    try {
      seen.push([id, 'signing', fingerprint(a.signer.chain[0]!)])
    } catch {
      /* no signing key usable now: nothing is signed with one, so nothing to log */
    }
    for (const d of a.decryption) seen.push([id, 'encryption', fingerprint(d.cert)])
  }
  return db.write(() => seen.filter(([a, role, sha]) => store.recordKeyInUse(a, role, sha, now)).length)
}
