// An ephemeral EC key agreement (ECDH-ES in jose, RFC 7518 §4.6; KeyAgreeRecipientInfo in CMS, RFC 5753)
// made without a key generation job. On Node.js 20, generateKeyPairSync('ec') followed by exporting the
// new public key to JWK deadlocks now and then: the export holds the key's mutex while it allocates, a
// garbage collection then destroys the finished KeyGenJob, and its destructor waits for the same mutex
// (gdb: ExportJWKEcKey → EncodeBignum → GC → ~KeyGenJob → uv_mutex_lock; a loop of the two calls hangs
// within about 10,000 keys here). A sending node seals one ephemeral key per EC recipient, so a national
// circular stopped its sender for good (the circular bench hung with the sender's main thread in that
// futex). crypto.ECDH generates the key in place and computes the shared secret with the recipient's
// point (exported from its KeyObject, which runs no job); no private KeyObject is made (issue 16 item 1:
// importing the scalar as a JWK and diffieHellman() cost ~230 µs per recipient, computeSecret ~140 µs).
import { createECDH, type KeyObject } from 'node:crypto'

/** The curves an ephemeral key may be on: JWK name, OpenSSL name, coordinate length. */
const EPHEMERAL_CURVES = {
  'P-256': { namedCurve: 'prime256v1', coordBytes: 32 },
  'P-384': { namedCurve: 'secp384r1', coordBytes: 48 },
} as const

export type EphemeralCurve = keyof typeof EPHEMERAL_CURVES

export interface EphemeralAgreement {
  /** The ephemeral public key's coordinates, each exactly the curve's coordinate length. */
  readonly x: Buffer
  readonly y: Buffer
  /** The shared secret Z (the x-coordinate of the shared point, RFC 7518 §4.6.2, SEC 1 §3.3.1). */
  readonly z: Buffer
}

/** A fresh key pair on `crv` and its shared secret with `recipient` (a public key on the same curve). */
export function agreeEphemeral(crv: EphemeralCurve, recipient: KeyObject): EphemeralAgreement {
  const { namedCurve, coordBytes: n } = EPHEMERAL_CURVES[crv]
  const ecdh = createECDH(namedCurve)
  const point = ecdh.generateKeys() // uncompressed: 0x04 ‖ x ‖ y
  const x = point.subarray(1, 1 + n)
  const y = point.subarray(1 + n)
  return { x, y, z: ecdh.computeSecret(pointOf(recipient, crv)) }
}

/** Each recipient key's point, exported once (a circular seals for the same keys again and again). */
const points = new WeakMap<KeyObject, { readonly crv: string | undefined; readonly point: Buffer }>()

/** The uncompressed point (0x04 ‖ x ‖ y) of an EC public key on `crv`; throws for a key of another kind or curve. */
function pointOf(key: KeyObject, crv: EphemeralCurve): Buffer {
  let p = points.get(key)
  if (p === undefined) {
    const jwk = key.export({ format: 'jwk' })
    const point = jwk.kty === 'EC' && jwk.x !== undefined && jwk.y !== undefined
      ? Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')])
      : Buffer.alloc(0)
    points.set(key, (p = { crv: jwk.kty === 'EC' ? jwk.crv : undefined, point }))
  }
  if (p.crv !== crv || p.point.length === 0) throw new Error(`ECDH: the recipient key is not on ${crv}`)
  return p.point
}
