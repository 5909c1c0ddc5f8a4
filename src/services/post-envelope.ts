// Posting one stored envelope to its peer (PROTOCOL.md §4.1), whole or, when the peer already holds
// its shared bytes, by reference (§17.8). The receipt binds the same envelope bytes either way.
import { problemOf, type PeerClient, type PeerResponse } from '../federation/peer-client.js'
import type { Routing } from '../crypto/profiles.js'
import { MIN_SHARED_BYTES, type EnvelopePieces, type SharedRefs } from './shared-refs.js'

const UNKNOWN = 'ERR_SHARED_CONTENT_UNKNOWN'

export async function postEnvelope(
  deps: { peers: PeerClient; refs: SharedRefs },
  to: { endpoint: string; path: string; mediaType: string; routing: Routing },
  pieces: EnvelopePieces,
): Promise<PeerResponse> {
  const { peers, refs } = deps
  const whole = () => peers.post(to.endpoint, to.path, to.mediaType, [pieces.head, pieces.shared, pieces.tail], to.routing)
  // Nothing shared: one recipient's envelope (no shared bytes), small shared bytes, or a whole
  // envelope stored as a content row (a per-recipient circular sealed in batches: empty head and
  // tail, migration 015).
  const own = pieces.head.length === 0 && pieces.tail.length === 0
  if (own || pieces.shared.length < MIN_SHARED_BYTES) return whole()
  const origin = new URL(to.endpoint).origin
  const sha256 = refs.sha256Of(pieces.shared)
  const learn = (res: PeerResponse): PeerResponse => {
    if ((res.status === 200 || res.status === 201) && res.sharesContent) refs.learn(origin, sha256)
    return res
  }
  const byReference = async (): Promise<PeerResponse> => {
    const ref = { sha256, offset: pieces.head.length, length: pieces.shared.length }
    const res = await peers.post(to.endpoint, to.path, to.mediaType, [pieces.head, pieces.tail], to.routing, ref)
    if (res.status !== 412 || problemOf(res)?.code !== UNKNOWN) return learn(res)
    refs.forget(origin, sha256) // the peer no longer holds it (§17.8): this part goes whole
    return learn(await whole())
  }
  if (refs.holds(origin, sha256)) return byReference()
  // Parts that come while the first whole part to this peer is in flight wait for its answer; after
  // a first part that failed, they go whole at once rather than one after another.
  const pending = refs.pending(origin, sha256)
  if (pending !== undefined) {
    await pending
    return refs.holds(origin, sha256) ? byReference() : learn(await whole())
  }
  const done = refs.begin(origin, sha256)
  try {
    return learn(await whole())
  } finally {
    done()
  }
}
