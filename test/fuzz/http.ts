// One fuzz request over an undici Client and what the oracle needs of its answer; shared by the
// federation and API targets.
import type { Client, Dispatcher } from 'undici'

export type Exchange =
  | { readonly status: number; readonly contentType: string; readonly answer: Buffer }
  /** no answer: `status` names why; `violation` unless the request never left this process */
  | { readonly status: string; readonly violation?: string }

export async function exchange(client: Client, req: Dispatcher.RequestOptions): Promise<Exchange> {
  try {
    const res = await client.request(req)
    const contentType = String(res.headers['content-type'] ?? '')
    // an event stream stays open by design: its head is the answer
    if (contentType.startsWith('text/event-stream')) {
      res.body.destroy()
      return { status: res.statusCode, contentType, answer: Buffer.alloc(0) }
    }
    return { status: res.statusCode, contentType, answer: Buffer.from(await res.body.arrayBuffer()) }
  } catch (e) {
    const code = (e as { code?: string }).code
    // undici refuses some header values itself (the request never left): not the node's outcome
    if (code === 'UND_ERR_INVALID_ARG') return { status: 'client-refused' }
    return { status: code ?? 'error', violation: `${/TIMEOUT/.test(code ?? '') ? 'hang' : 'connection'}: ${code} ${(e as Error).message}` }
  }
}

/** Whether the server still answers `path` below 500 (checked between batches). */
export async function answers(client: Client, path: string): Promise<boolean> {
  try {
    const r = await client.request({ method: 'GET', path })
    await r.body.dump()
    return r.statusCode < 500
  } catch {
    return false
  }
}
