// JWE key management (RFC 7518 §4) and content encryption (§5) algorithms as rows of allow-lists
// (house style §2). jose-v1: RSA recipients → RSA-OAEP-256, EC recipients → ECDH-ES+A256KW; content
// is always A256GCM (PROTOCOL.md §5.1).
import { constants, publicEncrypt, type KeyObject } from 'node:crypto'
import { decryptOaepSha256, type PrivateKeyRef } from '../keys/private-key.js'
import { fitsEcdh, unwrapEcdhEs, wrapEcdhEs } from './ecdh-es.js'
import { keyKindOf } from './key-kinds.js'

export interface KeyManagement {
  readonly alg: 'RSA-OAEP-256' | 'ECDH-ES+A256KW'
  /** Header members this algorithm adds (and requires on open), besides the profile's own. */
  readonly headerMembers: readonly string[]
  /** Longest encrypted-key part (base64url characters) accepted before decoding. */
  readonly maxEncryptedKeyChars: number
  fits(key: PrivateKeyRef): boolean
  wrap(cek: Buffer, recipient: KeyObject): { encryptedKey: Buffer; header: Record<string, unknown> }
  unwrap(encryptedKey: Buffer, header: Record<string, unknown>, key: PrivateKeyRef): Buffer | undefined
}

// RFC 7518 §4.3: RSAES-OAEP with SHA-256 and MGF1 SHA-256.
const OAEP_256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const

const KEY_MANAGEMENT: readonly KeyManagement[] = [
  {
    alg: 'RSA-OAEP-256',
    headerMembers: [],
    maxEncryptedKeyChars: 1366, // 8192-bit modulus
    fits: (key) => keyKindOf(key) === 'rsa',
    wrap: (cek, recipient) => ({ encryptedKey: publicEncrypt({ key: recipient, ...OAEP_256 }, cek), header: {} }),
    unwrap: (encryptedKey, _header, key) => {
      try {
        return decryptOaepSha256(key, encryptedKey)
      } catch {
        return undefined
      }
    },
  },
  {
    alg: 'ECDH-ES+A256KW',
    headerMembers: ['epk'],
    maxEncryptedKeyChars: 54, // 40 bytes: a wrapped 32-byte CEK (RFC 3394)
    fits: fitsEcdh,
    wrap: wrapEcdhEs,
    unwrap: unwrapEcdhEs,
  },
]

export interface ContentEncryption {
  readonly enc: 'A256GCM'
  readonly cipher: 'aes-256-gcm'
  readonly keyBytes: number
  readonly ivBytes: number
  readonly tagBytes: number
}

// RFC 7518 §5.3: AES GCM, 96-bit IV, 128-bit tag.
const CONTENT: readonly ContentEncryption[] = [
  { enc: 'A256GCM', cipher: 'aes-256-gcm', keyBytes: 32, ivBytes: 12, tagBytes: 16 },
]

const KM_BY_ALG = new Map<unknown, KeyManagement>(KEY_MANAGEMENT.map((r) => [r.alg, r]))
const CE_BY_ENC = new Map<unknown, ContentEncryption>(CONTENT.map((r) => [r.enc, r]))

export const JWE_ALGS: readonly string[] = KEY_MANAGEMENT.map((r) => r.alg)
export const JWE_ENCS: readonly string[] = CONTENT.map((r) => r.enc)

export function keyManagement(alg: unknown): KeyManagement | undefined {
  return KM_BY_ALG.get(alg)
}

/** The key management row for a recipient's public key (or undefined: unsupported key). */
export function keyManagementFor(recipient: KeyObject): KeyManagement | undefined {
  return KEY_MANAGEMENT.find((r) => r.fits(recipient))
}

export function contentEncryption(enc: unknown): ContentEncryption | undefined {
  return CE_BY_ENC.get(enc)
}

export const DEFAULT_CONTENT: ContentEncryption = CONTENT[0]!
