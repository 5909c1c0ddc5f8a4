// JWS signature algorithms (RFC 7518 §3) as rows of an allow-list (house style §2). Anything not
// here, "none" included (RFC 7518 §3.6), is refused before a key is touched.
import { constants, verify, type KeyObject } from 'node:crypto'
import { signSha256, type PrivateKeyRef } from '../keys/private-key.js'
import { keyKindOf, type KeyKind } from './key-kinds.js'

export interface JwsAlgorithm {
  readonly alg: 'RS256' | 'PS256' | 'ES256'
  readonly keyKinds: readonly KeyKind[]
  /** Chosen when a key of one of `keyKinds` signs (PROTOCOL.md §5.1: RSA → RS256, EC P-256 → ES256). */
  readonly signsByDefault: boolean
  readonly options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' }
}

const ROWS: readonly JwsAlgorithm[] = [
  // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256
  { alg: 'RS256', keyKinds: ['rsa'], signsByDefault: true, options: { padding: constants.RSA_PKCS1_PADDING } },
  // RFC 7518 §3.5: RSASSA-PSS, MGF1 SHA-256, salt = hash length (32 bytes); accepted on verify
  { alg: 'PS256', keyKinds: ['rsa'], signsByDefault: false, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  // RFC 7518 §3.4: ECDSA P-256 SHA-256, signature = R || S (64 bytes), not DER
  { alg: 'ES256', keyKinds: ['ec-p256'], signsByDefault: true, options: { dsaEncoding: 'ieee-p1363' } },
]

const BY_ALG = new Map<unknown, JwsAlgorithm>(ROWS.map((r) => [r.alg, r]))

export const JWS_ALGS: readonly string[] = ROWS.map((r) => r.alg)

/** The row of an allow-listed `alg` header value, or undefined. */
export function jwsAlgorithm(alg: unknown): JwsAlgorithm | undefined {
  return BY_ALG.get(alg)
}

/** The default signing row for this key, or undefined (e.g. RSA < 2048 bits, curve without a row). */
export function signingAlgorithmFor(key: PrivateKeyRef): JwsAlgorithm | undefined {
  const kind = keyKindOf(key)
  return ROWS.find((r) => r.signsByDefault && kind !== undefined && r.keyKinds.includes(kind))
}

/** Row for an explicit alg if the key fits it (tests and vectors sign PS256 this way). */
export function signingAlgorithmNamed(alg: string, key: PrivateKeyRef): JwsAlgorithm | undefined {
  const row = BY_ALG.get(alg)
  const kind = keyKindOf(key)
  return row && kind !== undefined && row.keyKinds.includes(kind) ? row : undefined
}

export function keyFits(row: JwsAlgorithm, key: PrivateKeyRef): boolean {
  const kind = keyKindOf(key)
  return kind !== undefined && row.keyKinds.includes(kind)
}

export function signWith(row: JwsAlgorithm, input: Buffer, key: PrivateKeyRef): Buffer {
  return signSha256(key, row.alg, input, row.options)
}

/** false for any failure: wrong signature, wrong length, key of another kind. */
export function verifyWith(row: JwsAlgorithm, input: Buffer, key: KeyObject, signature: Buffer): boolean {
  if (!keyFits(row, key)) return false
  try {
    return verify('sha256', input, { key, ...row.options }, signature)
  } catch {
    return false
  }
}
