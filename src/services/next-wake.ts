// When a background job looks at its queue next (issue 19 §6): the time its store gives, or, when the
// store cannot be read (PostgreSQL out of reach past its reconnection window), `retryAt`, so that the
// job's timer is armed again instead of the failure ending the process from inside a timer.
export function nextWake(read: () => number | undefined, retryAt: number, failed?: (err: unknown) => void): number | undefined {
  try {
    return read()
  } catch (err) {
    failed?.(err)
    return retryAt
  }
}
