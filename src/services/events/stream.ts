// Server-sent events (WHATWG HTML §9.2 "Server-sent events") for GET /api/v1/events (issue 5 §6).
// Every stream reads the events table from its own cursor: replay (Last-Event-ID) and live delivery are
// the same loop, so the switch between them can neither skip nor repeat an event. A stream writes only
// while its socket accepts data: a slow client costs at most one batch above the socket's high-water
// mark, and one that does not drain within slowClientMs is dropped (it resumes with Last-Event-ID).
import type { ServerResponse } from 'node:http'
import type { Logger } from '../../log.js'
import type { EventStore } from '../../storage/events.js'
import { eventJson } from './view.js'
import { closedFrame, seeNow, type StreamAccess } from './stream-access.js'

export interface StreamSettings {
  /** A comment line this often keeps proxies and the client's reconnect logic quiet. */
  readonly heartbeatMs: number
  /** A client whose socket does not drain within this long is disconnected. */
  readonly slowClientMs: number
  /** Events read from the table per step. */
  readonly batch: number
  /** Open streams at most (over all keys). */
  readonly maxStreams: number
  /** Open streams at most that see one agency (issue 13 §2: one agency of a hosting node must not
   *  take every stream); a stream counts for each agency it sends. Absent: only maxStreams. */
  readonly maxStreamsPerAgency?: number
  /** The reconnection time announced to clients (SSE `retry:`). */
  readonly retryMs: number
}

export interface StreamFilter {
  readonly agencies: readonly string[]
  readonly types?: readonly string[] | undefined
  /** Events with a greater id are sent. */
  readonly afterId: number
  /** What the stream may see now, asked again by reauthorize() (stream-access.ts); absent: fixed. */
  readonly access?: (() => StreamAccess) | undefined
}

interface Subscriber {
  readonly res: ServerResponse
  readonly filter: StreamFilter
  /** The agencies sent: filter.agencies, then what the last reauthorize() allowed. */
  agencies: readonly string[]
  /** Agencies added at run time → their events up to this id are not sent (stream-access.ts). */
  readonly since: Map<string, number>
  cursor: number
  /** waiting for 'drain' */
  blocked: boolean
  pumping: boolean
  slowTimer?: NodeJS.Timeout | undefined
}

export interface StreamDeps {
  readonly store: EventStore
  readonly log: Logger
  readonly settings: StreamSettings
}

/** The control event a stream sends when it cannot continue exactly where the client left off. */
export const TRUNCATED = 'stream.truncated'

/** Where a stream resumed after `afterId` really continues, when that is not right after it. */
export function resumePoint(afterId: number, prunedThrough: number, lastIssued: number): { resumeAfter: number; reason: 'pruned' | 'unknown-id' } | undefined {
  if (afterId > lastIssued) return { resumeAfter: 0, reason: 'unknown-id' }
  if (afterId < prunedThrough) return { resumeAfter: prunedThrough, reason: 'pruned' }
  return undefined
}

