// The one source of time, overridable by tests through the composition root.
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** The last time formatted: an entry of the transparency log formats the same instant two or three
 *  times (its `at`, a receipt's receivedAt), and toISOString costs a few µs (issue 14 §6). */
let lastMs = Number.NaN
let lastIso = ''

/** RFC 3339 UTC with milliseconds (Date#toISOString); throws RangeError for an invalid time, as it does. */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso
  const iso = new Date(ms).toISOString()
  lastMs = ms
  lastIso = iso
  return iso
}
