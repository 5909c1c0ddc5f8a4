// The one problem+json handling, shared by both listeners (house style §4; PROTOCOL.md §9): every
// answer, the framework's own included (bad URL, 404, 405, 408, 414, 415, 431), leaves as RFC 9457
// application/problem+json with a stable `code`; 5xx bodies carry no internals, and no answer echoes
// the request URL (issue 13 §2): `instance` is the route pattern matched, never the path asked for.
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, SarabanError, type ErrorCode, type FieldProblem } from '../errors.js'

export interface ProblemBody {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail?: string
  instance?: string
  field?: string
  errors?: readonly FieldProblem[]
}

export const PROBLEM_TYPE_BASE = 'urn:saraban:problem:'
const PROBLEM_MEDIA_TYPE = 'application/problem+json'

export function problemOf(err: SarabanError, instance?: string): ProblemBody {
  const spec = ERRORS[err.code]
  const body: ProblemBody = { type: PROBLEM_TYPE_BASE + err.code, title: spec.title, status: spec.status, code: err.code }
  if (err.detail !== undefined) body.detail = err.detail
  if (instance !== undefined) body.instance = instance
  if (err.field !== undefined) body.field = err.field
  if (err.errors !== undefined) body.errors = err.errors
  return body
}

// Media types a route scope may parse, in the order they are named to the client.
const BODY_MEDIA_TYPES = ['application/json', 'multipart/form-data', 'application/jose', 'application/cms', 'application/jose+json'] as const

/** The media types the scope that answers `request` parses (PROTOCOL.md §4.1 for the federation). */
function acceptedTypes(request: FastifyRequest | undefined): string[] {
  if (request === undefined) return []
  return BODY_MEDIA_TYPES.filter((t) => request.server.hasContentTypeParser(t))
}

function unsupportedMediaType(request: FastifyRequest | undefined): SarabanError {
  const accepted = acceptedTypes(request)
  const what = accepted.length > 0 ? `Send the body as ${accepted.join(' or ')}.` : 'This resource takes no request body.'
  return new SarabanError('ERR_UNSUPPORTED_MEDIA_TYPE', `The Content-Type is not accepted here. ${what}`, { field: 'Content-Type' })
}

/** Fastify's own errors (body limits, media types, route schema validation, URLs) mapped onto our codes. */
function fromFastify(err: FastifyError, request: FastifyRequest | undefined): SarabanError {
  if (err.validation) {
    const ctx = err.validationContext ?? 'body'
    const errors = err.validation.map((v) => ({
      field: `/${ctx}${v.instancePath}${v.keyword === 'required' ? `/${String((v.params as { missingProperty?: string }).missingProperty ?? '')}` : ''}`,
      message: v.message ?? 'is not valid',
    }))
    return new SarabanError('ERR_REQUEST_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors })
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // A JSON body is held whole (limits.maxApiBodyBytes); files go as multipart/form-data, spooled to disk (issue 16 item 2).
      return request?.url.startsWith('/api/') === true
        ? new SarabanError('ERR_PAYLOAD_TOO_LARGE', 'The request body is larger than this node accepts in JSON (limits.maxApiBodyBytes); send large files as multipart/form-data (POST /api/v1/letters), which takes attachments up to limits.maxAttachmentBytes.')
        : new SarabanError('ERR_PAYLOAD_TOO_LARGE', 'The request body exceeds this node\'s limit; see limits.maxEnvelopeBytes (limits.maxWholeEnvelopeBytes for a body by reference to shared content).')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return unsupportedMediaType(request)
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SarabanError('ERR_REQUEST_INVALID', 'The body is not as long as its Content-Length says.', { field: 'Content-Length' })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SarabanError('ERR_REQUEST_INVALID', 'The body is not valid JSON.', { field: '/body' })
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new SarabanError('ERR_REQUEST_INVALID', 'The request URL is not valid (check its percent-encoding).', { field: 'url' })
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new SarabanError('ERR_URI_TOO_LONG', 'A path segment of the request URL is longer than any identifier this node uses.', { field: 'url' })
    default:
      break
  }
  if (err.statusCode === 404) return new SarabanError('ERR_NOT_FOUND')
  if (err.statusCode === 415) return unsupportedMediaType(request)
  // Other framework refusals: a fixed sentence, never the framework's message (it may quote input).
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new SarabanError('ERR_REQUEST_INVALID', 'The request is not valid HTTP for this resource.', { cause: err })
  return new SarabanError('ERR_INTERNAL', 'The node could not complete the request; the error is in its log.', { cause: err })
}

export function toSarabanError(err: unknown, request?: FastifyRequest): SarabanError {
  if (err instanceof SarabanError) return err
  if (err && typeof err === 'object' && 'code' in err && typeof (err as FastifyError).code === 'string') {
    return fromFastify(err as FastifyError, request)
  }
  if (err && typeof err === 'object' && 'validation' in err) return fromFastify(err as FastifyError, request)
  return new SarabanError('ERR_INTERNAL', 'The node could not complete the request; the error is in its log.', { cause: err })
}

/** The route pattern that answered (`/api/v1/letters/:id`), never the URL asked for; none for no route. */
function instanceOf(request: FastifyRequest): string | undefined {
  const pattern = request.routeOptions?.url
  return typeof pattern === 'string' && pattern !== '' && pattern !== '*' ? pattern : undefined
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, e: SarabanError): FastifyReply {
  return reply.code(e.status).type(PROBLEM_MEDIA_TYPE).send(problemOf(e, instanceOf(request)))
}

export function problemHandler(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toSarabanError(err, request)
  const path = request.url.split('?')[0]
  if (e.status >= 500) request.log.error({ err, code: e.code }, 'request failed')
  else request.log.info({ code: e.code, field: e.field, path }, 'request refused')
  return sendProblem(request, reply, e)
}

/** Fastify's `frameworkErrors` option: a bad URL (400), a path segment too long (414). */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return problemHandler.call(undefined, err, request, reply)
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** 404 for a path no route serves; 405 with `Allow` for a path served under other methods. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const url = request.url.split('?')[0] ?? '/'
  const allow = METHODS.filter((m) => m !== request.method && request.server.findRoute({ method: m, url }) !== null)
  if (allow.length > 0) {
    reply.header('allow', allow.join(', '))
    return sendProblem(request, reply, new SarabanError('ERR_METHOD_NOT_ALLOWED', `This resource answers ${allow.join(', ')}.`, { field: 'method' }))
  }
  return sendProblem(request, reply, new SarabanError('ERR_NOT_FOUND', 'No resource at this path; see the API description at /docs or PROTOCOL.md §4.'))
}

// Answers Node writes before Fastify sees a request (Node's 'clientError'): a request that did not
// arrive in time (408), headers too large (431), or bytes that are not HTTP (400).
const CLIENT_ERRORS: Readonly<Record<string, ErrorCode>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'ERR_REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'ERR_HEADERS_TOO_LARGE',
}

/** Fastify's `clientErrorHandler` option: a problem+json answer, then the connection is closed. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code = CLIENT_ERRORS[err.code ?? ''] ?? 'ERR_REQUEST_INVALID'
  const spec = ERRORS[code]
  const body = JSON.stringify(problemOf(new SarabanError(code)))
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${spec.status} ${httpReason(spec.status)}\r\nContent-Type: ${PROBLEM_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroySoon()
}

function httpReason(status: number): string {
  return ({ 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' } as Record<number, string>)[status] ?? 'Error'
}
