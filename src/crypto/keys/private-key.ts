// What the envelope profiles accept as a private key (issue 12 §1): a KeyObject from a PEM file, or a
// PrivateKeyHandle (a token key, or an officer's key from a file). The few private-key operations
// the profiles need are here, once: a KeyObject takes node:crypto's path exactly as before (the bytes
// the profiles produce do not change), a handle is asked for the one operation.
import { constants, createECDH, createPublicKey, type ECDH, KeyObject, privateDecrypt, sign, type X509Certificate } from 'node:crypto'
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

/** A peer's EC public key as its JWK curve name and uncompressed point (0x04 ‖ x ‖ y). */
export interface EcPoint { readonly crv: 'P-256' | 'P-384'; readonly point: Buffer }

// One crypto.ECDH per private key in memory, holding its scalar (issue 16 item 1): importing the peer's
// point as a KeyObject (createPublicKey) checks the key with a scalar multiplication of its own, which
// with diffieHellman() cost about 200 µs per envelope against about 120 µs for computeSecret.
const ecdhOf = new WeakMap<KeyObject, ECDH>()

/** The ECDH shared secret Z with a peer's point. Throws when the point is not on the key's curve
 *  (OpenSSL checks it as it decodes the point: invalid-curve attacks, RFC 8725 §3.4) or is malformed. */
export function ecdhSecretWithPoint(key: PrivateKeyRef, peer: EcPoint): Buffer {
  if (isKeyHandle(key)) {
    const n = (peer.point.length - 1) / 2
    const jwk = { kty: 'EC', crv: peer.crv, x: peer.point.subarray(1, 1 + n).toString('base64url'), y: peer.point.subarray(1 + n).toString('base64url') }
    return key.deriveEcdh(createPublicKey({ key: jwk, format: 'jwk' }))
  }
  let ecdh = ecdhOf.get(key)
  if (ecdh === undefined) {
    const namedCurve = key.asymmetricKeyDetails?.namedCurve
    const d = key.export({ format: 'jwk' }).d
    if (key.asymmetricKeyType !== 'ec' || namedCurve === undefined || d === undefined) throw new Error('ECDH: not an EC private key')
    ecdh = createECDH(namedCurve)
    ecdh.setPrivateKey(Buffer.from(d, 'base64url'))
    ecdhOf.set(key, ecdh)
  }
  return ecdh.computeSecret(peer.point)
}
