// A large federation body written to a staging file as it arrives (issue 16 item 2), instead of one
// buffer of its Content-Length (http/exact-body.ts): the receiver then holds some 64 KiB of it at a
// time, whatever its size. Bodies that count as large (federation.largeBodies.thresholdBytes, or of
// unknown length: PROTOCOL.md §4.4) are staged; the limits and errors are Fastify's own, as
// readExactBody's (bodyLimit: FST_ERR_CTP_BODY_TOO_LARGE 413; a length other than the declared one:
// FST_ERR_CTP_INVALID_CONTENT_LENGTH 400). A body cut or refused midway leaves no file.
import type { FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { errorCodes } from 'fastify'
import type { BodyStaging, StagedBody } from '../storage/staged-bodies.js'

export type StagedDone = (err: Error | null, body?: StagedBody) => void

const staged = new WeakSet<object>()

/** Whether a request's body is a staged one (and not an envelope in a Buffer). */
export function isStaged(body: unknown): body is StagedBody {
  return typeof body === 'object' && body !== null && staged.has(body)
}

/** Reads `payload` into a staging file of `staging`. */
export function stageBody(staging: BodyStaging, request: FastifyRequest, payload: IncomingMessage, done: StagedDone): void {
  const limit = request.routeOptions.bodyLimit ?? Infinity
  const declared = Number(request.headers['content-length'])
  const known = request.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0
  if (known && declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
  let file: ReturnType<BodyStaging['begin']>
  try {
    file = staging.begin()
  } catch (err) {
    return done(err as Error)
  }
  let finished = false
  const finish = (err: Error | null, body?: StagedBody) => {
    if (finished) return
    finished = true
    payload.removeListener('data', onData)
    payload.removeListener('end', onEnd)
    payload.removeListener('error', onError)
    payload.removeListener('close', onClose)
    if (err) file.discard()
    done(err, body)
  }
  function onData(chunk: Buffer | string): void {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    if (file.received + c.length > limit) return finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
    if (known && file.received + c.length > declared) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
    try {
      file.write(c)
    } catch (err) {
      finish(err as Error) // the disk is full or failing: a 500, and the sender retries (§7.2)
    }
  }
  function onEnd(): void {
    if (known && file.received !== declared) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
    let body: StagedBody
    try {
      body = file.finish()
    } catch (err) {
      return finish(err as Error)
    }
    staged.add(body)
    finish(null, body)
  }
  function onError(err: Error & { statusCode?: number }): void {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400
    finish(err)
  }
  function onClose(): void {
    // The connection went before the body ended (no 'end'): nothing is kept of it.
    if (!payload.complete) onError(new Error('the request body was cut before its end'))
  }
  payload.on('data', onData)
  payload.on('end', onEnd)
  payload.on('error', onError)
  payload.on('close', onClose)
  payload.resume()
}
