// Environment overrides, parsed apart from the file (house style §7). Each variable maps onto one
// config key; its value goes into the raw config before schema validation, so the schema's rules
// (port range, host syntax, log levels) apply to it, and a problem there is reported under the
// variable's name instead of the key's JSON Pointer.
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { FieldProblem } from '../errors.js'

interface Override {
  readonly name: string
  readonly pointer: readonly string[]
  readonly parse: (value: string, cwd: string) => unknown
}

/** A canonical decimal integer becomes a number; anything else stays a string and fails the schema. */
const integer = (v: string): unknown => (/^(?:0|[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v)
const text = (v: string): unknown => v

export const ENV_OVERRIDES: readonly Override[] = [
  { name: 'SARABAN_DATA_DIR', pointer: ['dataDir'], parse: (v, cwd) => resolve(cwd, v) }, // relative to cwd, not the file
  { name: 'SARABAN_API_HOST', pointer: ['api', 'host'], parse: text },
  { name: 'SARABAN_API_PORT', pointer: ['api', 'port'], parse: integer },
  { name: 'SARABAN_FEDERATION_HOST', pointer: ['federation', 'host'], parse: text },
  { name: 'SARABAN_FEDERATION_PORT', pointer: ['federation', 'port'], parse: integer },
  { name: 'SARABAN_POSTGRESQL_URL', pointer: ['storage', 'postgresql', 'url'], parse: text },
  { name: 'LOG_LEVEL', pointer: ['log', 'level'], parse: (v) => v.toLowerCase() }, // LOG_LEVEL=INFO is common
]

export const API_KEY_ENV = 'SARABAN_API_KEY'

/** An empty variable counts as unset (VAR= in compose files and shells). */
function present(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]
  return v === undefined || v === '' ? undefined : v
}

/**
 * Writes every set override into `raw` (creating objects on the way when absent; a non-object in the
 * way is left for the schema to report) and returns JSON Pointer → variable name for error mapping.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, cwd: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const o of ENV_OVERRIDES) {
    const value = present(env, o.name)
    if (value === undefined) continue
    let target: Record<string, unknown> = raw
    let blocked = false
    for (const key of o.pointer.slice(0, -1)) {
      if (target[key] === undefined) target[key] = {}
      const next = target[key]
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        blocked = true
        break
      }
      target = next as Record<string, unknown>
    }
    if (blocked) continue
    target[o.pointer.at(-1)!] = o.parse(value, cwd)
    names.set('/' + o.pointer.join('/'), o.name)
  }
  return names
}

// RFC 6750 §2.1 b64token, so the key can travel in "Authorization: Bearer <key>".
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** SARABAN_API_KEY, hashed at once: the plaintext is never kept (nor echoed in errors). */
export function envApiKey(env: NodeJS.ProcessEnv): { sha256?: string; problems: FieldProblem[] } {
  const key = present(env, API_KEY_ENV)
  if (key === undefined) return { problems: [] }
  if (key.length < 8 || key.length > 512 || !B64TOKEN.test(key)) {
    return { problems: [{ field: API_KEY_ENV, message: 'must be 8-512 characters of A-Z a-z 0-9 - . _ ~ + / (an RFC 6750 bearer token)' }] }
  }
  return { sha256: createHash('sha256').update(key, 'utf8').digest('hex'), problems: [] }
}

/** Problems at an overridden key are reported under the variable's name. */
export function renameEnvFields(problems: readonly FieldProblem[], names: ReadonlyMap<string, string>): FieldProblem[] {
  return problems.map((p) => {
    const name = names.get(p.field)
    return name === undefined ? p : { field: name, message: p.message }
  })
}
