// The API's one kind of `field` (issue 20 §5; README "Conventions"): a JSON Pointer (RFC 6901). Into
// the JSON body as it is (`/letter/subject`, "" for the whole body); the other parts of the request
// under a prefix: `/path/<param>`, `/query/<param>`, `/headers/<lower-case name>`. The federation
// listener keeps PROTOCOL.md §9's names; only the API's answers pass through here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SarabanError, type FieldProblem } from '../errors.js'
import { notFoundHandler, problemHandler, sendProblem, toSarabanError } from '../http/problem.js'

const PART_PREFIX: Readonly<Record<string, string>> = { params: '/path', querystring: '/query', headers: '/headers' }
// Bare names some services and the shared handler give, by the part of the request they name.
const PATH_PARAMS = new Set(['id', 'attachmentId', 'book'])
const QUERY_PARAMS = new Set(['agency', 'from', 'to', 'cursor', 'types', 'year', 'limit', 'format', 'state', 'include'])

export function apiField(field: string | undefined, part?: string): string | undefined {
  if (field === undefined || field === 'method') return undefined
  if (part !== undefined && PART_PREFIX[part] && !field.startsWith(PART_PREFIX[part]!)) return PART_PREFIX[part] + (field.startsWith('/') ? field : `/${field}`)
  if (field === '/body' || field === 'body') return ''
  if (field === 'url') return '/path'
  if (field.startsWith('/')) return field
  // Header names are written as HTTP spells them (Content-Type, Idempotency-Key, Authorization, Range).
  if (/[A-Z]/.test(field)) return `/headers/${field.toLowerCase()}`
  if (PATH_PARAMS.has(field)) return `/path/${field}`
  if (QUERY_PARAMS.has(field)) return `/query/${field}`
  return `/${field}` // a member of the JSON body
}

function normalized(e: SarabanError, part?: string): SarabanError {
  const errors = e.errors?.map((p): FieldProblem => ({ ...p, field: apiField(p.field, part) ?? '' }))
  const field = apiField(e.field, part)
  if (field === e.field && errors === undefined) return e
  const opts: { field?: string; errors?: readonly FieldProblem[]; cause?: unknown } = { cause: e }
  if (field !== undefined) opts.field = field
  if (errors !== undefined) opts.errors = errors
  return new SarabanError(e.code, e.detail, opts)
}

/** The API's error handler: the shared one (house style §4), with `field` as the API names it. */
export function apiProblemHandler(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const part = (err as { validationContext?: string } | null)?.validationContext
  const e = normalized(toSarabanError(err, request), part)
  return problemHandler.call(this, e, request, reply)
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** 405 with `Allow` for a path that a route serves under other methods, parameters included
 *  (DELETE /api/v1/letters/{id}); the shared handler sees only literal paths. Call before routes are added. */
export function methodNotAllowed(app: FastifyInstance<any, any, any, any>): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const routes: Array<{ re: RegExp; methods: string[] }> = []
  app.addHook('onRoute', (r) => {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).map(String)
    const re = new RegExp('^' + r.url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '/?$')
    routes.push({ re, methods })
  })
  return (request, reply) => {
    const url = request.url.split('?')[0] ?? '/'
    const allow = METHODS.filter((m) => m !== request.method && routes.some((r) => r.methods.includes(m) && r.re.test(url)))
    if (allow.length === 0) return notFoundHandler(request, reply)
    reply.header('allow', allow.join(', '))
    return sendProblem(request, reply, new SarabanError('ERR_METHOD_NOT_ALLOWED', `This resource answers ${allow.join(', ')}.`))
  }
}
