// THE Ajv instance (house style §6): JSON Schema 2020-12, strict, every error, defaults filled, no type
// coercion. It holds only the files under schemas/, loaded by $id; there is no way to add a schema
// from elsewhere, so nothing a peer sends is ever compiled.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { AnySchemaObject, ValidateFunction } from 'ajv'
import formatsPlugin from 'ajv-formats'
import { SarabanError, type ErrorCode, type FieldProblem } from '../errors.js'
import { isSchemaId, schemaIds, type SchemaId } from './ids.js'
import { schemasDir } from './locate.js'
import { toFieldProblems } from './messages.js'
import { semanticProblems } from './semantic.js'
import { defsResolver, foldRefLimits } from './fold.js'

export type ValidationCode = Extract<ErrorCode, 'ERR_REQUEST_INVALID' | 'ERR_LETTER_INVALID' | 'ERR_CONFIG_INVALID'>

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldProblem[] }

function defaultCode(id: SchemaId): ValidationCode {
  if (id === schemaIds.letter || id === schemaIds.apiLetterDraft) return 'ERR_LETTER_INVALID'
  if (id === schemaIds.config) return 'ERR_CONFIG_INVALID'
  return 'ERR_REQUEST_INVALID'
}

/** The id a file must carry: schemas/<area>/<name>.json ↔ urn:saraban:<area>:<name>:v1; schemas/config.json ↔ the config id. */
function expectedId(relPath: string): string {
  const parts = relPath.split(sep)
  if (parts.length === 1 && parts[0] === 'config.json') return schemaIds.config
  if (parts.length === 2) return `urn:saraban:${parts[0]}:${parts[1]!.replace(/\.json$/, '')}:v1`
  return `(no id: ${relPath} is not at schemas/<area>/<name>.json)`
}

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    // if/then rules (letter kindRules) require properties that are declared at the top level, not
    // beside the `required`; strictRequired cannot see that. Typos in `required` are caught by tests.
    strictRequired: false,
    allErrors: true,
    useDefaults: true,
    coerceTypes: false,
    verbose: true, // errors carry parentSchema, whose `title` explains a failed pattern (messages.ts)
    addUsedSchema: false,
  })
  // ajv-formats is CommonJS: under NodeNext its default import is module.exports, which also has .default.
  formatsPlugin.default(ajv)
  return ajv
}

export class SchemaRegistry {
  readonly #ajv: Ajv2020
  readonly #schemas: ReadonlyMap<SchemaId, AnySchemaObject>
  readonly #routeValidators = new Map<string, ValidateFunction>()

  private constructor(ajv: Ajv2020, schemas: ReadonlyMap<SchemaId, AnySchemaObject>) {
    this.#ajv = ajv
    this.#schemas = schemas
  }

  /** Reads every schemas/**\/*.json and checks the ids against ids.ts; each schema compiles on first use. */
  static load(dir: string = schemasDir()): SchemaRegistry {
    const ajv = createAjv()
    const schemas = new Map<SchemaId, AnySchemaObject>()
    const problems: string[] = []
    for (const file of listJson(dir)) {
      const rel = relative(dir, file)
      const schema = JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject
      const id = schema.$id
      if (typeof id !== 'string' || !isSchemaId(id)) problems.push(`${rel}: $id ${String(id)} is not in src/schema/ids.ts`)
      else if (id !== expectedId(rel)) problems.push(`${rel}: $id ${id} should be ${expectedId(rel)}`)
      else if (schemas.has(id)) problems.push(`${rel}: duplicate $id ${id}`)
      else schemas.set(id, schema)
    }
    for (const id of Object.values(schemaIds)) if (!schemas.has(id)) problems.push(`no file under ${dir} has $id ${id}`)
    if (problems.length > 0) throw new SarabanError('ERR_INTERNAL', `schemas are inconsistent: ${problems.join('; ')}`)
    const resolve = defsResolver(schemas)
    for (const schema of schemas.values()) foldRefLimits(schema, resolve)
    for (const schema of schemas.values()) ajv.addSchema(schema)
    return new SchemaRegistry(ajv, schemas)
  }

  /** Compiles every schema now (at startup), so that a broken one fails before the node listens. */
  compileAll(): this {
    for (const id of this.#schemas.keys()) this.#ajv.getSchema(id)
    return this
  }

  /** Ids of every loaded schema. */
  ids(): SchemaId[] {
    return [...this.#schemas.keys()]
  }

  /** Deep copies of every schema document, shared definitions first (for fastify.addSchema / @fastify/swagger). */
  all(): AnySchemaObject[] {
    const ids = this.ids().sort((a, b) => Number(b === schemaIds.common) - Number(a === schemaIds.common))
    return ids.map((id) => structuredClone(this.#schemas.get(id)!))
  }

  /** A deep copy of one schema document. */
  schema(id: SchemaId): AnySchemaObject {
    return structuredClone(this.#schemas.get(id)!)
  }

  /**
   * Every problem with `data` against schema `id` (schema first; the semantic rules of semantic.ts only
   * once the shape is right). Fills defaults in place. `at` prefixes every field pointer, e.g. '/letter'
   * when `data` is the letter inside a request body.
   */
  check<T>(id: SchemaId, data: unknown, at = ''): Checked<T> {
    if (!isSchemaId(id)) throw new SarabanError('ERR_INTERNAL', `unknown schema id ${String(id)}`)
    const fn = this.#ajv.getSchema(id)!
    let errors = fn(data) ? semanticProblems(id, data) : toFieldProblems(fn.errors)
    if (errors.length === 0) return { ok: true, value: data as T }
    if (at !== '') errors = errors.map((e) => ({ field: at + e.field, message: e.message }))
    return { ok: false, errors }
  }

  /**
   * Returns `data` (defaults filled in place) typed as T, or throws SarabanError(code) whose `errors`
   * lists every problem. code defaults to ERR_LETTER_INVALID for letters and drafts, ERR_CONFIG_INVALID
   * for the config, ERR_REQUEST_INVALID otherwise. `at` prefixes the field pointers (see check).
   */
  validate<T>(id: SchemaId, data: unknown, code: ValidationCode = defaultCode(id), at = ''): T {
    const r = this.check<T>(id, data, at)
    if (r.ok) return r.value
    throw invalid(code, r.errors)
  }

  /**
   * Compiles a route schema written in this code base (e.g. `{ $ref: schemaIds.apiLetterCreate }`), cached
   * by content. Only for schemas from our own source: never for anything received.
   */
  compileRouteSchema(schema: AnySchemaObject): ValidateFunction {
    const key = JSON.stringify(schema)
    let fn = this.#routeValidators.get(key)
    if (fn === undefined) {
      fn = this.#ajv.compile(structuredClone(schema))
      this.#routeValidators.set(key, fn)
    }
    return fn
  }

  /** The loaded schema document for `$ref` (no copy; read only), e.g. to inspect route property types. */
  resolveRef(ref: string): AnySchemaObject | undefined {
    const fn = this.#ajv.getSchema(ref)
    return fn === undefined ? undefined : (fn.schema as AnySchemaObject)
  }
}

export function invalid(code: ValidationCode, errors: FieldProblem[], what?: string): SarabanError {
  const first = errors[0]
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  const head = what ?? (code === 'ERR_LETTER_INVALID' ? 'the letter is not valid' : code === 'ERR_CONFIG_INVALID' ? 'the configuration is not valid' : 'the request is not valid')
  const detail = first === undefined ? head : `${head}: ${first.field === '' ? '(root)' : first.field} ${first.message}${more}`
  return new SarabanError(code, detail, { errors })
}
