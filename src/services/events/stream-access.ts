// What an open event stream may see when API keys change at run time (README "Notifications"): keys of
// hosted-agency files come and go with their files (PROTOCOL.md §16.3). After every reload each stream
// asks its key again (EventStreams.reauthorize): it keeps the agencies the key still covers, gains the
// ones it newly covers — their events from the reload on, never those committed before it — or, when
// the key is gone or covers none of what the stream asked for, is told why and ended.

/** Why a stream was ended: its key is no longer known (revoked, or its agency no longer hosted here),
 *  or it no longer acts for the agency the stream asked for (?agency=). */
export type StreamClosedReason = 'key-revoked' | 'agency-removed' | 'agency-not-covered'

export type StreamAccess =
  | { readonly ok: true; readonly agencies: readonly string[] }
  | {
    readonly ok: false
    readonly reason: StreamClosedReason
    /** What reconnecting with the same key and query would answer (README "API"). */
    readonly code: 'ERR_UNAUTHORIZED' | 'ERR_FORBIDDEN'
    readonly message: string
  }

/** The control event sent last on a stream that is ended by a reload. It has no `id:`, so the
 *  client's Last-Event-ID stays that of the last event it got (WHATWG HTML §9.2.6). */
export const CLOSED = 'stream.closed'

export function closedFrame(a: Extract<StreamAccess, { ok: false }>): string {
  return `event: ${CLOSED}\ndata: ${JSON.stringify({ reason: a.reason, code: a.code, message: a.message })}\n\n`
}

/** The agencies a stream sends after a reload: `now`. An agency it did not send before starts after
 *  `lastIssued` (recorded in `since`); one it no longer may see is dropped with its entry. */
export function seeNow(before: readonly string[], now: readonly string[], since: Map<string, number>, lastIssued: number): readonly string[] {
  const had = new Set(before)
  for (const a of now) if (!had.has(a)) since.set(a, lastIssued)
  const keep = new Set(now)
  for (const a of [...since.keys()]) if (!keep.has(a)) since.delete(a)
  return [...now]
}

/** The access of a stream opened with an API key, asked again at each reload. `current`: the key's
 *  agencies now (undefined: the key is no longer known); `requested`: ?agency=, when given;
 *  `opened`: the key's agencies when the stream opened; `hosted`: whether this node hosts an agency. */
export function keyAccess(current: () => readonly string[] | undefined, requested: string | undefined, opened: readonly string[], hosted: (agency: string) => boolean): () => StreamAccess {
  return () => {
    const now = current()
    if (now === undefined) {
      const gone = (requested !== undefined ? [requested] : opened).every((a) => !hosted(a))
      return gone
        ? { ok: false, reason: 'agency-removed', code: 'ERR_UNAUTHORIZED', message: 'The agency of this stream is no longer hosted on this node, and its API key with it.' }
        : { ok: false, reason: 'key-revoked', code: 'ERR_UNAUTHORIZED', message: 'The API key of this stream was revoked: reconnect with a key the node knows.' }
    }
    const agencies = requested === undefined ? now : now.filter((a) => a === requested)
    if (agencies.length === 0) {
      return { ok: false, reason: 'agency-not-covered', code: 'ERR_FORBIDDEN', message: requested !== undefined ? `This API key no longer acts for "${requested}".` : 'This API key no longer acts for any agency.' }
    }
    return { ok: true, agencies }
  }
}
