// Fetching a signed trust document (the directory, a CRL) from where the configuration says: a local
// file, re-read at every refresh (an operator or a cron job replaces it), or an https:// URL
// (PROTOCOL.md §14.1). Nothing here decides trust: the bytes are verified by the caller. Over HTTPS
// the server certificate must chain to the operating system's roots or to a federation root, and
// the answer is bounded in size and time. An ETag lets the server answer 304 for an unchanged file.
import { redactUrl, redactUrlsIn } from '../../config/redact.js'
import { readFile, stat } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import { Agent, request } from 'undici'
import { SarabanError } from '../../errors.js'

export interface FetchSettings {
  readonly timeoutMs: number
  readonly maxBytes: number
  /** PEM certificates trusted for the HTTPS server besides the operating system's roots. */
  readonly extraCa?: readonly string[]
}

export type Fetched = { readonly kind: 'unchanged' } | { readonly kind: 'document'; readonly bytes: Buffer; readonly etag?: string }

export interface DocumentFetcher {
  /** `etag`: of the copy held, for a conditional GET. Throws SarabanError(ERR_TRUST_DOCUMENT_UNAVAILABLE) with why. */
  fetch(etag?: string): Promise<Fetched>
  close(): Promise<void>
  readonly location: string
}

const unavailable = (location: string, why: string, cause?: unknown) =>
  new SarabanError('ERR_TRUST_DOCUMENT_UNAVAILABLE', `cannot fetch ${redactUrl(location)}: ${redactUrlsIn(why)}`, cause === undefined ? {} : { cause })

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location)
}

/** A fetcher for a file path or an https:// URL (http:// is refused: PROTOCOL.md §14.1). */
export function documentFetcher(location: string, settings: FetchSettings): DocumentFetcher {
  if (!isUrl(location)) return fileFetcher(location, settings)
  if (!location.toLowerCase().startsWith('https://')) throw new SarabanError('ERR_CONFIG_INVALID', `${location}: a trust document URL must be https://`)
  return httpsFetcher(location, settings)
}

function fileFetcher(path: string, settings: FetchSettings): DocumentFetcher {
  return {
    location: path,
    async fetch() {
      try {
        const st = await stat(path)
        if (st.size > settings.maxBytes) throw unavailable(path, `the file is larger than ${settings.maxBytes} bytes`)
        return { kind: 'document', bytes: await readFile(path) }
      } catch (err) {
        if (err instanceof SarabanError) throw err
        throw unavailable(path, (err as NodeJS.ErrnoException).code ?? String(err), err)
      }
    },
    async close() {},
  }
}

function httpsFetcher(url: string, settings: FetchSettings): DocumentFetcher {
  const dispatcher = new Agent({
    connect: { ca: [...rootCertificates, ...(settings.extraCa ?? [])], rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    connectTimeout: settings.timeoutMs,
  })
  return {
    location: redactUrl(url), // shown in health and logs: no credentials or tokens (issue 13 §1)
    async fetch(etag) {
      const abort = AbortSignal.timeout(settings.timeoutMs)
      let res: Awaited<ReturnType<typeof request>>
      try {
        res = await request(url, { method: 'GET', dispatcher, signal: abort, headers: etag ? { 'if-none-match': etag } : {} })
      } catch (err) {
        throw unavailable(url, transportReason(err, settings.timeoutMs), err)
      }
      if (res.statusCode === 304 && etag) {
        await res.body.dump()
        return { kind: 'unchanged' }
      }
      if (res.statusCode !== 200) {
        await res.body.dump()
        throw unavailable(url, `HTTP ${res.statusCode}`)
      }
      const chunks: Buffer[] = []
      let size = 0
      try {
        for await (const c of res.body) {
          size += (c as Buffer).length
          if (size > settings.maxBytes) {
            res.body.destroy()
            throw unavailable(url, `the answer is larger than ${settings.maxBytes} bytes`)
          }
          chunks.push(c as Buffer)
        }
      } catch (err) {
        if (err instanceof SarabanError) throw err
        throw unavailable(url, transportReason(err, settings.timeoutMs), err)
      }
      const tag = res.headers['etag']
      return { kind: 'document', bytes: Buffer.concat(chunks), ...(typeof tag === 'string' ? { etag: tag } : {}) }
    },
    close: () => dispatcher.close(),
  }
}

/** A short reason: the system error code (ECONNREFUSED, CERT_…) or that the time limit passed. */
function transportReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: unknown; message?: string; cause?: { code?: unknown; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${timeoutMs} ms`
  const code = [e.cause?.code, e.code].find((c) => typeof c === 'string')
  const msg = e.cause?.message ?? e.message ?? String(err)
  return code ? `${String(code)}: ${msg}` : msg
}
