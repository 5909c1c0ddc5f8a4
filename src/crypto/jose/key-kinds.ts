// Which asymmetric keys the jose-v1 tables accept (PROTOCOL.md §5.1). Each algorithm row names the
// key kinds it works with; a key of any other kind never reaches a crypto call.
import type { KeyObject } from 'node:crypto'
import { inspectable, type PrivateKeyRef } from '../keys/private-key.js'

export type KeyKind = 'rsa' | 'ec-p256' | 'ec-p384'

/** Smallest RSA modulus accepted for signing or encryption (NIST SP 800-131A Rev. 2). */
export const MIN_RSA_BITS = 2048

/** EC curves by JWK name (RFC 7518 §6.2.1.1) and their node:crypto names. */
export const CURVES = {
  'P-256': { kind: 'ec-p256', namedCurve: 'prime256v1', coordBytes: 32 },
  'P-384': { kind: 'ec-p384', namedCurve: 'secp384r1', coordBytes: 48 },
} as const satisfies Record<string, { kind: KeyKind; namedCurve: string; coordBytes: number }>

export type CurveName = keyof typeof CURVES

/** The kind of a public or private key (in memory or behind a handle), or undefined for keys no row accepts. */
export function keyKindOf(ref: KeyObject | PrivateKeyRef): KeyKind | undefined {
  const key = inspectable(ref)
  const d = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') return (d?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'rsa' : undefined
  if (key.asymmetricKeyType === 'ec') {
    for (const c of Object.values(CURVES)) if (c.namedCurve === d?.namedCurve) return c.kind
  }
  return undefined
}

export function curveOfKind(kind: KeyKind): CurveName | undefined {
  for (const [name, c] of Object.entries(CURVES)) if (c.kind === kind) return name as CurveName
  return undefined
}
