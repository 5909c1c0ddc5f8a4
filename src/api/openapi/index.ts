// The OpenAPI description of the local REST API (issue 20 §1–§2), generated, never written by hand:
// @fastify/swagger collects the route schemas (parameters, bodies, JSON answers from schemas/api/),
// then describeApi() lays the operation table over them (operations.ts), adds every error answer as
// application/problem+json (problems.ts), gives schemas readable names and drops the unused ones
// (components.ts). Served without a key at /api/v1/openapi.json; the TypeScript client of
// test/api-client/ is generated from it.
import { schemaIds } from '../../schema/index.js'
import type { ErrorCode } from '../../errors.js'
import { HEADERS, PARAMETERS, headerKey, reachable, readableNames, renameRefs, swaggerKey } from './components.js'
import { OPERATIONS, TAGS, type Operation } from './operations.js'
import { ALWAYS, problemResponses } from './problems.js'

type Json = Record<string, any>

export const OPENAPI_PATH = '/api/v1/openapi.json'
export { OPERATIONS } from './operations.js'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

/** The codes every operation of this shape can return (src/http/problem.ts, src/api/auth.ts). */
function sharedErrors(op: Operation, o: Json): ErrorCode[] {
  const params = (o.parameters ?? []) as Json[]
  const codes: ErrorCode[] = [...ALWAYS]
  if (op.auth !== 'none') codes.push('ERR_UNAUTHORIZED')
  if (params.length > 0 || o.requestBody) codes.push('ERR_REQUEST_INVALID')
  if (params.some((p) => p.in === 'path')) codes.push('ERR_NOT_FOUND')
  if (o.requestBody) codes.push('ERR_PAYLOAD_TOO_LARGE', 'ERR_UNSUPPORTED_MEDIA_TYPE')
  return codes
}

const fileSchema = (media: string) => media.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' }

function describeOperation(op: Operation, o: Json, problemRef: string): Json {
  const parameters = ((o.parameters ?? []) as Json[])
    .filter((p) => !(p.in === 'header' && (op.requestHeaders ?? []).some((h) => h.toLowerCase() === String(p.name).toLowerCase())))
    .concat((op.requestHeaders ?? []).map((h) => ({ $ref: `#/components/parameters/${headerKey(h)}` })))
  const responses: Json = {}
  for (const [status, answer] of Object.entries(op.answers)) {
    const content: Json = { ...(o.responses?.[status]?.content ?? {}) }
    for (const m of answer.media ?? []) content[m] ??= { schema: fileSchema(m) }
    if (answer.object && Object.keys(content).length === 0) content['application/json'] = { schema: { type: 'object' } }
    responses[status] = {
      description: answer.description,
      ...(answer.headers ? { headers: Object.fromEntries(answer.headers.map((h) => [h, { $ref: `#/components/headers/${headerKey(h)}` }])) } : {}),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    }
  }
  Object.assign(responses, problemResponses([...sharedErrors(op, o), ...op.errors], problemRef))
  const requestBody = o.requestBody && op.example !== undefined && o.requestBody.content?.['application/json']
    ? { ...o.requestBody, content: { ...o.requestBody.content, 'application/json': { ...o.requestBody.content['application/json'], example: op.example } } }
    : o.requestBody
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.auth === 'none' ? { security: [] } : op.auth === 'optional' ? { security: [{}, { bearer: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  }
}

/** For @fastify/swagger's transformObject: the collected description → the published one. */
export function describeApi(collected: Json, version: string): Json {
  const schemas: Json = collected.components?.schemas ?? {}
  const names = readableNames(Object.values(schemaIds), Object.keys(schemas))
  const ref = (key: string) => `#/components/schemas/${names.get(key) ?? key}`
  const problemRef = ref(swaggerKey(schemaIds.apiProblem))

  const paths: Json = {}
  for (const [path, item] of Object.entries(collected.paths ?? {}) as [string, Json][]) {
    for (const method of METHODS) {
      const o = item[method] as Json | undefined
      if (!o) continue
      const op = OPERATIONS[`${method.toUpperCase()} ${path}`]
      // A route with no row keeps what the route says; the coverage test names it.
      ;(paths[path] ??= {})[method] = op ? describeOperation(op, o, problemRef) : o
    }
  }
  const renamed: Json = {}
  for (const [key, s] of Object.entries(schemas)) renamed[names.get(key) ?? key] = s
  renameRefs([paths, renamed], (r) => {
    // A pointer into a component keeps its tail (…/LetterDraft/properties/x); a schema id left as it
    // was written (a querystring given as a $ref) becomes the component it was collected as.
    const local = /^#\/components\/schemas\/([^/]+)(.*)$/.exec(r)
    if (local) return ref(local[1]!) + local[2]!
    const byId = /^(urn:[^#]+)#(?:\/\$defs\/([^/]+))?$/.exec(r)
    if (byId) return ref(swaggerKey(byId[1]!) + (byId[2] ? `-${byId[2]}` : ''))
    return r
  })
  const used = reachable(paths, renamed)
  const kept = Object.fromEntries(Object.keys(renamed).filter((k) => used.has(k)).sort().map((k) => [k, renamed[k]]))

  return {
    openapi: '3.1.0',
    info: {
      title: 'saraban-node local API',
      version,
      summary: 'REST API through which saraban (document-management) systems send, receive and register official letters.',
      description: 'Every error is `application/problem+json` (RFC 9457) with a stable `code`; the codes each operation can return are listed with it. Conventions, limits and a walkthrough: README.md, "The REST API".',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'A node\'s local API on its default address (config api.host, api.port); loopback only unless configured.' }],
    security: [{ bearer: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key of the node configuration (api.keys) or of a hosted agency: `Authorization: Bearer <key>`.' } },
      parameters: Object.fromEntries(Object.entries(PARAMETERS).map(([n, p]) => [headerKey(n), p])),
      headers: Object.fromEntries(Object.entries(HEADERS).map(([n, h]) => [headerKey(n), h])),
      schemas: kept,
    },
  }
}
