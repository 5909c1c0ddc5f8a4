// Checks answers against the description (issue 20 §3): the operation is described, the status is one
// of its answers, the media type is one it lists, a JSON body validates against its schema, and a
// problem's `code` is one the description lists for that status. Used as openapi-fetch middleware
// and by hand; every check is real JSON Schema validation (Ajv 2020-12), no mocks.
import { Ajv2020 } from 'ajv/dist/2020.js'
import formatsPlugin from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import type { Middleware } from 'openapi-fetch'
import { readFileSync } from 'node:fs'

type Json = Record<string, any>

export interface Seen {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly problems: readonly string[]
}

export class ResponseChecker {
  readonly #doc: Json
  readonly #ajv: Ajv2020
  readonly #compiled = new Map<string, ValidateFunction>()
  readonly #routes: { method: string; template: string; re: RegExp }[] = []
  readonly seen: Seen[] = []

  constructor(doc: Json) {
    this.#doc = doc
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
    formatsPlugin.default(this.#ajv)
    this.#ajv.addFormat('binary', true)
    this.#ajv.addSchema({ $id: 'https://openapi.invalid/doc', components: { schemas: rewrite(doc.components.schemas) } })
    for (const [template, item] of Object.entries(doc.paths as Json)) {
      const re = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`)
      for (const method of Object.keys(item)) this.#routes.push({ method: method.toUpperCase(), template, re })
    }
  }

  /** The operation template `path` (no query) matches, e.g. /api/v1/letters/{id}. */
  template(method: string, path: string): string | undefined {
    const p = path.split('?')[0]!
    // Literal segments before parameters: /api/v1/log/peers is not /api/v1/log/{agency}/…
    const hits = this.#routes.filter((r) => r.method === method && r.re.test(p))
    hits.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
    return hits[0]?.template
  }

  /** Checks one answer; returns (and records) what does not match the description. */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
    const problems: string[] = []
    const template = this.template(method, path)
    const op = template ? this.#doc.paths[template][method.toLowerCase()] : undefined
    // A path no route serves is answered 404 by the router: not an operation, nothing to describe.
    if (!op && !(status === 404 && (body as { code?: string } | undefined)?.code === 'ERR_NOT_FOUND')) problems.push(`${method} ${path} is not described`)
    const answer = op?.responses?.[String(status)]
    if (op && !answer) problems.push(`${op.operationId}: status ${status} is not described`)
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
    const content = answer?.content as Json | undefined
    if (answer && content && media !== '' && !(media in content) && !('*/*' in content)) {
      problems.push(`${op.operationId} ${status}: media type ${media} is not described (${Object.keys(content).join(', ')})`)
    }
    const schema = content?.[media]?.schema
    if (schema && (media === 'application/json' || media === 'application/problem+json') && body !== undefined) {
      const key = JSON.stringify(schema)
      let fn = this.#compiled.get(key)
      if (!fn) { fn = this.#ajv.compile(rewrite(schema)); this.#compiled.set(key, fn) }
      if (!fn(body)) problems.push(`${op.operationId} ${status}: ${this.#ajv.errorsText(fn.errors, { separator: '; ' })}`)
      if (media === 'application/problem+json') {
        const listed = Object.keys(content[media].examples ?? {})
        const code = (body as { code?: string }).code
        if (!listed.includes(String(code))) problems.push(`${op.operationId} ${status}: code ${code} is not listed (${listed.join(', ')})`)
      }
    }
    this.seen.push({ method, path: template ?? path, status, problems })
    return problems
  }

  /** openapi-fetch middleware: checks every answer it sees (the body is read from a clone). */
  middleware(): Middleware {
    return {
      onResponse: async ({ request, response }) => {
        const url = new URL(request.url)
        const type = response.headers.get('content-type')
        const json = type !== null && /json/.test(type) && response.status !== 204
        const body = json ? await response.clone().json() : undefined
        const problems = this.check(request.method, url.pathname, response.status, type, body)
        if (problems.length > 0) throw new Error(`the answer does not match the description: ${problems.join(' | ')}`)
        return undefined
      },
    }
  }
}

/** Local component refs → refs into the schema registered as https://openapi.invalid/doc. */
function rewrite<T>(node: T): T {
  return JSON.parse(JSON.stringify(node).replaceAll('"#/components/', '"https://openapi.invalid/doc#/components/')) as T
}

let shared: ResponseChecker | undefined

/**
 * For test/helpers/nodes.ts call() under SARABAN_CHECK_OPENAPI=1: checks one answer against the
 * committed snapshot and throws, naming what does not match.
 */
export function describedAnswer(method: string, path: string, status: number, contentType: string, body: unknown): void {
  shared ??= new ResponseChecker(JSON.parse(readFileSync(new URL('./openapi.json', import.meta.url), 'utf8')))
  const problems = shared.check(method, path, status, contentType, body)
  if (problems.length > 0) throw new Error(`the answer does not match the description: ${problems.join(' | ')}`)
}
