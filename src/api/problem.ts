// The one error handler per server (house style §4): every error leaves as RFC 9457
// application/problem+json with a stable `code`; 5xx bodies carry no internals.
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

export function problemOf(err: SarabanError, instance?: string): ProblemBody {
  const spec = ERRORS[err.code]
  const body: ProblemBody = { type: PROBLEM_TYPE_BASE + err.code, title: spec.title, status: spec.status, code: err.code }
  if (err.detail !== undefined) body.detail = err.detail
  if (instance !== undefined) body.instance = instance
  if (err.field !== undefined) body.field = err.field
  if (err.errors !== undefined) body.errors = err.errors
  return body
}

/** Fastify's own errors (body limits, media types, route schema validation) mapped onto our codes. */
function fromFastify(err: FastifyError): SarabanError {
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
      return new SarabanError('ERR_PAYLOAD_TOO_LARGE', 'The request body exceeds this node\'s limit; see limits.maxApiBodyBytes / limits.maxEnvelopeBytes.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SarabanError('ERR_UNSUPPORTED_MEDIA_TYPE', err.message)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SarabanError('ERR_REQUEST_INVALID', 'The body is not valid JSON.', { field: '/body' })
    default:
      break
  }
  if (err.statusCode === 404) return new SarabanError('ERR_NOT_FOUND')
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new SarabanError('ERR_REQUEST_INVALID', err.message)
  return new SarabanError('ERR_INTERNAL', 'The node could not complete the request; the error is in its log.', { cause: err })
}

export function toSarabanError(err: unknown): SarabanError {
  if (err instanceof SarabanError) return err
  if (err && typeof err === 'object' && 'code' in err && typeof (err as FastifyError).code === 'string') {
    return fromFastify(err as FastifyError)
  }
  if (err && typeof err === 'object' && 'validation' in err) return fromFastify(err as FastifyError)
  return new SarabanError('ERR_INTERNAL', 'The node could not complete the request; the error is in its log.', { cause: err })
}

export function problemHandler(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toSarabanError(err)
  if (e.status >= 500) request.log.error({ err, code: e.code }, 'request failed')
  else request.log.info({ code: e.code, field: e.field, url: request.url }, 'request refused')
  return reply.code(e.status).type('application/problem+json').send(problemOf(e, request.url))
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/problem+json')
    .send(problemOf(new SarabanError('ERR_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`), request.url))
}
