// A request body read into one Buffer of its declared Content-Length (issue 16 item 2). Fastify's
// `parseAs: 'buffer'` keeps the chunks in a list and concatenates them at the end, so for a moment
// it holds every body twice (a 133 MB envelope: 266 MB). Here each chunk is copied once into a
// buffer allocated up front, and dropped; a body without Content-Length (chunked) falls back to a
// list. The limits and errors are Fastify's own (bodyLimit; FST_ERR_CTP_BODY_TOO_LARGE 413,
// FST_ERR_CTP_INVALID_CONTENT_LENGTH 400), so the one problem handler answers them as before.
import type { FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { errorCodes } from 'fastify'

export type BodyDone = (err: Error | null, body?: Buffer) => void

/** Reads `payload` (the raw request stream Fastify hands a parser without parseAs) into one Buffer.
 *  `within`: a tighter bound than the route's bodyLimit for this body (the same 413). */
export function readExactBody(request: FastifyRequest, payload: IncomingMessage, done: BodyDone, within = Infinity): void {
  const limit = Math.min(request.routeOptions.bodyLimit ?? Infinity, within)
  const declared = Number(request.headers['content-length'])
  const known = request.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0
  if (known && declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
  // Not the shared pool: the body is an envelope or a letter with its attachments.
  const out = known ? Buffer.allocUnsafeSlow(declared) : undefined
  const chunks: Buffer[] = []
  let received = 0
  let finished = false
  const finish = (err: Error | null, body?: Buffer) => {
    if (finished) return
    finished = true
    payload.removeListener('data', onData)
    payload.removeListener('end', onEnd)
    payload.removeListener('error', onError)
    done(err, body)
  }
  function onData(chunk: Buffer | string): void {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    if (received + c.length > limit) return finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
    if (out !== undefined) {
      if (received + c.length > out.length) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
      c.copy(out, received)
    } else {
      chunks.push(c) // concatenated (copied) at the end: never a view of the socket's read buffer
    }
    received += c.length
  }
  function onEnd(): void {
    if (out !== undefined && received !== out.length) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
    finish(null, out ?? Buffer.concat(chunks, received))
  }
  function onError(err: Error & { statusCode?: number }): void {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400
    finish(err)
  }
  payload.on('data', onData)
  payload.on('end', onEnd)
  payload.on('error', onError)
  payload.resume()
}
