// State gauges of GET /metrics (issue 17 item 1), computed at each scrape from the node's services:
// queues per peer, directory and CRL freshness, the time-stamping backlog, webhooks and event streams,
// and the certificates' time to expiry. A source that cannot be read leaves its gauges empty.
import type { SourceStatus } from '../sources/signed-source.js'
import type { TimestampingStatus } from '../timestamping.js'
import type { NotificationsStatus } from '../health.js'
import type { PeerQueue } from '../../storage/metrics.js'
import type { Families } from './families.js'
import type { CertificateInUse } from './certificates.js'

const FRESHNESS = ['fresh', 'grace', 'stale'] as const

export interface StateSources {
  readonly now: () => number
  readonly queues: () => readonly PeerQueue[]
  /** The held directory: when it was issued, and the source's state. */
  readonly directory: () => { readonly issuedAt: string; readonly status?: SourceStatus | undefined }
  readonly crls: () => readonly SourceStatus[]
  readonly timestamping: () => TimestampingStatus
  readonly notifications: () => NotificationsStatus
  readonly certificates: () => readonly CertificateInUse[]
}

const seconds = (ms: number) => ms / 1000

/** Sets every state gauge from scratch (a peer whose queue emptied disappears rather than stays stale). */
export function collectState(m: Families, s: StateSources, onError: (area: string, err: unknown) => void): void {
  const now = s.now()
  const guard = (area: string, fn: () => void) => {
    try {
      fn()
    } catch (err) {
      onError(area, err)
    }
  }
  guard('queues', () => {
    const rows = s.queues()
    m.queueDepth.reset()
    m.queueOldest.reset()
    for (const q of rows) {
      m.queueDepth.set({ peer: q.peer }, q.depth)
      m.queueOldest.set({ peer: q.peer }, Math.max(0, seconds(now - q.oldestAt)))
    }
  })
  guard('directory', () => {
    const d = s.directory()
    m.directoryAge.set(Math.max(0, seconds(now - Date.parse(d.issuedAt))))
    m.directoryState.reset()
    if (d.status) {
      m.directoryNextUpdate.set(seconds(Date.parse(d.status.nextUpdate) - now))
      for (const state of FRESHNESS) m.directoryState.set({ state }, d.status.state === state ? 1 : 0)
    }
  })
  guard('crls', () => {
    const sources = s.crls()
    m.crlAge.reset()
    m.crlNextUpdate.reset()
    m.crlState.reset()
    for (const c of sources) {
      const source = c.location
      if (c.lastSuccessAt) m.crlAge.set({ source }, Math.max(0, seconds(now - Date.parse(c.lastSuccessAt))))
      m.crlNextUpdate.set({ source }, seconds(Date.parse(c.nextUpdate) - now))
      for (const state of FRESHNESS) m.crlState.set({ source, state }, c.state === state ? 1 : 0)
    }
  })
  guard('timestamping', () => {
    const t = s.timestamping()
    m.tsaPending.set(t.pending)
    m.tsaOldest.set(t.oldestPendingSeconds)
    m.tsaUp.set(t.state === 'retrying' ? 0 : 1)
  })
  guard('notifications', () => {
    const n = s.notifications()
    m.sseClients.set(n.streams)
    m.webhookFailing.set(n.failingEndpoints.length)
    for (const [state, count] of Object.entries(n.webhooks)) m.webhooks.set({ state }, count)
  })
  guard('certificates', () => {
    const certs = s.certificates()
    m.certExpiry.reset()
    // One value per role and agency: the certificate that expires first (the one that stops things).
    const first = new Map<string, CertificateInUse>()
    for (const c of certs) {
      const key = `${c.role}\u0000${c.agency}`
      const held = first.get(key)
      if (!held || c.notAfter < held.notAfter) first.set(key, c)
    }
    for (const c of first.values()) m.certExpiry.set({ role: c.role, agency: c.agency }, seconds(c.notAfter - now))
  })
}
