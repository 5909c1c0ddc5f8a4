// What the fuzzer holds every input to (issue 13 §4): no 5xx, no crash, no hang, no unbounded
// memory, no stored row for a refused input, no change to a signed or encrypted field accepted, and
// every refusal a problem+json with a stable code. A target reports an Outcome per input; the
// engine turns its `violations` into failures, except those KNOWN_OPEN names.

/** One input and what came of it. */
export interface Outcome {
  readonly target: string
  /** what the input was, e.g. "jose-v1 letter ek.char" or "GET /api/v1/letters/:id" */
  readonly input: string
  /** the answer's status ("201", "400") or, for parsers, "ok" / the error class */
  readonly status: string
  readonly code?: string | undefined
  /** broken oracle rules, as short stable names with details after a colon */
  readonly violations: string[]
  /** enough to replay the input by hand */
  readonly repro: unknown
}

/**
 * Defect classes kept out of the failing oracle while their fixes are under way (they still count
 * and print as "known"). Empty: the issue 13 §2 fixes (bad x5c key, 415, problem+json framework
 * answers, BER element budget) have landed, so any of them coming back fails the run.
 */
export const KNOWN_OPEN: ReadonlyArray<{ readonly id: string; readonly matches: (o: Outcome, violation: string) => boolean }> = []

/** The KNOWN_OPEN id a violation falls under, or undefined when it is a new defect. */
export function knownOpen(o: Outcome, violation: string): string | undefined {
  return KNOWN_OPEN.find((k) => k.matches(o, violation))?.id
}

/** The checks every HTTP answer gets: status class, problem+json on refusals. */
export function httpViolations(status: number, contentType: string, body: Buffer): string[] {
  const out: string[] = []
  if (status >= 500) out.push(`5xx: ${status} ${body.toString('utf8', 0, 200)}`)
  if (status >= 400) {
    let code: unknown
    try { code = (JSON.parse(body.toString('utf8')) as { code?: unknown }).code } catch { /* not JSON */ }
    if (!contentType.startsWith('application/problem+json') || typeof code !== 'string' || !code.startsWith('ERR_')) {
      out.push(`not-problem-json: ${status} ${contentType} ${body.toString('utf8', 0, 120)}`)
    }
  }
  return out
}

export function codeOf(body: Buffer): string | undefined {
  try {
    const c = (JSON.parse(body.toString('utf8')) as { code?: unknown }).code
    return typeof c === 'string' ? c : undefined
  } catch {
    return undefined
  }
}
