// Validation for Fastify routes with THE Ajv instance:
//   app.setValidatorCompiler(({ schema, httpPart }) => compileForFastify(schema, httpPart))
// Route schemas reference our files by id: { body: schemaRef('apiLetterCreate'), querystring: schemaRef('apiListQuery') }
// or inline schemas written in our own source. Failures come out as SarabanError listing every
// problem, so the one error handler (house style §4) renders them like any other error.
import type { AnySchemaObject } from 'ajv'
import { wholeSchemaRef } from './ids.js'
import { toFieldProblems } from './messages.js'
import { invalid, type SchemaRegistry } from './registry.js'
import { semanticProblems } from './semantic.js'

/** What Fastify accepts from a validator: `{ value }` replaces the request part, `{ error }` fails it. */
export type RouteValidator = (data: unknown) => { value: unknown } | { error: Error }

const PART_NAMES: Record<string, string> = {
  body: 'the request body is not valid',
  querystring: 'the query string is not valid',
  params: 'the path parameters are not valid',
  headers: 'the request headers are not valid',
}

// Query strings, path parameters and headers arrive as strings. The one Ajv instance never coerces
// (coerceTypes: false), so top-level properties declared integer/number/boolean in those parts are
// converted here, and only when the whole string is a canonical literal; anything else stays a string
// and fails validation with "must be an integer".
function coerceScalar(type: unknown, v: unknown): unknown {
  if (typeof v !== 'string') return v
  if (type === 'integer' && /^-?(?:0|[1-9][0-9]*)$/.test(v)) return Number.isSafeInteger(Number(v)) ? Number(v) : v
  if (type === 'number' && /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/.test(v)) return Number(v)
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true'
  return v
}

function propertyTypes(registry: SchemaRegistry, schema: AnySchemaObject): Map<string, unknown> {
  const target = typeof schema.$ref === 'string' ? registry.resolveRef(schema.$ref) ?? schema : schema
  const types = new Map<string, unknown>()
  const props = (target.properties ?? {}) as Record<string, AnySchemaObject>
  for (const [name, prop] of Object.entries(props)) {
    const resolved = typeof prop.$ref === 'string' ? registry.resolveRef(prop.$ref) ?? prop : prop
    if (resolved.type !== undefined) types.set(name, resolved.type)
  }
  return types
}

/**
 * A Fastify validator for one route schema part. httpPart is Fastify's ('body', 'querystring',
 * 'params', 'headers'); pass it, or scalars in the query string are not converted. Body problems
 * that all lie inside /letter are ERR_LETTER_INVALID (422), every other problem ERR_REQUEST_INVALID (400).
 */
export function routeValidator(registry: SchemaRegistry, schema: unknown, httpPart = 'body'): RouteValidator {
  const s = schema as AnySchemaObject
  const fn = registry.compileRouteSchema(s)
  const whole = Object.keys(s).length === 1 ? wholeSchemaRef(s.$ref) : undefined
  const coerce = httpPart === 'body' ? undefined : propertyTypes(registry, s)
  return (data) => {
    if (coerce !== undefined && data !== null && typeof data === 'object') {
      const rec = data as Record<string, unknown>
      for (const [name, type] of coerce) if (name in rec) rec[name] = coerceScalar(type, rec[name])
    }
    let errors = fn(data) ? [] : toFieldProblems(fn.errors)
    if (errors.length === 0 && whole !== undefined) errors = semanticProblems(whole, data)
    if (errors.length === 0) return { value: data }
    const letterOnly = httpPart === 'body' && errors.every((e) => e.field === '/letter' || e.field.startsWith('/letter/'))
    return { error: invalid(letterOnly ? 'ERR_LETTER_INVALID' : 'ERR_REQUEST_INVALID', errors, PART_NAMES[httpPart]) }
  }
}
