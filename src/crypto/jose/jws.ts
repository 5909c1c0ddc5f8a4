// JWS Compact Serialization (RFC 7515 §7.1) with an x5c chain (§4.1.6) and node:crypto. The
// protected header is exactly {"alg","typ","x5c"} (PROTOCOL.md §5.4, §6.2). Verification uses the x5c
// leaf's public key; whether that chain is trusted is for pki/ to decide.
import { keyMatchesCertificate } from '../keys/private-key.js'
import { X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import type { SignerIdentity } from '../types.js'
import { b64u, decodeStrict } from './b64.js'
import { checkMembers, parseProtectedHeader, splitCompact } from './compact.js'
import { jwsAlgorithm, signingAlgorithmFor, signingAlgorithmNamed, signWith, verifyWith, type JwsAlgorithm } from './jws-algorithms.js'

/** Longest JWS protected header (base64url characters): room for an x5c of a few RSA-4096 certificates. */
export const MAX_JWS_HEADER_CHARS = 32 * 1024
const MAX_X5C = 8
const B64_STD = /^[A-Za-z0-9+/]+={0,2}$/
const DOT = 0x2e

interface CachedHeader { alg: JwsAlgorithm; b64: string }
// The encoded header of a signer is the same for every message: encode it once per (signer, typ).
const headers = new WeakMap<SignerIdentity, Map<string, CachedHeader>>()

function headerFor(signer: SignerIdentity, typ: string, alg?: string): CachedHeader {
  const cacheable = alg === undefined
  const hit = cacheable ? headers.get(signer)?.get(typ) : undefined
  if (hit !== undefined) return hit
  const row = alg === undefined ? signingAlgorithmFor(signer.key) : signingAlgorithmNamed(alg, signer.key)
  if (row === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', 'The signing key is of a type or size jose-v1 does not support.')
  const leaf = signer.chain[0]
  if (leaf === undefined || !keyMatchesCertificate(signer.key, leaf)) throw new Error('signer: the key does not match the first certificate of the chain')
  const b64 = b64u(JSON.stringify({ alg: row.alg, typ, x5c: signer.chain.map((c) => c.raw.toString('base64')) }))
  const made = { alg: row, b64 }
  if (cacheable) {
    const m = headers.get(signer) ?? new Map<string, CachedHeader>()
    m.set(typ, made)
    headers.set(signer, m)
  }
  return made
}

/** Signs `payload` (bytes) with the signer's default algorithm, or `opts.alg` (tests, vectors). */
export function signCompact(typ: string, payload: Buffer, signer: SignerIdentity, opts: { alg?: string } = {}): Buffer {
  const h = headerFor(signer, typ, opts.alg)
  const input = Buffer.from(`${h.b64}.${payload.toString('base64url')}`, 'latin1')
  const sig = signWith(h.alg, input, signer.key).toString('base64url')
  const out = Buffer.allocUnsafe(input.length + 1 + sig.length)
  input.copy(out, 0)
  out[input.length] = DOT
  out.write(sig, input.length + 1, 'latin1')
  return out
}

export interface VerifiedJws {
  header: Record<string, unknown>
  alg: JwsAlgorithm['alg']
  payload: Buffer
  chain: X509Certificate[]
  signature: Buffer
}

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

// Parsed x5c certificates, by their base64 text: a node sees the same few signer chains on every
// message, and parsing DER costs more than the signature check.
const X5C_CACHE_MAX = 512
const x5cCache = new Map<string, X509Certificate>()

function certOf(b64: string): X509Certificate {
  let cert = x5cCache.get(b64)
  if (cert === undefined) {
    cert = new X509Certificate(Buffer.from(b64, 'base64'))
    // A key OpenSSL cannot decode throws at first use: refuse it here as malformed input (PROTOCOL.md
    // §4.2 check 9), as the cms-v1 parser does, not as a 500 at verification.
    void cert.publicKey
    if (x5cCache.size >= X5C_CACHE_MAX) x5cCache.delete(x5cCache.keys().next().value!)
    x5cCache.set(b64, cert)
  }
  return cert
}

function parseX5c(v: unknown): X509Certificate[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_X5C) throw malformed(`JWS "x5c" must hold 1 to ${MAX_X5C} certificates.`, 'x5c')
  return v.map((c) => {
    if (typeof c !== 'string' || c.length % 4 !== 0 || !B64_STD.test(c)) throw malformed('JWS "x5c" holds a value that is not standard base64 DER.', 'x5c')
    try {
      return certOf(c)
    } catch {
      throw malformed('JWS "x5c" holds a value that is not an X.509 certificate.', 'x5c')
    }
  })
}

/**
 * Verifies a compact JWS of the expected `typ` with its x5c leaf. Throws ERR_ENVELOPE_MALFORMED
 * (shape), ERR_PROFILE_UNSUPPORTED (alg not allowed, "none" included) or ERR_SIGNATURE_INVALID.
 */
export function verifyCompact(jws: Buffer, typ: string): VerifiedJws {
  const parts = splitCompact(jws, 3, MAX_JWS_HEADER_CHARS)
  if (parts === undefined) throw malformed(`Not a JWS in compact serialization (3 parts, header at most ${MAX_JWS_HEADER_CHARS} characters).`)
  const [h, p, s] = parts as [Buffer, Buffer, Buffer]
  const header = parseProtectedHeader(h, MAX_JWS_HEADER_CHARS, 'ERR_ENVELOPE_MALFORMED', 'JWS')
  if (typeof header['alg'] !== 'string') throw malformed('The JWS header lacks "alg".', 'alg')
  const alg = jwsAlgorithm(header['alg'])
  if (alg === undefined) throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `JWS "alg" ${JSON.stringify(header['alg'])} is not allowed.`, { field: 'alg' })
  checkMembers(header, ['alg', 'typ', 'x5c'], [], 'JWS')
  if (header['typ'] !== typ) throw malformed(`JWS "typ" must be "${typ}".`, 'typ')
  const chain = parseX5c(header['x5c'])
  const sig = decodeStrict(s)
  if (sig === undefined || !verifyWith(alg, jws.subarray(0, h.length + 1 + p.length), chain[0]!.publicKey, sig)) {
    throw new SarabanError('ERR_SIGNATURE_INVALID', 'The signature is not valid.') // one message, no oracle
  }
  const payload = decodeStrict(p)
  if (payload === undefined) throw malformed('The JWS payload is not base64url.')
  return { header, alg: alg.alg, payload, chain, signature: sig }
}
