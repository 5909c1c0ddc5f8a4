// RFC 3161 §3.4 client: POST a TimeStampReq, read a bounded TimeStampResp, within one timeout. It returns
// the token bytes as the TSA sent them; the caller verifies them (verify.ts) before relying on them.
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import { Agent, request } from 'undici'
import type * as asn1js from 'asn1js'
import { SarabanError } from '../errors.js'
import { buildRequest } from './request.js'
import { parseResponse } from './response.js'
import { MAX_TSP_BYTES, randomPositive } from './der.js'
import { TSQ_MEDIA_TYPE, TSR_MEDIA_TYPE } from './server.js'

export interface TsaClientOptions {
  readonly url: string
  readonly timeoutMs: number
  /** PEM file of the CA(s) for an https TSA; default: Node's bundled CAs. */
  readonly caFile?: string | undefined
}

export interface Stamped {
  readonly token: Buffer
  /** The nonce we sent, to check against the token's (RFC 3161 §2.4.2). */
  readonly nonce: asn1js.Integer
}

export class TsaClient {
  readonly url: string
  readonly #timeoutMs: number
  readonly #agent: Agent

  constructor(opts: TsaClientOptions) {
    const u = new URL(opts.url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('the TSA URL must be http or https')
    this.url = opts.url
    this.#timeoutMs = opts.timeoutMs
    this.#agent = new Agent({
      connect: { timeout: opts.timeoutMs, ...(opts.caFile ? { ca: readFileSync(opts.caFile, 'utf8') } : {}) },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 10_000,
    })
  }

  /** Asks for a token over the 32-byte `imprint`. Throws SarabanError ERR_TSA_UNAVAILABLE (transport,
   *  timeout, 5xx, not a TimeStampResp) or ERR_TSA_REFUSED (a rejection, or another HTTP answer). */
  async stamp(imprint: Buffer): Promise<Stamped> {
    const nonce = randomPositive(webcrypto.getRandomValues(new Uint8Array(8)))
    const body = buildRequest({ imprint, nonce, certReq: true })
    let status: number
    let contentType: string
    let bytes: Buffer
    try {
      const res = await request(this.url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': TSQ_MEDIA_TYPE, accept: TSR_MEDIA_TYPE },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      status = res.statusCode
      contentType = String(res.headers['content-type'] ?? '')
      const chunks: Buffer[] = []
      let n = 0
      for await (const c of res.body) {
        n += (c as Buffer).length
        if (n > MAX_TSP_BYTES) {
          res.body.destroy()
          throw new Error(`the answer is larger than ${MAX_TSP_BYTES} bytes`)
        }
        chunks.push(c as Buffer)
      }
      bytes = Buffer.concat(chunks)
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string }
      const why = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : `${e.code ?? e.name ?? 'error'}: ${e.message ?? String(err)}`
      throw new SarabanError('ERR_TSA_UNAVAILABLE', `time-stamping authority ${this.url}: ${why}`, { cause: err })
    }
    if (status >= 500) throw new SarabanError('ERR_TSA_UNAVAILABLE', `time-stamping authority ${this.url} answered HTTP ${status}`)
    if (status !== 200 || !contentType.toLowerCase().startsWith(TSR_MEDIA_TYPE)) {
      throw new SarabanError('ERR_TSA_REFUSED', `time-stamping authority ${this.url} answered HTTP ${status} ${contentType}`)
    }
    let parsed
    try {
      parsed = parseResponse(bytes)
    } catch (err) {
      throw new SarabanError('ERR_TSA_UNAVAILABLE', `time-stamping authority ${this.url}: ${(err as Error).message}`)
    }
    if (!parsed.granted) {
      throw new SarabanError('ERR_TSA_REFUSED', `time-stamping authority ${this.url} refused (status ${parsed.status}${parsed.failure.length ? ', ' + parsed.failure.join(', ') : ''}): ${parsed.text}`)
    }
    return { token: parsed.token, nonce }
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }
}
