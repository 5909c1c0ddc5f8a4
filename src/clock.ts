// The one source of time, overridable by tests through the composition root.
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
