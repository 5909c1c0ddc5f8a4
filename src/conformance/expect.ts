// How a case says what it saw: a failure with what was expected and what came, or a skip with why.
import type { Answer } from './session.js'

export class CaseFailure extends Error {
  constructor(message: string, readonly diag: Record<string, unknown> = {}) {
    super(message)
  }
}

export class CaseSkip extends Error {}

export function skip(reason: string): never {
  throw new CaseSkip(reason)
}

function problemOf(a: Answer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(a.body.toString('utf8')) as unknown
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function seen(a: Answer) {
  const p = problemOf(a)
  return { status: a.status, contentType: a.contentType, ...(p ? { code: p['code'], detail: p['detail'], field: p['field'] } : { body: a.body.subarray(0, 200).toString('latin1') }) }
}

/** A refusal as PROTOCOL.md §9 says: this status, problem+json (RFC 9457), this stable code. */
export function expectProblem(a: Answer, status: number, code: string): void {
  const p = problemOf(a)
  const want = { status, contentType: 'application/problem+json', code }
  if (a.status !== status || !/^application\/problem\+json\b/i.test(a.contentType) || p?.['code'] !== code) {
    throw new CaseFailure(`expected ${status} ${code}`, { expected: want, got: seen(a) })
  }
}

export function expectStatus(a: Answer, status: number, what: string): void {
  if (a.status !== status) throw new CaseFailure(`expected ${status} (${what})`, { expected: { status }, got: seen(a) })
}

export function check(ok: boolean, message: string, diag: Record<string, unknown> = {}): void {
  if (!ok) throw new CaseFailure(message, diag)
}
