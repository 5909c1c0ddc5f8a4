// The circuits of this node's peers (PROTOCOL.md §7.2 "Patience"), in memory: one per delivery
// origin, so the agencies a hosting node serves share one. The rules are the pure functions of
// domain/circuit.ts; this holds their state, the endpoint to probe, and what operators are shown.
// A restart forgets every circuit: the first attempts after it find out again (bounded by
// delivery.concurrencyPerPeer), which costs at most that many requests per peer.
import {
  CLOSED, admission, onPeerAnswer, onPeerFailure, onProbeStart, type Circuit, type ProbeSettings,
} from '../../domain/circuit.js'

export interface PeerCircuitView {
  readonly origin: string
  readonly circuit: Circuit
}

export class PeerCircuits {
  readonly #m = new Map<string, { circuit: Circuit; endpoint: string }>()
  readonly #s: ProbeSettings
  readonly #random: () => number

  constructor(settings: ProbeSettings, random: () => number = Math.random) {
    this.#s = settings
    this.#random = random
  }

  get(origin: string): Circuit {
    return this.#m.get(origin)?.circuit ?? CLOSED
  }

  /** 'send', 'probe' (the caller must call probeStarted and probe), or 'wait'. */
  admission(origin: string, now: number): 'send' | 'probe' | 'wait' {
    return admission(this.get(origin), now)
  }

  /** A peer-level failure (refused, reset, timeout, TLS, 429/502/503/504) of a request started at `startedAt`. */
  failed(origin: string, endpoint: string, f: { startedAt: number; now: number; code: string; detail: string; retryAfterMs?: number | undefined }): Circuit {
    const circuit = onPeerFailure(this.get(origin), f, this.#s, this.#random)
    this.#m.set(origin, { circuit, endpoint })
    return circuit
  }

  /** The peer answered (a probe, or any answer to a message that is not a peer-level failure). */
  answered(origin: string, now: number, kind: 'probe' | 'message'): Circuit {
    const entry = this.#m.get(origin)
    if (!entry) return CLOSED
    const circuit = onPeerAnswer(entry.circuit, now, kind)
    // A peer back to normal is forgotten: the map holds only peers with something to show.
    if (circuit.state === 'closed' && circuit.failures === 0) this.#m.delete(origin)
    else this.#m.set(origin, { ...entry, circuit })
    return circuit
  }

  /** The probe is on its way: the endpoint to send it to. */
  probeStarted(origin: string, now: number): string | undefined {
    const entry = this.#m.get(origin)
    if (!entry) return undefined
    this.#m.set(origin, { ...entry, circuit: onProbeStart(entry.circuit, now) })
    return entry.endpoint
  }

  /** The earliest time a probe falls due (undefined: no circuit is open). */
  nextProbeAt(): number | undefined {
    let next: number | undefined
    for (const { circuit } of this.#m.values()) {
      if (circuit.state === 'open' && circuit.nextProbeAt !== undefined && (next === undefined || circuit.nextProbeAt < next)) next = circuit.nextProbeAt
    }
    return next
  }

  /** Every peer with a circuit that is open, being probed, or closed after failures not yet cleared by a delivery. */
  list(): PeerCircuitView[] {
    return [...this.#m].map(([origin, { circuit }]) => ({ origin, circuit }))
  }
}