/** SSE field values may not contain CR or LF; JSON text from JSON.stringify never does. */
function frame(id: number, type: string, data: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`
}

export class EventStreams {
  readonly #deps: StreamDeps
  readonly #subs = new Set<Subscriber>()
  #heartbeat: NodeJS.Timeout | undefined
  #closed = false

  constructor(deps: StreamDeps) {
    this.#deps = deps
  }

  get size(): number {
    return this.#subs.size
  }

  /** Bytes written to streams and not yet taken by their sockets (bounded: see the file comment). */
  buffered(): number {
    let n = 0
    for (const sub of this.#subs) n += sub.res.writableLength
    return n
  }

  /** False when maxStreams are open (the route answers 503). */
  hasRoom(): boolean {
    return !this.#closed && this.#subs.size < this.#deps.settings.maxStreams
  }

  /** Whether a stream for `agencies` may open: 'node' when the node is full (503), 'agency' when
   *  one of them already has maxStreamsPerAgency streams (429), true otherwise. */
  roomFor(agencies: readonly string[]): true | 'node' | { agency: string } {
    if (!this.hasRoom()) return 'node'
    const per = this.#deps.settings.maxStreamsPerAgency
    if (per === undefined) return true
    for (const agency of agencies) {
      let n = 0
      for (const sub of this.#subs) if (sub.agencies.includes(agency)) n++
      if (n >= per) return { agency }
    }
    return true
  }

  /** Takes over a response whose headers were not sent yet, and keeps it until the client leaves. */
  open(res: ServerResponse, filter: StreamFilter): void {
    const s = this.#deps.settings
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    })
    res.socket?.setNoDelay(true)
    res.socket?.setTimeout(0)
    const sub: Subscriber = { res, filter, agencies: filter.agencies, since: new Map(), cursor: filter.afterId, blocked: false, pumping: false }
    this.#subs.add(sub)
    res.on('close', () => this.#drop(sub))
    res.on('drain', () => {
      if (!sub.blocked) return
      sub.blocked = false
      clearTimeout(sub.slowTimer)
      sub.slowTimer = undefined
      this.#pump(sub)
    })
    let head = `retry: ${s.retryMs}\n\n`
    const gap = resumePoint(filter.afterId, this.#deps.store.prunedThrough(), this.#deps.store.lastIssuedId())
    if (gap) {
      // The client missed events (retention), or names an id this database never issued (restored or
      // replaced node): say so, so that the saraban system re-reads its lists, and move its Last-Event-ID.
      sub.cursor = gap.resumeAfter
      head += frame(gap.resumeAfter, TRUNCATED, JSON.stringify({ after: filter.afterId, ...gap }))
    }
    this.#write(sub, head)
    this.#startHeartbeat()
    this.#pump(sub)
  }

  /** After a commit that added events: every stream reads what is new for it. */
  wake(): void {
    for (const sub of this.#subs) this.#pump(sub)
  }

  /** The API keys' agencies changed (hosted-agency files reloaded): every stream with an `access`
   *  asks it again; one that may see nothing more is told why (stream.closed) and ended, one whose key
   *  gained agencies gets their events from now on (README "Notifications"). Returns how many ended. */
  reauthorize(): number {
    let ended = 0
    const lastIssued = this.#deps.store.lastIssuedId()
    for (const sub of [...this.#subs]) {
      if (!sub.filter.access) continue
      const access = sub.filter.access()
      if (!access.ok) {
        this.#deps.log.info({ event: 'events.stream-closed', reason: access.reason, agencies: sub.agencies }, 'event stream ended: its API key no longer sees its agencies')
        this.#drop(sub)
        sub.res.end(closedFrame(access))
        // A client that is not reading would hold the socket until it does: not past slowClientMs.
        if (sub.blocked) setTimeout(() => sub.res.destroy(), this.#deps.settings.slowClientMs).unref()
        ended++
        continue
      }
      sub.agencies = seeNow(sub.agencies, access.agencies, sub.since, lastIssued)
      this.#pump(sub)
    }
    return ended
  }

  /** Ends every stream (the node is closing); clients reconnect elsewhere or later with Last-Event-ID. */
  closeAll(): void {
    this.#closed = true
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    for (const sub of [...this.#subs]) {
      this.#drop(sub)
      sub.res.end()
    }
  }

  #pump(sub: Subscriber): void {
    if (sub.blocked || sub.pumping || !this.#subs.has(sub)) return
    sub.pumping = true
    try {
      for (;;) {
        const rows = this.#deps.store.after({ agencies: sub.agencies, types: sub.filter.types, afterId: sub.cursor, limit: this.#deps.settings.batch })
        if (rows.length === 0) return
        let text = ''
        for (const r of rows) if (r.id > (sub.since.get(r.agency) ?? 0)) text += frame(r.id, r.type, eventJson(r))
        sub.cursor = rows[rows.length - 1]!.id
        for (const [a, floor] of sub.since) if (sub.cursor >= floor) sub.since.delete(a)
        if (text !== '' && !this.#write(sub, text)) return
        if (rows.length < this.#deps.settings.batch) return
      }
    } catch (err) {
      this.#deps.log.error({ err }, 'event stream failed')
      this.#drop(sub)
      sub.res.destroy()
    } finally {
      sub.pumping = false
    }
  }

  /** Writes; false when the socket is full (the stream then waits for 'drain', or is dropped). */
  #write(sub: Subscriber, text: string): boolean {
    if (sub.res.destroyed || sub.res.writableEnded) return false
    if (sub.res.write(text)) return true
    sub.blocked = true
    sub.slowTimer ??= setTimeout(() => {
      this.#deps.log.warn({ event: 'events.stream-dropped', cursor: sub.cursor }, 'event stream client too slow: disconnected (it may resume with Last-Event-ID)')
      this.#drop(sub)
      sub.res.destroy()
    }, this.#deps.settings.slowClientMs)
    return false
  }

  #drop(sub: Subscriber): void {
    clearTimeout(sub.slowTimer)
    sub.slowTimer = undefined
    this.#subs.delete(sub)
    if (this.#subs.size === 0) {
      clearInterval(this.#heartbeat)
      this.#heartbeat = undefined
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return
    this.#heartbeat = setInterval(() => {
      for (const sub of this.#subs) if (!sub.blocked) this.#write(sub, ': keep-alive\n\n')
    }, this.#deps.settings.heartbeatMs)
    this.#heartbeat.unref()
  }
}
