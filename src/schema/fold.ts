// One limit per field (issue 20 §7). A field written as `{ "$ref": "…common…#/$defs/line", "maxLength": 500 }`
// carries two limits under JSON Schema 2020-12 (the shared line's 1000 and its own 500): a 5,000-character
// value failed both, and an OpenAPI generator that follows the $ref (dropping its siblings) showed 1000.
// At load, such a field becomes the referenced definition with its own keywords laid over it, so the
// field's file is the one place its limit is written and Ajv, Fastify and the OpenAPI description all
// see the same single limit.
import type { AnySchemaObject } from 'ajv'

// Keywords whose second occurrence would be a second limit on the same value.
const LIMITS = ['maxLength', 'minLength', 'maxItems', 'minItems', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'pattern', 'enum', 'format'] as const

type Resolve = (ref: string, base: AnySchemaObject) => AnySchemaObject | undefined

/** Resolves `urn:…#/$defs/x` and `#/$defs/x` against the loaded schemas (only $defs pointers). */
export function defsResolver(byId: ReadonlyMap<string, AnySchemaObject>): Resolve {
  return (ref, base) => {
    const m = /^([^#]*)#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref)
    if (!m) return undefined
    const doc = m[1] === '' ? base : byId.get(m[1]!)
    const def = (doc?.$defs as Record<string, AnySchemaObject> | undefined)?.[m[2]!]
    return def && typeof def === 'object' ? def : undefined
  }
}

/** Folds, in place, every `$ref` whose siblings restate a limit of its target (see above). */
export function foldRefLimits(schema: AnySchemaObject, resolve: Resolve): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(walk); return }
    if (node === null || typeof node !== 'object') return
    const o = node as Record<string, unknown>
    for (const v of Object.values(o)) walk(v)
    if (typeof o.$ref !== 'string') return
    const target = resolve(o.$ref, schema)
    if (!target || typeof target.$ref === 'string') return
    if (!LIMITS.some((k) => k in o && k in target)) return
    const own = { ...o }
    delete own.$ref
    for (const k of Object.keys(o)) delete o[k]
    Object.assign(o, structuredClone(target), own)
    // A failed pattern is explained by its schema's title (messages.ts): keep the target's, whose pattern it is.
    if (typeof target.title === 'string' && 'pattern' in target && !('pattern' in own)) o.title = target.title
  }
  walk(schema)
}
