// Webhook signatures, Standard Webhooks specification v1 ("Signature scheme", standardwebhooks.com):
//   webhook-id: <event id>, webhook-timestamp: <unix seconds>,
//   webhook-signature: v1,<base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))>
// The secret is "whsec_" + base64 of the key bytes (24 to 64 bytes), the form the reference libraries
// (standardwebhooks, svix) take, so a saraban system can verify with one of them.
import { createHmac, timingSafeEqual } from 'node:crypto'

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/

/** The key bytes of a "whsec_…" secret, or a reason it is not one. */
export function webhookKey(secret: string): { ok: true; key: Buffer } | { ok: false; reason: string } {
  const m = SECRET.exec(secret.trim())
  if (!m) return { ok: false, reason: 'must be "whsec_" followed by the base64 of the key bytes (e.g. `echo whsec_$(openssl rand -base64 32)`)' }
  const key = Buffer.from(m[1]!, 'base64')
  if (key.length < 24 || key.length > 64) return { ok: false, reason: `must carry 24 to 64 key bytes, not ${key.length}` }
  return { ok: true, key }
}

export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')
  return `v1,${mac}`
}

/** What a receiver does (for tests and documentation): any of the space-separated v1 signatures matches,
 *  and the timestamp is within toleranceSeconds of now. */
export function verifyWebhook(key: Buffer, headers: { id: string; timestamp: string; signature: string }, body: string | Buffer, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!/^[0-9]{1,12}$/.test(headers.timestamp)) return false
  const ts = Number(headers.timestamp)
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) return false
  const expected = Buffer.from(signWebhook(key, headers.id, ts, body))
  return headers.signature.split(' ').some((s) => {
    const got = Buffer.from(s)
    return got.length === expected.length && timingSafeEqual(got, expected)
  })
}
