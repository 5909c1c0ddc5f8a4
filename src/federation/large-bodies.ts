// PROTOCOL.md §4.4: a receiver bounds the large envelopes it reads at once, per peer and overall, so
// that a few parallel large bodies cannot drive its memory (issue 13 §2: six 150 MB envelopes from one
// peer took a node from 315 MB to 2 GB). A request past the bound is refused before its body is read,
// with 503 ERR_BUSY and Retry-After (a peer retries 5xx, §7.2), and its connection is closed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SarabanError } from '../errors.js'
import type { LargeBodyLimits } from '../config/types.js'

/** Counts of large bodies in flight, by peer key and in total. */
export class LargeBodyGate {
  readonly #byPeer = new Map<string, number>()
  #total = 0

  constructor(private readonly limits: LargeBodyLimits) {}

  /** True when a large body of `length` bytes (undefined: unknown, chunked) counts against the bound. */
  isLarge(length: number | undefined): boolean {
    return length === undefined || length > this.limits.thresholdBytes
  }

  /** Takes a slot for `peer`, or answers why not; the returned release is idempotent. */
  take(peer: string): (() => void) | 'peer' | 'total' {
    const mine = this.#byPeer.get(peer) ?? 0
    if (mine >= this.limits.perPeer) return 'peer'
    if (this.#total >= this.limits.total) return 'total'
    this.#byPeer.set(peer, mine + 1)
    this.#total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#total--
      const n = (this.#byPeer.get(peer) ?? 1) - 1
      if (n === 0) this.#byPeer.delete(peer)
      else this.#byPeer.set(peer, n)
    }
  }

  get inFlight(): number {
    return this.#total
  }
}

function declaredLength(request: FastifyRequest): number | undefined | 'none' {
  const cl = request.headers['content-length']
  if (cl !== undefined) {
    const n = Number(cl)
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined
  }
  return request.headers['transfer-encoding'] !== undefined ? undefined : 'none'
}

/** An onRequest hook, added after the peer is identified (src/federation/mtls.ts). */
export function largeBodyHook(gate: LargeBodyGate, limits: LargeBodyLimits) {
  return async function largeBodies(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const length = declaredLength(request)
    if (length === 'none' || !gate.isLarge(length)) return
    const slot = gate.take(`${request.peer.kind}:${request.peer.id}`)
    if (typeof slot === 'function') {
      reply.raw.once('close', slot) // answered, failed or cut: the body is no longer held
      return
    }
    reply.header('retry-after', String(limits.retryAfterSeconds)).header('connection', 'close')
    const whose = slot === 'peer' ? 'from you' : 'from all peers'
    throw new SarabanError('ERR_BUSY', `This node is receiving as many large envelopes ${whose} as it allows at once; retry after ${limits.retryAfterSeconds} s.`, { field: 'Content-Length' })
  }
}

export function registerLargeBodyGate(app: FastifyInstance<any, any, any, any>, limits: LargeBodyLimits): LargeBodyGate {
  const gate = new LargeBodyGate(limits)
  app.addHook('onRequest', largeBodyHook(gate, limits))
  return gate
}
