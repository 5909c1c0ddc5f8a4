// Strict JWS Compact Serialization (RFC 7515 §7.1) for documents the federation operator signs (the
// directory, PROTOCOL.md §1.4 and §14): canonical base64url only (RFC 7515 §2: no padding, no line
// breaks, no '+' '/'), a bounded protected header, an `alg` allow-list per key kind of the x5c leaf
// (RFC 7518 §3), `crit` refused (RFC 7515 §4.1.11). Whether the x5c chain is trusted is decided by
// TrustAnchors (validate.ts), never here.
import { constants, sign, verify, X509Certificate } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { keyKind, type KeyKind } from './keys.js'
import { parseStrictJsonObject } from '../domain/strict-json.js'

interface AlgRow {
  readonly alg: 'RS256' | 'PS256' | 'ES256'
  readonly keyKind: KeyKind
  readonly signsByDefault: boolean
  readonly options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' }
}

// RFC 7518 §3.3 (RS256), §3.5 (PS256, salt = hash length), §3.4 (ES256, R || S).
const ALGS: readonly AlgRow[] = [
  { alg: 'RS256', keyKind: 'rsa', signsByDefault: true, options: { padding: constants.RSA_PKCS1_PADDING } },
  { alg: 'PS256', keyKind: 'rsa', signsByDefault: false, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  { alg: 'ES256', keyKind: 'ec-p256', signsByDefault: true, options: { dsaEncoding: 'ieee-p1363' } },
]

export const MAX_HEADER_CHARS = 64 * 1024
const MAX_X5C = 8
const B64URL = /^[A-Za-z0-9_-]*$/
const B64STD = /^[A-Za-z0-9+/]+={0,2}$/

/** The one canonical base64url (no padding) decoding of `s`, or undefined (RFC 4648 §5, §3.5). */
export function decodeB64url(s: string): Buffer | undefined {
  if (!B64URL.test(s) || s.length % 4 === 1) return undefined
  const bytes = Buffer.from(s, 'base64url')
  return bytes.toString('base64url') === s ? bytes : undefined
}

export interface VerifiedCompactJws {
  readonly header: Record<string, unknown>
  readonly alg: AlgRow['alg']
  readonly payload: Buffer
  /** x5c, leaf first; not yet trusted */
  readonly chain: X509Certificate[]
}

/** Signs `payload` with the key's default alg; the header is exactly {alg, typ, x5c}. */
export function signCompactJws(typ: string, payload: Buffer, signer: { key: KeyObject; chain: readonly X509Certificate[] }): string {
  const kind = keyKind(signer.key)
  const row = ALGS.find((r) => r.signsByDefault && r.keyKind === kind)
  if (row === undefined) throw new Error(`no JWS algorithm signs with ${kind} keys`)
  const leaf = signer.chain[0]
  if (leaf === undefined || !leaf.checkPrivateKey(signer.key)) throw new Error('the signing key does not match the first certificate of the chain')
  const header = { alg: row.alg, typ, x5c: signer.chain.map((c) => c.raw.toString('base64')) }
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload.toString('base64url')}`
  return `${input}.${sign('sha256', Buffer.from(input, 'latin1'), { key: signer.key, ...row.options }).toString('base64url')}`
}

/**
 * Verifies a compact JWS of the expected `typ` with its x5c leaf key. Unknown header members are
 * ignored (PROTOCOL.md §1.4); any `crit` is refused. Throws `invalid(detail)` for every failure.
 */
export function verifyCompactJws(jws: string, typ: string, invalid: (detail: string) => Error): VerifiedCompactJws {
  const parts = jws.split('.')
  if (parts.length !== 3) throw invalid('not a JWS in compact serialization (three base64url parts)')
  const [h, p, s] = parts as [string, string, string]
  if (h.length === 0 || h.length > MAX_HEADER_CHARS) throw invalid(`the protected header is empty or longer than ${MAX_HEADER_CHARS} characters`)
  const headerBytes = decodeB64url(h)
  if (headerBytes === undefined) throw invalid('the protected header is not canonical base64url')
  // PROTOCOL.md §5.6: strict UTF-8, an object, no member name twice (RFC 7493).
  const parsed = parseStrictJsonObject(headerBytes)
  if (!parsed.ok) throw invalid(`the protected header ${parsed.detail}`)
  const hdr = parsed.value
  if ('crit' in hdr) throw invalid('the protected header names critical extensions (crit) this node does not implement')
  if (hdr['typ'] !== typ) throw invalid(`the JWS typ is not ${typ}`)
  const x5c = hdr['x5c']
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_X5C) throw invalid(`the JWS x5c must hold 1 to ${MAX_X5C} certificates`)
  const chain = x5c.map((c: unknown) => {
    if (typeof c !== 'string' || c.length % 4 !== 0 || !B64STD.test(c)) throw invalid('an x5c value is not standard base64 DER')
    try {
      return new X509Certificate(Buffer.from(c, 'base64'))
    } catch {
      throw invalid('an x5c value is not an X.509 certificate')
    }
  })
  let kind: KeyKind
  try {
    kind = keyKind(chain[0]!)
  } catch {
    throw invalid('the x5c leaf key is of a type or size that is not allowed')
  }
  const row = ALGS.find((r) => r.alg === hdr['alg'])
  if (row === undefined || row.keyKind !== kind) throw invalid(`JWS alg ${JSON.stringify(hdr['alg'])} is not allowed for a ${kind} key`)
  const sig = decodeB64url(s)
  const payload = decodeB64url(p)
  if (sig === undefined || payload === undefined) throw invalid('the payload or signature is not canonical base64url')
  let ok = false
  try {
    ok = verify('sha256', Buffer.from(`${h}.${p}`, 'latin1'), { key: chain[0]!.publicKey, ...row.options }, sig)
  } catch {
    ok = false
  }
  if (!ok) throw invalid('the signature does not verify')
  return { header: hdr, alg: row.alg, payload, chain }
}
