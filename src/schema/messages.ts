// Turns Ajv errors into FieldProblem[] (src/errors.ts): `field` is a JSON Pointer (RFC 6901) into the
// validated value ('' = the whole value) and `message` reads on its own, e.g.
// "must be one of NORMAL, URGENT, VERY_URGENT, MOST_URGENT". A failing `pattern` is explained by the
// `title` of the schema that holds it (schemas/protocol/common.json), never by the regex itself.
import type { ErrorObject } from 'ajv'
import type { FieldProblem } from '../errors.js'

/** RFC 6901 §3: '~' → '~0', '/' → '~1'. */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1')
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
}

const FORMAT_WORDS: Record<string, string> = {
  date: 'a valid calendar date (YYYY-MM-DD)',
  'date-time': 'a date-time with a time zone (RFC 3339, e.g. 2026-11-25T14:30:00+07:00)',
  email: 'an e-mail address',
  uri: 'an absolute URI',
  'uri-reference': 'a URI reference',
}

// Keywords whose failure is already explained by the errors of their subschemas.
const SILENT = new Set(['if', 'anyOf'])

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

function titleOf(parentSchema: unknown): string | undefined {
  if (parentSchema && typeof parentSchema === 'object' && 'title' in parentSchema) {
    const t = (parentSchema as { title?: unknown }).title
    if (typeof t === 'string') return t
  }
  return undefined
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type': {
      const types = String(p.type).split(',')
      return `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not an allowed property'
    case 'oneOf':
      return 'must match exactly one of the allowed shapes'
    case 'false schema':
      return 'is not allowed here'
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${plural(Number(p.limit), 'character', 'characters')} long`
    case 'maxLength':
      return `must be at most ${plural(Number(p.limit), 'character', 'characters')} long`
    case 'minItems':
      return p.limit === 1 ? 'must have at least one item' : `must have at least ${plural(Number(p.limit), 'item', 'items')}`
    case 'maxItems':
      return `must have at most ${plural(Number(p.limit), 'item', 'items')}`
    case 'uniqueItems':
      return `must not repeat an item (items ${String(p.j)} and ${String(p.i)} are the same)`
    case 'minimum':
      return `must be at least ${String(p.limit)}`
    case 'maximum':
      return `must be at most ${String(p.limit)}`
    case 'exclusiveMinimum':
      return `must be more than ${String(p.limit)}`
    case 'exclusiveMaximum':
      return `must be less than ${String(p.limit)}`
    case 'pattern': {
      const title = titleOf(e.parentSchema)
      return title === undefined ? `must match the pattern ${String(p.pattern)}` : `must be ${title}`
    }
    case 'format': {
      const title = titleOf(e.parentSchema)
      const words = FORMAT_WORDS[String(p.format)]
      return words !== undefined ? `must be ${words}` : title !== undefined ? `must be ${title}` : `must be a valid ${String(p.format)}`
    }
    default:
      return e.message ?? `fails the ${e.keyword} rule`
  }
}

function fieldOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  if (e.keyword === 'required') return `${e.instancePath}/${pointerSegment(String(p.missingProperty))}`
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${pointerSegment(String(p.additionalProperty))}`
  return e.instancePath
}

const STRING_RULES = new Set(['minLength', 'maxLength', 'pattern', 'format'])

/**
 * Of the string rules one definition breaks at one field, the one that says most: "must not be empty"
 * for an empty string, else the failed pattern (its title describes the whole definition, lengths
 * included), else every length/format problem. E.g. 'ABC' as a sha256 gives one message, not three.
 */
function redundant(e: ErrorObject, group: readonly ErrorObject[]): boolean {
  if (!STRING_RULES.has(e.keyword) || group.length < 2) return false
  const empty = group.find((g) => g.keyword === 'minLength' && (g.params as { limit?: number }).limit === 1)
  if (empty !== undefined) return e !== empty
  const pattern = group.find((g) => g.keyword === 'pattern' && titleOf(g.parentSchema) !== undefined)
  if (pattern !== undefined) return e !== pattern
  return false
}

/** Every problem, in schema order, once, as { field: JSON Pointer, message }. */
export function toFieldProblems(errors: readonly ErrorObject[] | null | undefined): FieldProblem[] {
  const list = (errors ?? []).filter(
    (e) =>
      !SILENT.has(e.keyword) &&
      // oneOf with no passing branch is explained by its branches; with several, it needs saying.
      !(e.keyword === 'oneOf' && (e.params as { passingSchemas?: unknown }).passingSchemas == null),
  )
  const groups = new Map<string, Map<unknown, ErrorObject[]>>()
  for (const e of list) {
    if (!STRING_RULES.has(e.keyword)) continue
    const byField = groups.get(e.instancePath) ?? new Map<unknown, ErrorObject[]>()
    groups.set(e.instancePath, byField)
    byField.set(e.parentSchema, [...(byField.get(e.parentSchema) ?? []), e])
  }
  const out: FieldProblem[] = []
  const seen = new Set<string>()
  for (const e of list) {
    if (redundant(e, groups.get(e.instancePath)?.get(e.parentSchema) ?? [])) continue
    const field = fieldOf(e)
    const message = describe(e)
    const key = `${field}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ field, message })
  }
  return out
}
