// What the envelope profiles accept as a private key (issue 12 §1): a KeyObject from a PEM file, or a
// PrivateKeyHandle (a token key, or an officer's key from a file). The few private-key operations
// the profiles need are here, once: a KeyObject takes node:crypto's path exactly as before (the bytes
// the profiles produce do not change), a handle is asked for the one operation.
import { constants, diffieHellman, KeyObject, privateDecrypt, sign, type X509Certificate } from 'node:crypto'
import type { HandleSignAlg, PrivateKeyHandle } from './handle.js'

export type PrivateKeyRef = KeyObject | PrivateKeyHandle

export function isKeyHandle(key: PrivateKeyRef | KeyObject): key is PrivateKeyHandle {
  return !(key instanceof KeyObject)
}

/** A key node:crypto can read kind and size from: the KeyObject itself, or the handle's public half. */
export function inspectable(key: PrivateKeyRef): KeyObject {
  return isKeyHandle(key) ? key.publicKey : key
}

/** Whether `cert` is the certificate of this private key. */
export function keyMatchesCertificate(key: PrivateKeyRef, cert: X509Certificate): boolean {
  return isKeyHandle(key) ? cert.publicKey.equals(key.publicKey) : cert.checkPrivateKey(key)
}

/** Signs SHA-256(data) with `alg` (handle.ts semantics; ES256 gives r‖s unless `options` of a KeyObject say otherwise). */
export function signSha256(key: PrivateKeyRef, alg: HandleSignAlg, data: Buffer, options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' | 'der' }): Buffer {
  return isKeyHandle(key) ? key.sign(alg, data) : sign('sha256', data, { key, ...options })
}

/** RSAES-OAEP with SHA-256, MGF1-SHA-256 and an empty label (RFC 8017 §7.1.2); throws on any failure. */
export function decryptOaepSha256(key: PrivateKeyRef, ciphertext: Buffer): Buffer {
  return isKeyHandle(key) ? key.decryptOaepSha256(ciphertext) : privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext)
}

/** The ECDH shared secret Z with the peer's public key. */
export function ecdhSecret(key: PrivateKeyRef, peer: KeyObject): Buffer {
  return isKeyHandle(key) ? key.deriveEcdh(peer) : diffieHellman({ privateKey: key, publicKey: peer })
}
