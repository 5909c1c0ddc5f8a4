// Error answers of the description (issue 20 §2): the codes an operation can return, grouped by HTTP
// status, each status one application/problem+json response whose examples are the codes themselves.
// Statuses and titles come from src/errors.ts, so the description cannot drift from what is sent.
import { ERRORS, type ErrorCode } from '../../errors.js'
import { PROBLEM_TYPE_BASE } from '../../http/problem.js'

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** The codes every answer of the API can carry, whatever the operation (src/http/problem.ts). */
export const ALWAYS: readonly ErrorCode[] = ['ERR_INTERNAL']

export interface ProblemResponse {
  description: string
  content: Record<string, { schema: { $ref: string }; examples: Record<string, { summary: string; value: Record<string, unknown> }> }>
}

/** `{ "404": {…}, "409": {…} }` for `codes`, each response referring to the Problem schema. */
export function problemResponses(codes: readonly ErrorCode[], problemRef: string): Record<string, ProblemResponse> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of new Set(codes)) {
    const status = ERRORS[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const out: Record<string, ProblemResponse> = {}
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = byStatus.get(status)!.sort()
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERRORS[c].title}.`).join(' '),
      content: {
        [PROBLEM_MEDIA_TYPE]: {
          schema: { $ref: problemRef },
          examples: Object.fromEntries(list.map((code) => [code, {
            summary: ERRORS[code].title,
            value: { type: PROBLEM_TYPE_BASE + code, title: ERRORS[code].title, status, code },
          }])),
        },
      },
    }
  }
  return out
}

/** The codes a problem response of the description lists (its examples), for the response checker. */
export function listedCodes(response: unknown): string[] {
  const c = (response as ProblemResponse | undefined)?.content?.[PROBLEM_MEDIA_TYPE]
  return c ? Object.keys(c.examples) : []
}
