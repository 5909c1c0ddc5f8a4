// The schema layer's front door. The registry is built on first use (no import-time work), or
// explicitly with loadSchemas() at startup so that a broken schema stops the node before it listens.
import type { AnySchemaObject } from 'ajv'
import type { SchemaId } from './ids.js'
import { routeValidator, type RouteValidator } from './fastify.js'
import { SchemaRegistry, type Checked, type ValidationCode } from './registry.js'

export { schemaIds, schemaRef, componentName, isSchemaId, wholeSchemaRef, type SchemaId, type SchemaName } from './ids.js'
export { findPackageRoot, schemasDir } from './locate.js'
export { toFieldProblems, pointerSegment } from './messages.js'
export { SchemaRegistry, invalid, type Checked, type ValidationCode } from './registry.js'
export { routeValidator, type RouteValidator } from './fastify.js'

let registry: SchemaRegistry | undefined

/** The process-wide registry over <package root>/schemas, loaded and compiled on first call. */
export function schemas(): SchemaRegistry {
  registry ??= SchemaRegistry.load()
  return registry
}

/** At startup: loads and compiles every schema now; throws SarabanError(ERR_INTERNAL) naming every inconsistency. */
export function loadSchemas(): SchemaRegistry {
  return schemas().compileAll()
}

/**
 * Returns `data` with defaults filled in place, typed as T, or throws SarabanError(code) with `errors`
 * listing every problem as { field: JSON Pointer, message }. code: ERR_LETTER_INVALID for letters and
 * drafts, ERR_CONFIG_INVALID for config, ERR_REQUEST_INVALID otherwise, unless given. `at` prefixes
 * every field pointer (e.g. '/letter').
 */
export function validate<T>(id: SchemaId, data: unknown, code?: ValidationCode, at?: string): T {
  return schemas().validate<T>(id, data, code, at)
}

/** Like validate, without throwing: { ok: true, value } or { ok: false, errors }. */
export function check<T>(id: SchemaId, data: unknown, at?: string): Checked<T> {
  return schemas().check<T>(id, data, at)
}

/** Deep copies of every schema, shared definitions first: `for (const s of allSchemas()) app.addSchema(s)`. */
export function allSchemas(): AnySchemaObject[] {
  return schemas().all()
}

/** For `app.setValidatorCompiler(({ schema, httpPart }) => compileForFastify(schema, httpPart))`. */
export function compileForFastify(schema: unknown, httpPart?: string): RouteValidator {
  return routeValidator(schemas(), schema, httpPart)
}
