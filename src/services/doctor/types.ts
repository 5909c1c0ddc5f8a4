// What `saraban-node doctor` reports (issue 17 item 7): per check, findings that are ok, a warning
// or a failure, each a sentence saying what was found and one saying how to fix it.
import type { Config } from '../../config/index.js'

export type Level = 'ok' | 'warn' | 'fail'

export interface Finding {
  readonly level: Level
  /** What was found: names the file, config key (JSON pointer) or port. */
  readonly message: string
  /** One sentence: what to do (absent when ok). */
  readonly fix?: string
}

export interface DoctorInput {
  readonly config: Config
  /** Now, for certificate validity and clock comparison. */
  readonly now: () => Date
}

export type Check = (input: DoctorInput) => Promise<Finding[]> | Finding[]

export interface CheckResult {
  readonly name: string
  readonly level: Level
  readonly findings: readonly Finding[]
}

export interface DoctorReport {
  readonly config: string
  readonly level: Level
  readonly checks: readonly CheckResult[]
}

export const ok = (message: string): Finding => ({ level: 'ok', message })
export const warn = (message: string, fix: string): Finding => ({ level: 'warn', message, fix })
export const fail = (message: string, fix: string): Finding => ({ level: 'fail', message, fix })

const RANK: Record<Level, number> = { ok: 0, warn: 1, fail: 2 }
export const worst = (levels: readonly Level[]): Level => levels.reduce<Level>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok')
