// The failure reason kept from a webhook answer that was not 2xx (GET /api/v1/webhooks/deliveries
// lastError): the start of its body, control characters folded, never more than MAX_ERROR_TEXT.

/** Longest response text kept as the failure reason. */
export const MAX_ERROR_TEXT = 300

export async function snippet(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
  let text = ''
  try {
    for await (const c of body) {
      text += Buffer.from(c as Uint8Array).toString('utf8')
      if (text.length >= MAX_ERROR_TEXT) break
    }
  } catch {
    /* the status says enough */
  } finally {
    body.destroy()
  }
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_ERROR_TEXT)
  return clean === '' ? '' : `: ${clean}`
}
