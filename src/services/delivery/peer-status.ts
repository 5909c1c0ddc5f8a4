// What an operator sees of the peers (GET /api/v1/peers; PROTOCOL.md §7.2 "Patience"): per peer origin
// the circuit (up, down, probing; since when; the next probe; the last peer-level error) and how many
// letters of the caller's agencies wait for it. Listed: peers the caller's agencies have letters
// queued or in flight for, and peers whose circuit is not closed (node-level state, like
// GET /api/v1/node; the counts are always the caller's own).
import { isoTime } from '../../clock.js'
import type { Circuit } from '../../domain/circuit.js'
import type { OutboxStore } from '../../storage/outbox.js'

export interface PeerStatusDeps {
  readonly outbox: OutboxStore
  /** The delivery worker's view: circuits and the origin of an agency. */
  readonly circuits: () => ReadonlyArray<{ readonly origin: string; readonly circuit: Circuit }>
  readonly peerOf: (agency: string) => string
}

export interface PeerStatus {
  readonly origin: string
  readonly state: 'up' | 'down' | 'probing'
  readonly since?: string
  readonly nextProbeAt?: string
  readonly failures: number
  readonly lastError?: { readonly code: string; readonly detail: string; readonly at: string }
  /** Letters (recipients) of the caller's agencies queued or in flight to this peer, by recipient agency. */
  readonly pending: Readonly<Record<string, number>>
}

const SHOWN = { closed: 'up', open: 'down', probing: 'probing' } as const

export function peerStatus(deps: PeerStatusDeps, agencies: readonly string[]): PeerStatus[] {
  const byOrigin = new Map<string, Record<string, number>>()
  for (const [agency, n] of deps.outbox.pendingByRecipient(agencies)) {
    const origin = deps.peerOf(agency)
    const m = byOrigin.get(origin) ?? {}
    m[agency] = n
    byOrigin.set(origin, m)
  }
  const circuits = new Map(deps.circuits().map((c) => [c.origin, c.circuit]))
  const origins = new Set([...byOrigin.keys(), ...[...circuits].filter(([, c]) => c.state !== 'closed').map(([o]) => o)])
  return [...origins].sort().map((origin) => {
    const c = circuits.get(origin)
    return {
      origin,
      state: SHOWN[c?.state ?? 'closed'],
      ...(c && c.since > 0 ? { since: isoTime(c.since) } : {}),
      ...(c?.state === 'open' && c.nextProbeAt !== undefined ? { nextProbeAt: isoTime(c.nextProbeAt) } : {}),
      failures: c?.failures ?? 0,
      ...(c?.lastError ? { lastError: { code: c.lastError.code, detail: c.lastError.detail.slice(0, 600), at: isoTime(c.lastError.at) } } : {}),
      pending: byOrigin.get(origin) ?? {},
    }
  })
}
