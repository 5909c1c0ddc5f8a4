// A private key that may live outside the process (PKCS#11 token, HSM, smart card) or in it (a
// KeyObject from a PEM, PKCS#8 or PKCS#12 file). Code that signs or opens with an agency's or an
// officer's key asks a handle for the one operation it needs and never reads the key itself, so the
// same paths serve keys in files and keys on tokens (issue 12 §1).
// The operations are synchronous, as the envelope profiles that call them are; PKCS#11's C_Sign,
// C_Decrypt and C_DeriveKey are synchronous calls into the module too.
import { constants, createPublicKey, diffieHellman, privateDecrypt, sign as nodeSign, type KeyObject } from 'node:crypto'

/** The signature algorithms a handle may be asked for (JOSE names; CMS uses the same primitives). */
export type HandleSignAlg = 'RS256' | 'PS256' | 'ES256'

export interface PrivateKeyHandle {
  /** 'rsa' (2048 bits or more) or 'ec-p256': the only kinds PROTOCOL.md §1.2 allows. */
  readonly kind: 'rsa' | 'ec-p256'
  /** The public half, for matching the handle to its certificate. */
  readonly publicKey: KeyObject
  /** Where the key lives, for logs and error sentences: "file …" or "pkcs11 token … key …". Never secret. */
  readonly describe: string
  /** Signs SHA-256(data): RS256 = RSASSA-PKCS1-v1_5, PS256 = RSASSA-PSS (MGF1-SHA-256, salt 32),
   *  ES256 = ECDSA P-256 returning IEEE P1363 r‖s (64 bytes; CMS callers re-encode it as DER). */
  sign(alg: HandleSignAlg, data: Uint8Array): Buffer
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (RSA handles only). */
  decryptOaepSha256(ciphertext: Uint8Array): Buffer
  /** ECDH on P-256 with the peer's public key: the shared secret Z, 32 bytes (EC handles only). */
  deriveEcdh(peer: KeyObject): Buffer
  /** Releases a session on a token; a no-op for a key in memory. */
  close(): void
}

/** A handle over a key held in this process. */
export function keyObjectHandle(key: KeyObject, describe = 'key in memory'): PrivateKeyHandle {
  if (key.type !== 'private') throw new TypeError('keyObjectHandle needs a private key')
  const details = key.asymmetricKeyDetails
  const kind = key.asymmetricKeyType === 'rsa' ? 'rsa' : key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1' ? 'ec-p256' : undefined
  if (!kind) throw new TypeError(`${describe}: only RSA and EC P-256 keys are allowed (PROTOCOL.md §1.2)`)
  const publicKey = createPublicKey(key)
  return {
    kind,
    publicKey,
    describe,
    sign(alg, data) {
      if (alg === 'ES256') {
        if (kind !== 'ec-p256') throw new TypeError(`${describe}: ES256 needs an EC P-256 key`)
        return nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
      }
      if (kind !== 'rsa') throw new TypeError(`${describe}: ${alg} needs an RSA key`)
      if (alg === 'PS256') return nodeSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      return nodeSign('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING })
    },
    decryptOaepSha256(ciphertext) {
      if (kind !== 'rsa') throw new TypeError(`${describe}: RSA-OAEP needs an RSA key`)
      return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext)
    },
    deriveEcdh(peer) {
      if (kind !== 'ec-p256') throw new TypeError(`${describe}: ECDH needs an EC P-256 key`)
      return diffieHellman({ privateKey: key, publicKey: peer })
    },
    close() {},
  }
}
